"""PyTorch programs that use the everyday surface around the layers run on
tapegrad with only their imports changed: legacy tensor types and a
hand-written layer, L-BFGS with a line search, learning-rate schedules,
checkpointing with weight norm and gradient clipping, a dict-valued data
pipeline with workers, and a whole tutorial script run unchanged through
``tapegrad.as_torch()``.  Each program runs once as written and once on
tapegrad, from the same weights (copied through NumPy) and the same data,
and gives the same numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_cnn_programs import SOURCES, _both, _close, _program, _same_weights  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _flags_restored():
    """The programs set process-wide flags at their top (``cudnn.deterministic
    = True``), as scripts do: put them back for the tests that follow."""
    import tapegrad as tg

    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = [{n: getattr(lib.backends.cudnn, n) for n in names} for lib in (tg, torch)]
    yield
    for lib, flags in zip((tg, torch), saved):
        for name, value in flags.items():
            setattr(lib.backends.cudnn, name, value)


def _pair(name: str):
    return _program(name, "torch"), _program(name, "tapegrad")


def _same_parameters(model_t, model_g, rtol, atol) -> None:
    state_t, state_g = model_t.state_dict(), model_g.state_dict()
    assert list(state_t) == list(state_g)
    for key in state_t:
        _close(state_t[key].numpy(), state_g[key].numpy(), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- basics


def test_basics_script_with_a_hand_written_layer_trains_as_in_pytorch():
    pt, tgp = _pair("basics")
    torch.manual_seed(0)
    net_t, net_g = pt.Classifier(6, 8, 4), tgp.Classifier(6, 8, 4)
    assert repr(net_t) == repr(net_g)
    assert [n for n, _ in net_t.named_buffers()] == [n for n, _ in net_g.named_buffers()]
    _same_weights(net_t, net_g)
    net_t.fc1.prune(0.1)
    net_g.fc1.prune(0.1)
    assert 0 < net_g.fc1.mask.sum().item() < 48
    _close(net_t.fc1.mask.numpy(), net_g.fc1.mask.numpy(), rtol=0, atol=0)

    rng = np.random.default_rng(0)
    features = rng.standard_normal((10, 2, 3)).tolist()
    labels = rng.integers(1, 4, 10).tolist()
    data_t, data_g = pt.make_dataset(features, labels), tgp.make_dataset(features, labels)
    assert data_g.tensors[0].dtype == np.float32 and data_g.tensors[1].dtype == np.int64
    losses_t, log_t = pt.train(net_t, data_t)
    losses_g, log_g = tgp.train(net_g, data_g)
    assert len(losses_g) == 9  # 3 epochs of batches 4, 4, 2
    _close(losses_t, losses_g, rtol=1e-4)
    line = re.compile(r"^epoch (\d): loss (\d+\.\d{4})$")
    for text_t, text_g in zip(log_t, log_g, strict=True):
        match_t, match_g = line.match(text_t), line.match(text_g)
        assert match_g is not None, text_g
        assert match_t.group(1) == match_g.group(1)
        assert abs(float(match_t.group(2)) - float(match_g.group(2))) <= 1e-4
    _same_parameters(net_t, net_g, rtol=1e-4, atol=1e-6)

    (loss_t, acc_t, brier_t, probs_t), (loss_g, acc_g, brier_g, probs_g) = (
        pt.evaluate(net_t, data_t),
        tgp.evaluate(net_g, data_g),
    )
    _close(loss_t, loss_g, rtol=1e-4)
    assert acc_t == acc_g
    _close(brier_t, brier_g, rtol=1e-4)
    _close(probs_t, probs_g, rtol=1e-4, atol=1e-7)
    assert probs_g[0] == 0.0  # the masked class


def test_shape_prints_and_counts_as_a_size():
    import tapegrad as tg

    shape_t, shape_g = torch.zeros(2, 3).shape, tg.zeros(2, 3).shape
    assert str(shape_g) == str(shape_t).replace("torch.", "tapegrad.")
    assert shape_g.numel() == shape_t.numel() == 6


# ---------------------------------------------------------------- L-BFGS


def test_lbfgs_curve_fit_with_strong_wolfe_matches_pytorch():
    pt, tgp = _pair("curve_fit")
    rng = np.random.default_rng(1)
    x = np.linspace(0.0, 4.0, 30)
    y = 2.5 * np.exp(-1.3 * x) + 0.4 + 0.01 * rng.standard_normal(30)
    x_t, x_g = _both(x)
    y_t, y_g = _both(y)
    model_t, model_g = pt.Decay(), tgp.Decay()
    result_t = pt.fit(model_t, x_t, y_t)
    result_g = tgp.fit(model_g, x_g, y_g)
    _close(result_t[0], result_g[0], rtol=1e-9, atol=1e-12)
    assert result_g[1] == result_t[1]  # the same number of closure calls
    _close(result_t[2], result_g[2], rtol=1e-7, atol=1e-12)
    assert result_g[2] < 2e-4  # it did fit
    _same_parameters(model_t, model_g, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("line_search", ["strong_wolfe", None])
def test_lbfgs_fits_a_small_network_as_in_pytorch(line_search):
    pt, tgp = _pair("curve_fit")
    torch.manual_seed(0)
    net_t, net_g = pt.mlp(), tgp.mlp()
    _same_weights(net_t, net_g)
    x = np.linspace(-2.0, 2.0, 25)[:, None]
    x_t, x_g = _both(x)
    y_t, y_g = _both(np.sin(2 * x))
    lr = 1 if line_search else 0.5
    result_t = pt.fit(net_t, x_t, y_t, steps=3, line_search_fn=line_search, lr=lr)
    result_g = tgp.fit(net_g, x_g, y_g, steps=3, line_search_fn=line_search, lr=lr)
    _close(result_t[0], result_g[0], rtol=1e-8, atol=1e-12)
    assert result_g[1] == result_t[1]
    _close(result_t[2], result_g[2], rtol=1e-7, atol=1e-12)
    _same_parameters(net_t, net_g, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- schedules


def _regression_batches(seed, n=4, batch=8):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((4, 1)).astype(np.float32)
    out = []
    for _ in range(n):
        x = rng.standard_normal((batch, 4)).astype(np.float32)
        y = (np.tanh(x @ w) + 0.05 * rng.standard_normal((batch, 1))).astype(np.float32)
        out.append((_both(x), _both(y)))
    return [(x[0], y[0]) for x, y in out], [(x[1], y[1]) for x, y in out]


def _regressors(pt, tgp):
    torch.manual_seed(0)
    net_t, net_g = pt.regressor(), tgp.regressor()
    _same_weights(net_t, net_g)
    return net_t, net_g


@pytest.mark.parametrize(
    "loop", ["train_one_cycle", "train_resumed", "train_warmup_cosine", "train_warm_restarts"]
)
def test_scheduled_training_logs_the_same_learning_rates_as_pytorch(loop):
    pt, tgp = _pair("schedules")
    net_t, net_g = _regressors(pt, tgp)
    batches_t, batches_g = _regression_batches(2)
    result_t = getattr(pt, loop)(net_t, batches_t)
    result_g = getattr(tgp, loop)(net_g, batches_g)
    _close(result_t[0], result_g[0], rtol=1e-4, atol=1e-6)
    for logged_t, logged_g in zip(result_t[1:], result_g[1:], strict=True):
        _close(logged_t, logged_g, rtol=1e-12, atol=1e-15)
    assert len(set(np.ravel(result_g[1]).tolist())) > 4  # the rate did move
    _same_parameters(net_t, net_g, rtol=1e-3, atol=1e-5)


def test_resuming_from_state_dicts_continues_the_schedule_exactly():
    """Within tapegrad: stopping and resuming changes nothing."""
    _, tgp = _pair("schedules")
    _, batches = _regression_batches(2)
    nets = [tgp.regressor(), tgp.regressor()]
    nets[1].load_state_dict(nets[0].state_dict())
    straight = tgp.train_resumed(nets[0], batches, stop_after=99)
    resumed = tgp.train_resumed(nets[1], batches, stop_after=1)
    assert resumed == straight
    _same_parameters(nets[0], nets[1], rtol=0, atol=0)


def test_reduce_on_plateau_follows_the_validation_loss_as_in_pytorch():
    pt, tgp = _pair("schedules")
    net_t, net_g = _regressors(pt, tgp)
    batches_t, batches_g = _regression_batches(3, n=5)  # the first one for validation
    losses_t, lrs_t, bad_t = pt.train_plateau(net_t, batches_t[1:], batches_t[0])
    losses_g, lrs_g, bad_g = tgp.train_plateau(net_g, batches_g[1:], batches_g[0])
    _close(losses_t, losses_g, rtol=1e-4, atol=1e-6)
    assert lrs_g == lrs_t
    assert bad_g == bad_t
    assert lrs_g[-1] < lrs_g[0]  # it did reduce


# ---------------------------------------------------------------- checkpoint


def test_checkpointed_weight_normed_model_trains_as_in_pytorch():
    pt, tgp = _pair("checkpointed_mlp")
    torch.manual_seed(0)
    net_t, net_g = pt.Net(), tgp.Net()
    assert list(net_t.state_dict()) == list(net_g.state_dict())
    assert "inp.weight_g" in net_g.state_dict()
    assert "head.parametrizations.weight.original1" in net_g.state_dict()
    fc2 = net_g.blocks[0].fc2.weight.detach().numpy()
    np.testing.assert_allclose(fc2 @ fc2.T, 0.25 * np.eye(8), atol=1e-5)  # orthogonal_, gain 0.5
    assert np.abs(net_g.blocks[0].fc1.weight.detach().numpy()).max() <= 0.4  # trunc_normal_
    _same_weights(net_t, net_g)
    rng = np.random.default_rng(5)
    data = [
        (_both(rng.standard_normal((6, 6)).astype(np.float32)), _both(rng.integers(0, 3, 6)))
        for _ in range(4)
    ]
    losses_t, norms_t, ema_t = pt.train(net_t, [(x[0], y[0]) for x, y in data])
    losses_g, norms_g, ema_g = tgp.train(net_g, [(x[1], y[1]) for x, y in data])
    _close(losses_t, losses_g, rtol=1e-4)
    _close(norms_t, norms_g, rtol=1e-4)
    assert max(norms_g) > 0.5  # clipping was active
    _close(ema_t.numpy(), ema_g.numpy(), rtol=1e-4, atol=1e-6)
    _same_parameters(net_t, net_g, rtol=1e-4, atol=1e-6)

    pt.load_ema(net_t, ema_t).eval()
    tgp.load_ema(net_g, ema_g).eval()
    (x_t, x_g), _ = data[0]
    with torch.no_grad():
        out_t = net_t(x_t).numpy()
    out_g = net_g(x_g).detach().numpy()
    _close(out_t, out_g, rtol=1e-4, atol=1e-6)


def test_checkpointing_does_not_change_the_gradients():
    """Within tapegrad: the same step with and without checkpoints."""
    _, tgp = _pair("checkpointed_mlp")
    with_ckpt, without = tgp.Net(use_checkpoint=True), tgp.Net(use_checkpoint=False)
    without.load_state_dict(with_ckpt.state_dict())
    rng = np.random.default_rng(6)
    _, x = _both(rng.standard_normal((5, 6)).astype(np.float32))
    _, y = _both(rng.integers(0, 3, 5))
    for net in (with_ckpt, without):
        tgp.F.cross_entropy(net(x), y).backward()
    for (name, p), q in zip(with_ckpt.named_parameters(), without.parameters()):
        _close(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-8)
        assert np.abs(p.grad.numpy()).sum() > 0, name


# ---------------------------------------------------------------- data


def _shape_sources(seed=7):
    rng = np.random.default_rng(seed)
    images_a = rng.standard_normal((10, 1, 4, 4)).astype(np.float32)
    images_b = rng.uniform(0, 5, (7, 1, 4, 4)).astype(np.float32)
    return images_a, rng.integers(0, 3, 10), images_b, rng.integers(0, 3, 7)


def test_dict_items_collate_and_load_as_in_pytorch():
    pt, tgp = _pair("data_pipeline")
    sources = _shape_sources()
    data_t, data_g = pt.build(*sources), tgp.build(*sources)
    assert len(data_g) == len(data_t) == 17
    item_t, item_g = data_t[12], data_g[12]
    assert item_g["name"] == item_t["name"] == "shape-12"
    assert item_g["meta"] == item_t["meta"] == (2, 10)
    np.testing.assert_array_equal(item_g["image"], item_t["image"])

    batches_t, batches_g = list(pt.loader(data_t)), list(tgp.loader(data_g))
    assert len(batches_g) == len(batches_t) == 5
    for batch_t, batch_g in zip(batches_t, batches_g):
        assert tgp.describe(batch_g) == pt.describe(batch_t)
    assert pt.describe(batches_t[0]) == {
        "image": ("tensor", (4, 1, 4, 4), "float32"),
        "label": ("tensor", (4,), "int64"),
        "weight": ("tensor", (4,), "float64"),
        "name": ["list", "str", "str", "str", "str"],
        "meta": ["list", ("tensor", (4,), "int64"), ("tensor", (4,), "int64")],
    }
    for sums_t, sums_g in zip(pt.batch_sums(batches_t), tgp.batch_sums(batches_g), strict=True):
        _close(sums_t[:3], sums_g[:3], rtol=1e-5, atol=1e-5)
        assert sums_g[3] == sums_t[3]

    pairs = [(sources[0][i], i) for i in range(3)]
    assert tgp.describe(tgp.collate_pairs(pairs)) == pt.describe(pt.collate_pairs(pairs))


def test_training_on_collated_batches_matches_pytorch():
    pt, tgp = _pair("data_pipeline")
    sources = _shape_sources()
    torch.manual_seed(0)
    net_t, net_g = pt.Linear(), tgp.Linear()
    _same_weights(net_t, net_g)
    losses_t = pt.train(net_t, pt.loader(pt.build(*sources), batch_size=5))
    losses_g = tgp.train(net_g, tgp.loader(tgp.build(*sources), batch_size=5))
    assert len(losses_g) == 8
    _close(losses_t, losses_g, rtol=1e-4)
    _same_parameters(net_t, net_g, rtol=1e-4, atol=1e-6)


def test_seeded_random_split_is_a_reproducible_partition():
    """The permutation itself differs from PyTorch's (another generator);
    what a program relies on is the same: sizes, a partition, and the same
    split again for the same seed."""
    pt, tgp = _pair("data_pipeline")
    data_t, data_g = pt.build(*_shape_sources()), tgp.build(*_shape_sources())
    train_t, val_t = pt.split(data_t)
    train_g, val_g = tgp.split(data_g)
    assert (len(train_g), len(val_g)) == (len(train_t), len(val_t)) == (12, 5)
    assert sorted(train_g.indices + val_g.indices) == list(range(17))
    assert tgp.split(data_g)[0].indices == train_g.indices
    assert tgp.split(data_g, seed=1)[0].indices != train_g.indices
    assert train_g[0]["name"] == f"shape-{train_g.indices[0]}"


def test_worker_processes_load_the_same_shuffled_batches_as_the_main_process():
    _, tgp = _pair("data_pipeline")
    train, _ = tgp.split(tgp.build(*_shape_sources()))
    in_main = tgp.batch_sums(tgp.loader(train, shuffle=True, seed=3))
    # "fork": the program here is a module made by exec, which a worker
    # started by forkserver or spawn could not import to unpickle the data set
    in_workers = tgp.batch_sums(
        tgp.loader(train, shuffle=True, seed=3, num_workers=2, context="fork")
    )
    assert in_workers == in_main
    order = [name for sums in in_main for name in sums[3]]
    assert sorted(order) == sorted(train[i]["name"] for i in range(len(train)))
    assert order != [train[i]["name"] for i in range(len(train))]  # shuffled


def test_an_iterable_data_set_split_between_workers_streams_as_in_pytorch():
    """Two workers each read their own share; the loader takes their batches
    in turn: the order is deterministic, and PyTorch's."""
    pt, tgp = _pair("data_pipeline")
    in_workers_t = pt.stream(pt.Records(3, 20), num_workers=2, context="fork")
    in_workers_g = tgp.stream(tgp.Records(3, 20), num_workers=2, context="fork")
    assert [index for index, _ in in_workers_g] == [index for index, _ in in_workers_t]
    assert in_workers_g[:2] != tgp.stream(tgp.Records(3, 20))[:2]  # (interleaved)
    for (_, sums_t), (_, sums_g) in zip(in_workers_t, in_workers_g, strict=True):
        _close(sums_t, sums_g, rtol=1e-6)


