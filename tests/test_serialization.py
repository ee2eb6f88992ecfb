"""tg.save / tg.load: round trips, the file format, atomic writes, bad files."""

import os
import zipfile

import pytest

import tapegrad as tg
from tapegrad import optim, serialization
from tapegrad.backend import host as np
from tapegrad.serialization import CheckpointError, load, save


def _model_state():
    tg.manual_seed(0)
    return {"0.weight": tg.randn(3, 2), "0.bias": tg.zeros(3), "count": tg.tensor(5)}


def _optimizer_state():
    p = tg.randn(3, 2, requires_grad=True)
    opt = optim.Adam([{"params": [p]}, {"params": [tg.zeros(1, requires_grad=True)]}], lr=0.01)
    (p**2).sum().backward()
    opt.step()
    return opt.state_dict()


def _assert_same(a, b):
    assert type(a) is type(b)
    if isinstance(a, tg.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert a == b


def test_model_state_dict_round_trip_keeps_keys_order_dtypes(tmp_path):
    state = _model_state()
    save(state, tmp_path / "model.tg")
    _assert_same(load(tmp_path / "model.tg"), state)


def test_optimizer_state_dict_round_trip_keeps_int_keys_and_tuples(tmp_path):
    state = _optimizer_state()
    save(state, tmp_path / "opt.tg")
    back = load(tmp_path / "opt.tg")
    _assert_same(back, state)
    assert list(back["state"]) == [0]
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)


def test_checkpoint_of_model_optimizer_and_epoch_resumes_training(tmp_path):
    ck = {
        "model": _model_state(),
        "optimizer": _optimizer_state(),
        "epoch": 3,
        "note": "run 1",
        "best": None,
        "losses": [1.5, float("inf")],
    }
    save(ck, str(tmp_path / "ck.npz"))
    _assert_same(load(str(tmp_path / "ck.npz"), map_location="cpu"), ck)


def test_checkpoint_opens_with_numpy_without_pickle(tmp_path):
    save({"model": _model_state(), "epoch": 3}, tmp_path / "ck.npz")
    with np.load(tmp_path / "ck.npz", allow_pickle=False) as z:
        assert "__tapegrad__" in z.files
        meta = bytes(z["__tapegrad__"]).decode()
        assert '"format": "tapegrad.checkpoint"' in meta and '"version": 1' in meta
        arrays = [z[k] for k in z.files if k != "__tapegrad__"]
    assert sorted(a.shape for a in arrays) == [(), (3,), (3, 2)]


def test_save_to_an_open_file_and_load_from_it(tmp_path):
    with open(tmp_path / "f.tg", "wb") as f:
        save(_model_state(), f)
    with open(tmp_path / "f.tg", "rb") as f:
        _assert_same(load(f), _model_state())


def test_unsupported_object_names_where_it_is(tmp_path):
    with pytest.raises(CheckpointError, match=r"object at obj\['b'\]\[1\]"):
        save({"a": 1, "b": [2, object()]}, tmp_path / "x")


def test_crash_during_write_keeps_the_previous_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    save({"w": tg.ones(4)}, path)
    before = path.read_bytes()
    calls = []
    real = serialization._write_array

    def crash_on_third(fileobj, arr):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full (simulated)")
        real(fileobj, arr)

    monkeypatch.setattr(serialization, "_write_array", crash_on_third)
    with pytest.raises(OSError, match="simulated"):
        save({"w": tg.zeros(4), "v": tg.zeros(2), "u": tg.zeros(1)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.npz"]
    np.testing.assert_array_equal(load(path)["w"].data, 1.0)


def test_keyboard_interrupt_during_write_leaves_no_temp_file(tmp_path, monkeypatch):
    def interrupt(fileobj, arr):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_array", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save({"w": tg.zeros(4)}, tmp_path / "ck.npz")
    assert os.listdir(tmp_path) == []


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load(tmp_path / "nope.npz")


def test_truncated_file_is_named(tmp_path):
    path = tmp_path / "ck.npz"
    save(_model_state(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"ck\.npz.*truncated or corrupt"):
        load(path)


def test_plain_text_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a model\n")
    with pytest.raises(CheckpointError, match=r"notes\.txt.* is not a tapegrad checkpoint"):
        load(path)


def test_empty_file_is_named(tmp_path):
    (tmp_path / "e.npz").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"e\.npz.*empty"):
        load(tmp_path / "e.npz")


def test_npz_without_tapegrad_metadata_is_foreign(tmp_path):
    np.savez(tmp_path / "foreign.npz", w=np.zeros(3))
    with pytest.raises(CheckpointError, match=r"foreign\.npz.*without tapegrad metadata"):
        load(tmp_path / "foreign.npz")


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "new.npz"
    meta = '{"format": "tapegrad.checkpoint", "version": 99, "root": {"type": "none"}}'
    with zipfile.ZipFile(path, "w") as zf, zf.open("__tapegrad__.npy", "w") as member:
        np.lib.format.write_array(member, np.frombuffer(meta.encode(), dtype=np.uint8))
    with pytest.raises(CheckpointError, match="version 99"):
        load(path)


def test_map_location_other_than_cpu_is_refused(tmp_path):
    save({"w": tg.zeros(1)}, tmp_path / "w")
    with pytest.raises(ValueError, match="map_location"):
        load(tmp_path / "w", map_location="cuda")


def test_safetensors_round_trip_with_metadata(tmp_path):
    pytest.importorskip("safetensors")
    state = _model_state()
    save(state, tmp_path / "m.safetensors", format="safetensors")
    _assert_same(load(tmp_path / "m.safetensors"), state)


def test_safetensors_file_is_readable_by_the_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    save(_model_state(), tmp_path / "m.safetensors", format="safetensors")
    arrays = st.load_file(str(tmp_path / "m.safetensors"))
    assert arrays["0.weight"].shape == (3, 2)


def test_safetensors_needs_a_flat_dict(tmp_path):
    pytest.importorskip("safetensors")
    with pytest.raises(CheckpointError, match="flat dict"):
        save({"model": _model_state()}, tmp_path / "m.safetensors", format="safetensors")


def test_safetensors_missing_package_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_safetensors(name, *args, **kwargs):
        if name.startswith("safetensors"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_safetensors)
    with pytest.raises(ImportError, match=r"pip install 'tapegrad\[safetensors\]'"):
        save(_model_state(), tmp_path / "m.safetensors", format="safetensors")


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'pickle'"):
        save({}, tmp_path / "x", format="pickle")


def test_saved_optimizer_state_resumes_exactly(tmp_path):
    tg.manual_seed(0)
    p = tg.randn(4, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, amsgrad=True)

    def train(opt, p, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((p - 1.0) ** 2).sum().backward()
            opt.step()

    train(opt, p, 3)
    save({"p": p, "opt": opt.state_dict()}, tmp_path / "ck")
    ck = load(tmp_path / "ck")
    q = ck["p"]
    opt2 = optim.Adam([q], lr=0.5)
    opt2.load_state_dict(ck["opt"])
    train(opt, p, 3)
    train(opt2, q, 3)
    np.testing.assert_array_equal(p.data, q.data)
