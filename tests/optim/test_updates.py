"""Each optimiser's update against its formula written out in NumPy."""

import pytest

import tapegrad as tg
from tapegrad import optim
from tapegrad.backend import host as np
from tapegrad.tensor import from_numpy

STEPS = 5


def _problem(seed=0, shape=(3, 2)):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(STEPS)]
    return theta, grads


def _run(opt_cls, theta, grads, **kwargs):
    """Feed ``grads`` to an optimiser over float64 ``theta``; parameter after each step."""
    p = from_numpy(theta.copy()).requires_grad_()
    opt = opt_cls([p], **kwargs)
    out = []
    for g in grads:
        p.grad = from_numpy(g.copy())
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def test_sgd_without_momentum_is_theta_minus_lr_g():
    theta, grads = _problem()
    got = _run(optim.SGD, theta, grads, lr=0.1)
    for g, after in zip(grads, got):
        theta = theta - 0.1 * g
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_sgd_momentum_buffer_starts_at_the_first_gradient():
    theta, grads = _problem()
    lr, mu, tau = 0.1, 0.9, 0.3
    got = _run(optim.SGD, theta, grads, lr=lr, momentum=mu, dampening=tau)
    buf = None
    for g, after in zip(grads, got):
        buf = g.copy() if buf is None else mu * buf + (1 - tau) * g
        theta = theta - lr * buf
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_sgd_nesterov_and_weight_decay():
    theta, grads = _problem()
    lr, mu, wd = 0.1, 0.9, 0.01
    got = _run(optim.SGD, theta, grads, lr=lr, momentum=mu, nesterov=True, weight_decay=wd)
    buf = None
    for g, after in zip(grads, got):
        g = g + wd * theta
        buf = g.copy() if buf is None else mu * buf + g
        theta = theta - lr * (g + mu * buf)
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_ema_momentum_is_the_lecture_moving_average_starting_at_zero():
    theta, grads = _problem()
    lr, beta = 0.1, 0.8
    got = _run(optim.EMAMomentum, theta, grads, lr=lr, beta=beta)
    m = np.zeros_like(theta)
    for g, after in zip(grads, got):
        m = beta * m + (1 - beta) * g
        theta = theta - lr * m
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_ema_momentum_first_step_is_one_minus_beta_times_sgd_momentum_first_step():
    theta = np.zeros(2)
    g = [np.array([1.0, -2.0])]
    ema = _run(optim.EMAMomentum, theta, g, lr=1.0, beta=0.9)[0]
    sgd = _run(optim.SGD, theta, g, lr=1.0, momentum=0.9)[0]
    np.testing.assert_allclose(ema, 0.1 * sgd)


def test_ema_momentum_steady_step_is_sgd_momentum_step_times_one_minus_beta():
    theta = np.zeros(1)
    grads = [np.ones(1)] * 200
    lr, beta = 0.01, 0.9
    ema = _run(optim.EMAMomentum, theta, grads, lr=lr, beta=beta)
    sgd = _run(optim.SGD, theta, grads, lr=lr, momentum=beta)
    ema_step = ema[-2] - ema[-1]
    sgd_step = sgd[-2] - sgd[-1]
    np.testing.assert_allclose(ema_step, (1 - beta) * sgd_step, rtol=1e-6)
    np.testing.assert_allclose(ema_step, lr, rtol=1e-6)