# ---------------------------------------------------------------- as_torch


def _run_script(path: Path, on_tapegrad: bool) -> dict:
    """``python path`` (with PyTorch), or the same file run unchanged after
    ``tapegrad.as_torch()``; the last line it prints, as JSON."""
    code = (
        "import runpy, sys, warnings; warnings.simplefilter('ignore')\n"
        + ("import tapegrad; tapegrad.as_torch()\n" if on_tapegrad else "")
        + "runpy.run_path(sys.argv[1], run_name='__main__')"
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tutorial_script_runs_unchanged_and_prints_what_pytorch_prints():
    script = SOURCES / "polynomial_script.py"
    on_torch, on_tapegrad = _run_script(script, False), _run_script(script, True)
    assert (on_torch["library"], on_tapegrad["library"]) == ("torch", "tapegrad")
    assert on_tapegrad["threads"] == on_torch["threads"] == 1
    assert on_tapegrad["deterministic"] is on_torch["deterministic"] is True
    seq_t, seq_g = on_torch["sequential"], on_tapegrad["sequential"]
    _close(seq_t["losses"], seq_g["losses"], rtol=1e-4)
    _close(seq_t["model"], seq_g["model"], rtol=1e-4, atol=1e-6)
    _close(seq_t["resumed"], seq_g["resumed"], rtol=1e-4, atol=1e-6)
    _close(seq_g["model"], seq_g["resumed"], rtol=1e-6, atol=1e-7)  # resuming lost nothing
    leg_t, leg_g = on_torch["legendre"], on_tapegrad["legendre"]
    _close(leg_t["losses"], leg_g["losses"], rtol=1e-4)
    numbers = re.compile(r"-?\d+\.\d+")
    assert numbers.sub("#", leg_g["result"]) == numbers.sub("#", leg_t["result"])
    _close(
        [float(v) for v in numbers.findall(leg_t["result"])],
        [float(v) for v in numbers.findall(leg_g["result"])],
        rtol=1e-4,
        atol=2e-6,
    )
