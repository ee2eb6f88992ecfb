"""``tg.save`` / ``tg.load``: state dicts in a safe, atomic file format.

A checkpoint is a NumPy ``.npz`` archive that ``numpy.load(path,
allow_pickle=False)`` opens: every tensor is one array entry (``a0``, ``a1``,
... in the order met), and the entry ``__tapegrad__`` holds UTF-8 JSON with the
format name and version and the structure of the saved object (dicts with
their keys in order, lists, tuples, numbers, strings, ``None``, and for each
tensor its entry, dtype, shape and ``requires_grad``).  Loading never runs
code: nothing is pickled.

What can be saved: a model's ``state_dict()`` (name -> Tensor), an
optimiser's (nested dicts and lists of tensors and numbers), or any dict
holding such things, e.g. ``{"model": ..., "optimizer": ..., "epoch": 3}``.

Files are written atomically: the archive goes to a temporary file in the
same folder, which then replaces ``path`` (``os.replace``), so a crash while
writing leaves the previous file intact and no temporary file behind.

``format="safetensors"`` writes a flat ``{name: Tensor}`` dict through the
``safetensors`` package's NumPy API (an optional extra), with the same JSON
under the metadata key ``tapegrad``; ``tg.load`` recognises both formats.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from typing import Any

from tapegrad import backend as B
from tapegrad._io import atomic_path
from tapegrad.tensor import Tensor, from_numpy

np = B.host

__all__ = ["CheckpointError", "load", "save"]

FORMAT_NAME = "tapegrad.checkpoint"
FORMAT_VERSION = 1
META_KEY = "__tapegrad__"
SAFETENSORS_META_KEY = "tapegrad"
_SCALARS = {"int": int, "float": float, "bool": bool, "str": str}


class CheckpointError(ValueError):
    """A file is not a readable tapegrad checkpoint (the message names it),
    or an object cannot be stored in one."""


# ------------------------------------------------------------ flattening
def _flatten(obj, arrays: dict, where: str) -> dict:
    """The JSON node of ``obj``; tensors' arrays go into ``arrays``."""
    if isinstance(obj, Tensor) or B.is_array(obj):
        arr = B.to_host(obj.numpy(force=True) if isinstance(obj, Tensor) else obj)
        if arr.dtype.kind not in "biuf":
            raise CheckpointError(f"save: cannot store a tensor of dtype {arr.dtype} at {where}")
        key = f"a{len(arrays)}"
        arrays[key] = arr
        grad = isinstance(obj, Tensor) and obj.requires_grad
        return {
            "type": "tensor",
            "key": key,
            "dtype": str(arr.dtype),
            "shape": list(arr.shape),
            "requires_grad": grad,
        }
    if obj is None:
        return {"type": "none"}
    if isinstance(obj, bool):
        return {"type": "bool", "value": obj}
    if isinstance(obj, (int, np.integer)):
        return {"type": "int", "value": int(obj)}
    if isinstance(obj, (float, np.floating)):
        return {"type": "float", "value": float(obj)}
    if isinstance(obj, str):
        return {"type": "str", "value": obj}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise CheckpointError(
                    f"save: dict keys must be str or int, got {type(k).__name__} key {k!r} "
                    f"at {where}"
                )
            items.append([k, _flatten(v, arrays, f"{where}[{k!r}]")])
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {
            "type": kind,
            "items": [_flatten(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)],
        }
    raise CheckpointError(
        f"save: cannot store an object of type {type(obj).__name__} at {where} "
        "(tensors, dicts, lists, tuples, numbers, strings and None can be stored)"
    )