def test_adam_is_the_slide_formula_with_bias_correction():
    theta, grads = _problem()
    lr, bm, bv, eps = 0.01, 0.8, 0.95, 1e-8
    got = _run(optim.Adam, theta, grads, lr=lr, betas=(bm, bv), eps=eps)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, (g, after) in enumerate(zip(grads, got), start=1):
        m = bm * m + (1 - bm) * g
        v = bv * v + (1 - bv) * g**2
        m_hat = m / (1 - bm**t)
        v_hat = v / (1 - bv**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_adam_first_step_moves_every_coordinate_by_about_lr():
    theta, grads = _problem()
    after = _run(optim.Adam, theta, grads[:1], lr=0.01)[0]
    np.testing.assert_allclose(np.abs(after - theta), 0.01, rtol=1e-5)


def test_adam_amsgrad_divides_by_the_running_max_of_v():
    theta, grads = _problem()
    lr, bm, bv, eps = 0.01, 0.9, 0.999, 1e-8
    got = _run(optim.Adam, theta, grads, lr=lr, amsgrad=True)
    m, v, vmax = (np.zeros_like(theta) for _ in range(3))
    for t, (g, after) in enumerate(zip(grads, got), start=1):
        m = bm * m + (1 - bm) * g
        v = bv * v + (1 - bv) * g**2
        vmax = np.maximum(vmax, v)
        theta = theta - lr / (1 - bm**t) * m / (np.sqrt(vmax / (1 - bv**t)) + eps)
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_adam_weight_decay_is_coupled_and_adamw_decoupled():
    theta, grads = _problem()
    lr, wd, bm, bv, eps = 0.01, 0.1, 0.9, 0.999, 1e-8
    coupled = _run(optim.Adam, theta, grads, lr=lr, weight_decay=wd)
    decoupled = _run(optim.AdamW, theta, grads, lr=lr, weight_decay=wd)
    th_c, th_d = theta.copy(), theta.copy()
    mc, vc, md, vd = (np.zeros_like(theta) for _ in range(4))
    for t, g in enumerate(grads, start=1):
        gc = g + wd * th_c
        mc, vc = bm * mc + (1 - bm) * gc, bv * vc + (1 - bv) * gc**2
        th_c = th_c - lr * (mc / (1 - bm**t)) / (np.sqrt(vc / (1 - bv**t)) + eps)
        th_d = th_d * (1 - lr * wd)
        md, vd = bm * md + (1 - bm) * g, bv * vd + (1 - bv) * g**2
        th_d = th_d - lr * (md / (1 - bm**t)) / (np.sqrt(vd / (1 - bv**t)) + eps)
        np.testing.assert_allclose(coupled[t - 1], th_c, rtol=1e-12)
        np.testing.assert_allclose(decoupled[t - 1], th_d, rtol=1e-12)


def test_adamw_default_weight_decay_is_one_percent():
    p = tg.zeros(2, requires_grad=True)
    assert optim.AdamW([p]).param_groups[0]["weight_decay"] == 1e-2


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_formula(centered, momentum):
    theta, grads = _problem()
    lr, alpha, eps = 0.01, 0.9, 1e-8
    got = _run(
        optim.RMSprop, theta, grads, lr=lr, alpha=alpha, momentum=momentum, centered=centered
    )
    v, gbar, buf = (np.zeros_like(theta) for _ in range(3))
    for g, after in zip(grads, got):
        v = alpha * v + (1 - alpha) * g**2
        gbar = alpha * gbar + (1 - alpha) * g
        d = np.sqrt(v - gbar**2 if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / d
            theta = theta - lr * buf
        else:
            theta = theta - lr * g / d
        np.testing.assert_allclose(after, theta, rtol=1e-10)


def test_adagrad_formula_with_lr_decay_and_initial_accumulator():
    theta, grads = _problem()
    lr, decay, s0, eps = 0.1, 0.05, 0.2, 1e-10
    got = _run(
        optim.Adagrad, theta, grads, lr=lr, lr_decay=decay, initial_accumulator_value=s0, eps=eps
    )
    s = np.full_like(theta, s0)
    for t, (g, after) in enumerate(zip(grads, got), start=1):
        s = s + g**2
        theta = theta - lr / (1 + (t - 1) * decay) * g / (np.sqrt(s) + eps)
        np.testing.assert_allclose(after, theta, rtol=1e-12)


def test_maximize_climbs_instead():
    theta, grads = _problem()
    down = _run(optim.SGD, theta, grads[:1], lr=0.1)[0]
    up = _run(optim.SGD, theta, grads[:1], lr=0.1, maximize=True)[0]
    np.testing.assert_allclose(up - theta, -(down - theta))
