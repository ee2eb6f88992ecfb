"""Linear algebra primitives: ``matmul`` (batched, 1-D cases as NumPy),
``einsum``, ``outer``, ``dot``, and the fused affine map ``linear``."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import intraop
from tapegrad.ops.registry import as_tensor_arg, cast_common, defprim, sum_to_shape
from tapegrad.ops.shape import ShapeMismatch, permute, reshape, unsqueeze
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def mT(x: Tensor) -> Tensor:
    """Transpose of the last two dimensions."""
    n = x.ndim
    return permute(x, tuple(range(n - 2)) + (n - 1, n - 2))


# ------------------------------------------------------------------ matmul
def _matmul_fwd(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("both arguments need at least one dimension")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ValueError(f"inner sizes {ka} and {kb} differ")
    return _rows_matmul(a, b) if b.ndim == 2 else xp.matmul(a, b)


def _promoted(g, a, b):
    """The gradient with the dimensions that 1-D operands dropped put back,
    and the operands as matrices: ``(g2, a2, b2)``."""
    a2 = unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = unsqueeze(b, -1) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = unsqueeze(g2, -2 if b.ndim > 1 else 0)
    if b.ndim == 1:
        g2 = unsqueeze(g2, -1)
    return g2, a2, b2


def _matmul_a(g, out, a, b):
    g2, a2, b2 = _promoted(g, a, b)
    ga = matmul(g2, mT(b2))
    return reshape(sum_to_shape(ga, a2.shape), a.shape)


def _matmul_b(g, out, a, b):
    g2, a2, b2 = _promoted(g, a, b)
    gb = matmul(mT(a2), g2)
    return reshape(sum_to_shape(gb, b2.shape), b.shape)


MATMUL = defprim(
    "matmul",
    _matmul_fwd,
    (_matmul_a, _matmul_b),
    partials=("b^T", "a^T"),
    saves_for=((1,), (0,)),
    doc="out = a @ b (matrix product; batched over leading dims; 1-D as in NumPy)",
)


@MATMUL.public(methods=("matmul", "__matmul__"))
def matmul(input, other) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading
    dimensions are batch dimensions and broadcast."""
    a, b = cast_common(as_tensor_arg(input), as_tensor_arg(other))
    return MATMUL.apply(a, b)