def _unflatten(node: dict, arrays, name: str):
    kind = node.get("type") if isinstance(node, dict) else None
    if kind == "tensor":
        try:
            arr = arrays[node["key"]]
        except KeyError:
            raise CheckpointError(f"load: {name}: array entry {node['key']!r} is missing") from None
        if str(arr.dtype) != node["dtype"] or list(arr.shape) != node["shape"]:
            raise CheckpointError(
                f"load: {name}: entry {node['key']!r} has dtype {arr.dtype} and shape "
                f"{tuple(arr.shape)} but the metadata says {node['dtype']} {tuple(node['shape'])}"
            )
        t = from_numpy(B.xp.asarray(arr))
        if node.get("requires_grad") and arr.dtype.kind == "f":
            t.requires_grad = True
        return t
    if kind == "none":
        return None
    if kind in _SCALARS:
        return _SCALARS[kind](node["value"])
    if kind == "dict":
        return {k: _unflatten(v, arrays, name) for k, v in node["items"]}
    if kind in ("list", "tuple"):
        items = [_unflatten(v, arrays, name) for v in node["items"]]
        return tuple(items) if kind == "tuple" else items
    raise CheckpointError(f"load: {name}: unknown node {node!r} in the metadata")


def _metadata(root: dict) -> str:
    return json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root})


def _parse_metadata(text: str, name: str) -> dict:
    try:
        meta = json.loads(text)
    except ValueError as e:
        raise CheckpointError(f"load: {name}: the metadata is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"load: {name}: the metadata is not tapegrad's ({FORMAT_NAME})")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"load: {name} has checkpoint format version {meta['version']}; this tapegrad "
            f"reads up to version {FORMAT_VERSION} (upgrade tapegrad)"
        )
    return meta


# ------------------------------------------------------------------ write
def _write_array(fileobj, arr) -> None:
    """One ``.npy`` entry (never pickled)."""
    np.lib.format.write_array(fileobj, _contiguous(arr), allow_pickle=False)


def _contiguous(arr):
    """C-ordered (``ascontiguousarray`` would turn a 0-d array into 1-d)."""
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _write_npz(fileobj, meta: str, arrays: dict) -> None:
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        entries = {META_KEY: np.frombuffer(meta.encode("utf-8"), dtype=np.uint8), **arrays}
        for key, arr in entries.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as member:
                _write_array(member, arr)


def _atomic_write(path, write) -> None:
    """Call ``write(tmp_path)`` for a temporary file beside ``path``, then
    move it onto ``path`` (``tapegrad._io.atomic_path``)."""
    try:
        with atomic_path(path, fsync=True) as tmp:
            write(os.fspath(tmp))
    except FileNotFoundError as e:
        raise FileNotFoundError(f"save: {e}") from None


def save(obj: Any, f, format: str = "npz") -> None:
    """Write ``obj`` (a state dict, or a dict/list of them, tensors, numbers,
    strings) to the path ``f`` atomically, or to an open binary file.

    ``format``: ``"npz"`` (default; readable with ``numpy.load(f,
    allow_pickle=False)``) or ``"safetensors"`` (a flat ``{str: Tensor}``
    dict only; needs ``pip install 'tapegrad[safetensors]'``).  The path is
    used as given (no extension is added)."""
    if format == "safetensors":
        _save_safetensors(obj, f)
        return
    if format != "npz":
        raise ValueError(f"save: unknown format {format!r} (use 'npz' or 'safetensors')")
    arrays: dict = {}
    meta = _metadata(_flatten(obj, arrays, "obj"))
    if hasattr(f, "write"):
        _write_npz(f, meta, arrays)
        return

    def write(tmp):
        with open(tmp, "wb") as out:
            _write_npz(out, meta, arrays)

    _atomic_write(f, write)


def _safetensors_numpy():
    try:
        import safetensors.numpy as st  # noqa: PLC0415
    except ImportError:
        raise ImportError(
            "the safetensors format needs the safetensors package: "
            "pip install 'tapegrad[safetensors]'"
        ) from None
    return st


def _save_safetensors(obj, f) -> None:
    st = _safetensors_numpy()
    if not isinstance(obj, Mapping):
        raise CheckpointError(
            f"save: format='safetensors' stores a flat dict of tensors, got {type(obj).__name__}"
        )
    tensors = {}
    for k, v in obj.items():
        if not isinstance(k, str) or not (isinstance(v, Tensor) or B.is_array(v)):
            raise CheckpointError(
                f"save: format='safetensors' stores a flat dict of str -> Tensor; entry {k!r} "
                f"is a {type(v).__name__} (use the default npz format for nested state)"
            )
        tensors[k] = _contiguous(B.to_host(v.numpy(force=True) if isinstance(v, Tensor) else v))
    arrays: dict = {}
    meta = _metadata(_flatten(dict(obj), arrays, "obj"))
    by_key = {f"a{i}": name for i, name in enumerate(tensors)}
    if hasattr(f, "write"):
        raise CheckpointError("save: format='safetensors' needs a path, not an open file")
    meta_json = json.dumps({"meta": meta, "keys": by_key})
    _atomic_write(
        f, lambda tmp: st.save_file(tensors, tmp, metadata={SAFETENSORS_META_KEY: meta_json})
    )


