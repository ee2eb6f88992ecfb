"""L-BFGS: closed-form behaviour on quadratics, the state it keeps, its
errors, and PyTorch parity step by step (float64) on Rosenbrock, a
least-squares fit and a small MLP, with and without the strong-Wolfe search."""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import optim
from tapegrad.optim.line_search import cubic_interpolate, strong_wolfe


def rosenbrock(lib, x):
    """``(1 - x0)^2 + 100 (x1 - x0^2)^2``, minimum 0 at ``(1, 1)``."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _rosenbrock_start():
    return [np.array([-1.5, 2.0])]


def least_squares(lib, w, b):
    """``|A w + b - y|^2 / 2`` for a fixed 12 x 4 design ``A``."""
    rng = np.random.default_rng(3)
    a = lib.tensor(rng.standard_normal((12, 4)))
    y = lib.tensor(rng.standard_normal(12))
    r = a @ w + b - y
    return 0.5 * (r * r).sum()


def _least_squares_start():
    return [np.zeros(4), np.zeros(1)]


def mlp(lib, w1, b1, w2, b2):
    """Mean squared error of a 3-6-1 tanh network on 16 fixed points."""
    rng = np.random.default_rng(5)
    x = lib.tensor(rng.standard_normal((16, 3)), dtype=w1.dtype)
    y = lib.tensor(np.sin(rng.standard_normal((16, 1))), dtype=w1.dtype)
    out = lib.tanh(x @ w1 + b1) @ w2 + b2
    return ((out - y) ** 2).mean()


def _mlp_start():
    rng = np.random.default_rng(7)
    return [
        rng.standard_normal((3, 6)) * 0.5,
        np.zeros(6),
        rng.standard_normal((6, 1)) * 0.5,
        np.zeros(1),
    ]


def run_lbfgs(lib, loss_fn, start, steps=20, **options):
    """``steps`` calls of ``LBFGS.step``: the parameters (flattened and
    concatenated) and the returned loss after each, and the optimiser."""
    params = [lib.tensor(a.copy(), requires_grad=True) for a in start]
    opt = lib.optim.LBFGS(params, **options)

    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, *params)
        loss.backward()
        return loss

    trace = []
    for _ in range(steps):
        loss = float(opt.step(closure).detach())
        flat = np.concatenate([p.detach().numpy().ravel() for p in params])
        trace.append((flat, loss))
    return trace, opt


# ------------------------------------------------------- torch-free values
def test_isotropic_quadratic_is_solved_in_two_iterations():
    # f = c/2 |x|^2: the first step is steepest descent of length
    # min(1, 1/|g|_1); the pair (y, s) then gives H = I/c exactly, so the
    # second step lands on 0 and the zero gradient stops the iterations.
    x = tg.tensor([3.0, -4.0, 1.0], dtype=tg.float64, requires_grad=True)
    opt = optim.LBFGS([x])

    def closure():
        opt.zero_grad()
        loss = 2.5 * (x * x).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 65.0  # the loss at the start
    assert np.abs(x.detach().numpy()).max() < 1e-15
    state = opt.state[x]
    assert state["n_iter"] == 2 and state["func_evals"] == 3
    assert len(state["old_dirs"]) == 1 and float(state["H_diag"]) == pytest.approx(1 / 5.0)


def test_first_iteration_is_a_steepest_descent_step_of_length_min_one_over_l1():
    x = tg.tensor([3.0, -4.0], dtype=tg.float64, requires_grad=True)
    opt = optim.LBFGS([x], lr=0.5, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    g = np.array([6.0, -8.0])
    t = min(1.0, 1.0 / np.abs(g).sum()) * 0.5
    np.testing.assert_allclose(x.detach().numpy(), [3.0, -4.0] - t * g, rtol=1e-15)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_spd_quadratic_converges_to_the_solution_of_the_linear_system(line_search_fn):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((6, 6))
    a_np, b_np = m @ m.T + 6 * np.eye(6), rng.standard_normal(6)
    a, b = tg.tensor(a_np), tg.tensor(b_np)
    x = tg.zeros(6, dtype=tg.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=50, line_search_fn=line_search_fn, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (a @ x)) - b @ x
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(a_np, b_np), atol=1e-6)
    assert opt.state[x]["n_iter"] <= 12


def test_strong_wolfe_solves_rosenbrock():
    trace, opt = run_lbfgs(
        tg, rosenbrock, _rosenbrock_start(), steps=3, line_search_fn="strong_wolfe"
    )
    np.testing.assert_allclose(trace[-1][0], [1.0, 1.0], atol=1e-5)


def test_history_keeps_at_most_history_size_pairs():
    trace, opt = run_lbfgs(tg, mlp, _mlp_start(), steps=3, history_size=3)
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 3


def test_max_eval_bounds_the_evaluations_of_one_step():
    _, opt = run_lbfgs(
        tg, mlp, _mlp_start(), steps=1, max_iter=50, max_eval=7, line_search_fn="strong_wolfe"
    )
    assert opt.state[opt.param_groups[0]["params"][0]]["func_evals"] <= 7 + 1


def test_a_zero_gradient_returns_at_once():
    x = tg.zeros(3, dtype=tg.float64, requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and opt.state[x]["n_iter"] == 0


def test_state_dict_round_trip_continues_the_same_iterates():
    start = _mlp_start()
    full, _ = run_lbfgs(tg, mlp, start, steps=6, history_size=4, line_search_fn="strong_wolfe")
    _, opt = run_lbfgs(tg, mlp, start, steps=3, history_size=4, line_search_fn="strong_wolfe")
    saved = opt.state_dict()

    params = [p.detach().clone().requires_grad_() for p in opt.param_groups[0]["params"]]
    resumed = optim.LBFGS(params, history_size=99)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["history_size"] == 4
    state = resumed.state[params[0]]
    assert state["d"] is not opt.state[opt.param_groups[0]["params"][0]]["d"]  # copied

    def closure():
        resumed.zero_grad()
        loss = mlp(tg, *params)
        loss.backward()
        return loss

    for _, loss in full[3:]:
        assert float(resumed.step(closure)) == pytest.approx(loss, rel=1e-12)
    now = np.concatenate([p.detach().numpy().ravel() for p in params])
    np.testing.assert_allclose(now, full[-1][0], rtol=1e-10, atol=1e-12)


def test_cubic_interpolation_finds_the_minimum_of_a_quadratic():
    # f = (x - 2)^2 from x = 0 (f 4, f' -4) and x = 3 (f 1, f' 2): the cubic is f itself
    assert cubic_interpolate(0.0, 4.0, -4.0, 3.0, 1.0, 2.0) == pytest.approx(2.0, rel=1e-12)
    assert cubic_interpolate(3.0, 1.0, 2.0, 0.0, 4.0, -4.0) == pytest.approx(2.0, rel=1e-12)
    # clamped to the bounds, and the midpoint when the cubic has no minimum
    assert cubic_interpolate(0.0, 4.0, -4.0, 3.0, 1.0, 2.0, bounds=(2.5, 9.0)) == 2.5
    assert cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0, bounds=(0.0, 4.0)) == 2.0


def test_strong_wolfe_step_meets_both_conditions():
    # f(x) = sum (x - c)^4 along d = -g from 0: the first trial t = 1 overshoots
    c = tg.tensor([1.0, -0.5], dtype=tg.float64)
    x0 = tg.zeros(2, dtype=tg.float64)

    def loss_and_grad(x):
        return float(((x - c) ** 4).sum()), 4 * (x - c) ** 3

    f0, g0 = loss_and_grad(x0)
    d = -g0
    gtd = g0.dot(d)
    f, g, t, evals = strong_wolfe(lambda t: loss_and_grad(x0 + t * d), d, 1.0, f0, g0, gtd)
    assert f <= f0 + 1e-4 * float(t) * float(gtd)
    assert abs(float(g.dot(d))) <= -0.9 * float(gtd)
    assert f == pytest.approx(loss_and_grad(x0 + t * d)[0]) and evals >= 2


# ----------------------------------------------------------------- errors
def test_negative_lr_is_rejected():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([tg.zeros(2, requires_grad=True)], lr=-1)


def test_parameter_groups_are_rejected():
    a, b = tg.zeros(2, requires_grad=True), tg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])


def test_unknown_line_search_is_rejected():
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([tg.zeros(2, requires_grad=True)], line_search_fn="backtracking")


def test_step_needs_a_closure():
    with pytest.raises(TypeError):
        optim.LBFGS([tg.zeros(2, requires_grad=True)]).step()


def test_loading_state_for_a_missing_parameter_is_an_error():
    opt = optim.LBFGS([tg.zeros(2, requires_grad=True)])
    sd = opt.state_dict()
    sd["state"] = {5: {"n_iter": 1}}
    with pytest.raises(ValueError, match="names no parameter"):
        opt.load_state_dict(sd)


# ------------------------------------------------------------------ parity
# Configurations whose iterates are not chaotic: on Rosenbrock, full fixed
# steps with lr=1 amplify a last-bit difference in a gradient a thousandfold
# per step, in PyTorch itself as much as here.
PROBLEMS = {
    "rosenbrock": (rosenbrock, _rosenbrock_start),
    "least_squares": (least_squares, _least_squares_start),
    "mlp": (mlp, _mlp_start),
}
CASES = [
    ("rosenbrock", dict(max_iter=2)),
    ("rosenbrock", dict(max_iter=2, history_size=1)),
    ("rosenbrock", dict(lr=0.1, max_iter=4)),
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(line_search_fn="strong_wolfe", history_size=2)),
    ("rosenbrock", dict(line_search_fn="strong_wolfe", max_iter=3, max_eval=4)),
    ("least_squares", dict(lr=0.5, max_iter=3)),
    ("least_squares", dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2)),
    ("mlp", dict(max_iter=5)),
    ("mlp", dict(max_iter=3, history_size=3)),
    ("mlp", dict(lr=0.3, max_iter=4, history_size=100)),
    ("mlp", dict(line_search_fn="strong_wolfe", max_iter=5)),
    ("mlp", dict(line_search_fn="strong_wolfe", max_iter=3, history_size=3)),
    ("mlp", dict(line_search_fn="strong_wolfe", max_iter=1)),
]


@pytest.mark.torch
@pytest.mark.parametrize("problem,options", CASES, ids=[f"{p}-{o}" for p, o in CASES])
def test_iterates_match_torch_over_20_steps(problem, options):
    torch = pytest.importorskip("torch")
    loss_fn, start = PROBLEMS[problem]
    theirs, th_opt = run_lbfgs(torch, loss_fn, start(), **options)
    ours, opt = run_lbfgs(tg, loss_fn, start(), **options)
    for step, ((x_t, f_t), (x_g, f_g)) in enumerate(zip(theirs, ours)):
        np.testing.assert_allclose(x_g, x_t, rtol=1e-8, atol=1e-10, err_msg=f"step {step}")
        assert f_g == pytest.approx(f_t, rel=1e-8, abs=1e-12), step
    th_state = th_opt.state[th_opt.param_groups[0]["params"][0]]
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert set(state) == set(th_state)
    for key in ("func_evals", "n_iter"):
        assert state[key] == th_state[key], key
    for key in ("t", "H_diag", "prev_loss"):
        assert float(state[key]) == pytest.approx(float(th_state[key]), rel=1e-4), key
    np.testing.assert_allclose(state["d"].numpy(), th_state["d"].numpy(), rtol=1e-6, atol=1e-9)
    assert len(state["old_dirs"]) == len(th_state["old_dirs"])


@pytest.mark.torch
def test_state_dict_from_torch_continues_like_torch():
    torch = pytest.importorskip("torch")
    options = dict(line_search_fn="strong_wolfe", max_iter=4, history_size=3)
    theirs, _ = run_lbfgs(torch, mlp, _mlp_start(), steps=8, **options)
    _, th_half = run_lbfgs(torch, mlp, _mlp_start(), steps=4, **options)

    def to_numpy(v):
        if isinstance(v, list):
            return [to_numpy(e) for e in v]
        return v.numpy() if isinstance(v, torch.Tensor) else v

    sd = th_half.state_dict()
    sd = {
        "state": {k: {n: to_numpy(v) for n, v in s.items()} for k, s in sd["state"].items()},
        "param_groups": sd["param_groups"],
    }
    params = [
        tg.tensor(p.detach().numpy().copy(), requires_grad=True)
        for p in th_half.param_groups[0]["params"]
    ]
    opt = optim.LBFGS(params)
    opt.load_state_dict(sd)

    def closure():
        opt.zero_grad()
        loss = mlp(tg, *params)
        loss.backward()
        return loss

    for _, loss in theirs[4:]:
        assert float(opt.step(closure)) == pytest.approx(loss, rel=1e-8)
    now = np.concatenate([p.detach().numpy().ravel() for p in params])
    np.testing.assert_allclose(now, theirs[-1][0], rtol=1e-8, atol=1e-10)


@pytest.mark.torch
def test_float32_follows_torch_closely():
    torch = pytest.importorskip("torch")
    start = [a.astype(np.float32) for a in _mlp_start()]
    options = dict(line_search_fn="strong_wolfe", max_iter=5)
    theirs, _ = run_lbfgs(torch, mlp, start, steps=5, **options)
    ours, _ = run_lbfgs(tg, mlp, start, steps=5, **options)
    for (x_t, _), (x_g, _) in zip(theirs, ours):
        assert x_g.dtype == np.float32
        np.testing.assert_allclose(x_g, x_t, rtol=1e-3, atol=1e-4)