def mm(input, mat2) -> Tensor:
    a, b = as_tensor_arg(input), as_tensor_arg(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeMismatch(f"mm: expects two matrices, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(input, mat2) -> Tensor:
    a, b = as_tensor_arg(input), as_tensor_arg(mat2)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ShapeMismatch(
            f"bmm: expects two batches of matrices, got shapes {a.shape} and {b.shape}"
        )
    return matmul(a, b)


def mv(input, vec) -> Tensor:
    a, b = as_tensor_arg(input), as_tensor_arg(vec)
    if a.ndim != 2 or b.ndim != 1:
        raise ShapeMismatch(
            f"mv: expects a matrix and a vector, got shapes {a.shape} and {b.shape}"
        )
    return matmul(a, b)


# ---------------------------------------------------------------- dot/outer
def _vectors(a, b, op):
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"expects two 1-D tensors, got {a.ndim}-D and {b.ndim}-D")


def _dot_fwd(a, b):
    _vectors(a, b, "dot")
    if a.shape != b.shape:
        raise ValueError("lengths differ")
    return xp.dot(a, b)


DOT = defprim(
    "dot",
    _dot_fwd,
    (lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
    partials=("b", "a"),
    saves=(0, 1),
    doc="out = sum_i a_i b_i",
)


@DOT.public(methods=("dot", "inner"))
def dot(input, other) -> Tensor:
    """Inner product of two 1-D tensors."""
    a, b = cast_common(as_tensor_arg(input), as_tensor_arg(other))
    return DOT.apply(a, b)


inner = dot


def _outer_fwd(a, b):
    _vectors(a, b, "outer")
    return xp.outer(a, b)


OUTER = defprim(
    "outer",
    _outer_fwd,
    (lambda g, out, a, b: matmul(g, b), lambda g, out, a, b: matmul(mT(g), a)),
    partials=("b^T", "a"),
    saves=(0, 1),
    doc="out_ij = a_i b_j",
)


@OUTER.public
def outer(input, vec2) -> Tensor:
    """Outer product ``out[i, j] = input[i] * vec2[j]``."""
    a, b = cast_common(as_tensor_arg(input), as_tensor_arg(vec2))
    return OUTER.apply(a, b)


ger = outer


# ------------------------------------------------------------------ einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _normalize_equation(equation: str, shapes) -> tuple[list[str], str]:
    """Explicit input and output subscripts, with ``...`` spelled out."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(
            f"einsum: equation {equation!r} names {len(ins)} operands, got {len(shapes)}"
        )
    used = set(eq) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = max((len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub), default=0)
    ell = "".join(spare[:n_ell])
    out_ins = []
    for sub, shape in zip(ins, shapes):
        if "..." in sub:
            k = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[n_ell - k :] if k else "")
        if len(sub) != len(shape):
            raise ValueError(
                f"einsum: subscripts {sub!r} do not fit an operand of shape {tuple(shape)}"
            )
        out_ins.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for c in "".join(out_ins):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return out_ins, out


def _einsum_fwd(*arrays, ins, result):
    return xp.einsum(",".join(ins) + "->" + result, *arrays, optimize=len(arrays) > 2)


def _einsum_grad(g, inputs, ins, out, i):
    """d(einsum)/d(operand i) contracted with ``g``: an einsum of ``g`` and the
    other operands, broadcast over letters only operand ``i`` has, and spread
    onto the diagonal where operand ``i`` repeats a letter."""
    target = ins[i]
    others = [(s, x) for j, (s, x) in enumerate(zip(ins, inputs)) if j != i]
    present = set(out).union(*[set(s) for s, _ in others]) if others else set(out)
    unique = "".join(dict.fromkeys(c for c in target if c in present))
    subs = [out] + [s for s, _ in others]
    ops = [g] + [x for _, x in others]
    grad = einsum(",".join(subs) + "->" + unique, *ops) if unique or ops else g
    # letters of the target missing from `unique` are broadcast (ones);
    # a repeated letter gets a fresh name tied to the first by an identity
    sizes = dict(zip(target, inputs[i].shape))
    taken = set(target) | set(out) | set("".join(ins))
    spare = iter(c for c in _LETTERS if c not in taken)
    seen, full = set(), ""
    terms, arrays = [unique], [grad]
    for c in target:
        if c in seen:
            fresh = next(spare)
            terms.append(c + fresh)
            arrays.append(new_tensor(xp.eye(sizes[c], dtype=g.dtype)))
            full += fresh
        else:
            seen.add(c)
            full += c
            if c not in unique:
                terms.append(c)
                arrays.append(new_tensor(xp.ones(sizes[c], dtype=g.dtype)))
    if len(arrays) == 1 and unique == full:
        return grad
    return einsum(",".join(terms) + "->" + full, *arrays)


def _einsum_vjp(g, out, *inputs, ins, result, needs):
    return tuple(
        _einsum_grad(g, inputs, ins, result, i) if need else None for i, need in enumerate(needs)
    )


EINSUM = defprim(
    "einsum",
    _einsum_fwd,
    vjp_all=_einsum_vjp,
    partials=("others", "others"),
    saves=(),
    doc="out = the sum over repeated subscripts of the operands' products",
)


@EINSUM.public(methods=())
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation (``'ij,jk->ik'``; ``...`` and implicit output as NumPy)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = cast_common(*[as_tensor_arg(x) for x in operands])
    ins, out = _normalize_equation(equation, [x.shape for x in ts])
    sizes: dict[str, int] = {}
    for sub, x in zip(ins, ts):
        for c, n in zip(sub, x.shape):
            if sizes.setdefault(c, n) != n:
                shapes = " and ".join(str(x.shape) for x in ts)
                raise ShapeMismatch(
                    f"einsum: shapes {shapes} do not fit {equation!r} (letter {c!r})"
                )
    return EINSUM.apply(*ts, ins=tuple(ins), result=out)


# ------------------------------------------------------------------ linear
def _linear_fwd(x, w, *b):
    if x.shape[-1] != w.shape[-1]:
        raise ValueError("in_features differ")
    out = _rows_matmul(x, w.T)
    if b:
        out += b[0]
    return out


def _linear_vjp(g, out, x, w, b=None, *, needs):
    """``gx = g W``, ``gW = g^T x``, ``gb = sum_rows g``, the leading dims of
    ``x (..., in)`` and ``g (..., out)`` flattened into rows: the work of a
    hand-written backward, on arrays and on tensors alike."""
    gx = _rows_matmul(g, w) if needs[0] else None
    gw = gb = None
    if needs[1] or (b is not None and needs[2]):
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        if needs[1]:
            gw = _rows_matmul(g2.T, x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
        if b is not None and needs[2]:
            gb = _column_sums(g2)
    return (gx, gw, gb)[: len(needs)]


def _rows_matmul(x, m):
    """``x @ m`` for ``x (..., k)`` and a matrix ``m (k, n)``: on arrays, the
    leading dims flattened into rows, one matrix product (NumPy's stacked
    matmul is about 1.5 times slower on a (16, 64, 128) batch); while
    tapegrad's own threads are in use, through ``intraop.matmul`` (which
    decides the threads a product runs on)."""
    if x.ndim > 2 and x.__class__ is B.ndarray:
        rows = _rows_matmul(x.reshape(-1, x.shape[-1]), m)
        return rows.reshape(x.shape[:-1] + (m.shape[-1],))
    if _THREADS_IN_USE[0] and x.ndim == 2 and x.__class__ is B.ndarray:
        return intraop.matmul(x, m)
    return x @ m


_THREADS_IN_USE = intraop.THREADS_IN_USE


def _column_sums(g):
    """``g.sum(0)``: on an array through the ufunc (the array method costs a
    third more); for one row, that row (a reduction costs more than the rest
    of a small layer's backward)."""
    if g.shape[0] == 1:
        return g[0]
    return B.add_reduce(g, 0) if g.__class__ is B.ndarray else g.sum(0)


LINEAR = defprim(
    "linear",
    _linear_fwd,
    vjp_all=_linear_vjp,
    partials=("W^T", "x", "1"),
    saves=(0, 1),
    arrays=True,
    doc="out = x W^T + b (one node: the fused affine layer)",
)


@LINEAR.public(methods=())
def linear(input, weight, bias=None) -> Tensor:
    """``input @ weight.T + bias``: ``input (..., in)``, ``weight (out, in)``,
    ``bias (out,)``; one node with one vjp (no transposed copies)."""
    args = (input, weight) if bias is None else (input, weight, bias)
    try:  # (attribute reads: cheaper than isinstance for a Parameter)
        dtype = input._array.dtype
        same = weight._array.dtype is dtype and (bias is None or bias._array.dtype is dtype)
    except AttributeError:  # not all tensors
        same = False
    if same and isinstance(input, Tensor):
        return LINEAR.apply(*args)
    return LINEAR.apply(*cast_common(*map(as_tensor_arg, args)))