# ------------------------------------------------------------------- read
def load(f, map_location=None, *, weights_only: bool = True) -> Any:
    """Read what ``save`` wrote (from a path or an open binary file); tensors
    come back as ``Tensor``s.  ``map_location`` may be None or ``"cpu"``;
    ``weights_only`` is accepted for PyTorch compatibility (loading never
    runs code).  A missing, truncated or foreign file raises an error that
    names it."""
    if map_location not in (None, "cpu") and str(map_location) != "cpu":
        raise ValueError(f"load: map_location={map_location!r}: only 'cpu' is supported")
    name = repr(os.fspath(f)) if not hasattr(f, "read") else repr(getattr(f, "name", "<file>"))
    if not hasattr(f, "read"):
        if not os.path.exists(f):
            raise FileNotFoundError(f"load: no such file: {name}")
        if os.path.isdir(f):
            raise CheckpointError(f"load: {name} is a folder, not a checkpoint file")
        with open(f, "rb") as fh:
            head = fh.read(16)
    else:
        pos = f.tell()
        head = f.read(16)
        f.seek(pos)
    if head[:4] == b"PK\x03\x04":
        return _load_npz(f, name)
    if len(head) >= 9 and head[8:9] == b"{":
        return _load_safetensors(f, name)
    if not head:
        raise CheckpointError(f"load: {name} is empty (an interrupted write?)")
    raise CheckpointError(
        f"load: {name} is not a tapegrad checkpoint (expected an .npz archive written by "
        "tg.save, or a safetensors file)"
    )


def _load_npz(f, name: str):
    try:
        with np.load(f, allow_pickle=False) as npz:
            if META_KEY not in npz.files:
                raise CheckpointError(
                    f"load: {name} is an .npz archive without tapegrad metadata (no entry "
                    f"{META_KEY!r}); it was not written by tg.save"
                )
            meta = _parse_metadata(bytes(npz[META_KEY]).decode("utf-8"), name)
            keys = set(npz.files) - {META_KEY}
            arrays = {k: npz[k] for k in keys}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
        raise CheckpointError(
            f"load: {name} is truncated or corrupt ({type(e).__name__}: {e})"
        ) from None
    return _unflatten(meta["root"], arrays, name)


def _load_safetensors(f, name: str):
    st = _safetensors_numpy()
    if hasattr(f, "read"):
        data = f.read()
        loader = lambda: st.load(data)  # noqa: E731
        meta_text = None
    else:
        loader = lambda: st.load_file(f)  # noqa: E731
        meta_text = _safetensors_metadata(f)
    try:
        arrays = loader()
    except Exception as e:  # the package raises its own error types
        raise CheckpointError(
            f"load: {name} is truncated or corrupt ({type(e).__name__}: {e})"
        ) from None
    if meta_text is None:  # a safetensors file from elsewhere: a flat dict in file order
        return {k: from_numpy(B.xp.asarray(v)) for k, v in arrays.items()}
    info = json.loads(meta_text)
    meta = _parse_metadata(info["meta"], name)
    return _unflatten(meta["root"], {k: arrays[n] for k, n in info["keys"].items()}, name)


def _safetensors_metadata(path) -> str | None:
    from safetensors import safe_open  # noqa: PLC0415

    try:
        with safe_open(path, framework="np") as handle:
            meta = handle.metadata() or {}
    except Exception as e:
        raise CheckpointError(
            f"load: {path!r} is truncated or corrupt ({type(e).__name__}: {e})"
        ) from None
    return meta.get(SAFETENSORS_META_KEY)
