"""Recurrent primitives: the RNN, LSTM and GRU cells, each run over a sequence.

One entry per cell kind.  The input projections of all steps,
``gx = x W_ih^T + b_ih``, are one GEMM made before the entry; the entry runs
its cell at every step and records ONE node for the whole sequence, so a
sequence of any length costs one node per layer and direction, and the
vjp accumulates the weight gradients of all steps in one GEMM.  (A node per
step would need a slice of ``gx`` per step, and the gradient of each slice
is an array of ``gx``'s full size: quadratic in the length.)  ``nn.LSTMCell``
and friends run the same entry over one step.

The layout is PyTorch's packed layout, which also covers a padded batch::

    gx  (N, G)      the projected inputs, time-major rows: step t holds rows
                    offset_t .. offset_t + batch_sizes[t] - 1, its first
                    batch_sizes[t] sequences (sorted by decreasing length)
    s0  (B, S)      the initial state: h (RNN, GRU) or [h, c] side by side (LSTM)
    out (N + B, S)  the state after each step (rows as gx), then the final
                    state of every sequence (h_n, or [h_n, c_n])

``reverse=True`` runs the steps from the last to the first (the backward
direction of a bidirectional layer).  The vjps are written in tapegrad ops
and run on arrays (``backward()``) and on tensors (second derivatives); what
the steps keep for them (gate activations, previous states) is the entry's
``saves_aux``, computed once by the same step functions.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.elementwise import (
    RELU,
    SIGMOID,
    SIGMOID_BACKWARD,
    TANH,
    TANH_BACKWARD,
    THRESHOLD_BACKWARD,
)
from tapegrad.ops.registry import defprim
from tapegrad.ops.shape import CAT

xp = B.xp


def _cat(parts, dim: int):
    """The parts joined along ``dim`` (arrays or tensors); one part as it is."""
    return parts[0] if len(parts) == 1 else CAT.apply(*parts, dim=dim)


def _schedule(batch_sizes, reverse: bool) -> list:
    """``(first row, rows)`` of each step of ``gx``, in the order they run."""
    starts, n = [], 0
    for size in batch_sizes:
        starts.append(n)
        n += size
    steps = list(zip(starts, batch_sizes))
    return steps[::-1] if reverse else steps


# ------------------------------------------------------------- the cells
# A step maps (gx_t, s, w_hh, b_hh, w_hr) to (the new state, what its vjp
# reads); a step's vjp maps (gs, s, kept, weights) to (the gradient of gx_t,
# of s, and per weight a pair (left, right) whose product left^T right,
# summed over the steps, is the weight's gradient; the bias gets left's sums).
def _lstm_step(gx, s, w, b, wr, **_):
    hid, p = w.shape[0] // 4, w.shape[1]
    h, c = s[:, :p], s[:, p:]
    z = gx + h @ w.T
    if b is not None:
        z = z + b
    i_f = SIGMOID.apply(z[:, : 2 * hid])
    i, f = i_f[:, :hid], i_f[:, hid:]
    g = TANH.apply(z[:, 2 * hid : 3 * hid])
    o = SIGMOID.apply(z[:, 3 * hid :])
    c2 = f * c + i * g
    tc = TANH.apply(c2)
    m = o * tc
    h2 = m if wr is None else m @ wr.T
    return CAT.apply(h2, c2, dim=1), (i, f, g, o, tc, m)


def _lstm_back(gs, s, kept, w, b, wr, **_):
    i, f, g, o, tc, m = kept
    p = w.shape[1]
    h, c = s[:, :p], s[:, p:]
    gh, gc = gs[:, :p], gs[:, p:]
    gm = gh if wr is None else gh @ wr
    gc2 = gc + TANH_BACKWARD.apply(gm * o, tc)
    dz = CAT.apply(
        SIGMOID_BACKWARD.apply(gc2 * g, i),
        SIGMOID_BACKWARD.apply(gc2 * c, f),
        TANH_BACKWARD.apply(gc2 * i, g),
        SIGMOID_BACKWARD.apply(gm * tc, o),
        dim=1,
    )
    gs_prev = CAT.apply(dz @ w, gc2 * f, dim=1)
    return dz, gs_prev, ((dz, h), (gh, m))


def _gru_step(gx, h, w, b, wr, **_):
    hid = w.shape[1]
    hh = h @ w.T
    if b is not None:
        hh = hh + b
    rz = SIGMOID.apply(gx[:, : 2 * hid] + hh[:, : 2 * hid])
    r, z = rz[:, :hid], rz[:, hid:]
    hn = hh[:, 2 * hid :]
    n = TANH.apply(gx[:, 2 * hid :] + r * hn)
    return n + z * (h - n), (r, z, n, hn)


def _gru_back(gs, h, kept, w, b, wr, **_):
    r, z, n, hn = kept
    dn = TANH_BACKWARD.apply(gs - gs * z, n)
    dr = SIGMOID_BACKWARD.apply(dn * hn, r)
    dz = SIGMOID_BACKWARD.apply(gs * (h - n), z)
    dhh = CAT.apply(dr, dz, dn * r, dim=1)
    return CAT.apply(dr, dz, dn, dim=1), gs * z + dhh @ w, ((dhh, h),)


def _rnn_step(gx, h, w, b, wr, *, nonlinearity):
    pre = gx + h @ w.T
    if b is not None:
        pre = pre + b
    h2 = RELU.apply(pre) if nonlinearity == "relu" else TANH.apply(pre)
    return h2, (h2,)


def _rnn_back(gs, h, kept, w, b, wr, *, nonlinearity):
    (h2,) = kept
    back = THRESHOLD_BACKWARD if nonlinearity == "relu" else TANH_BACKWARD
    d = back.apply(gs, h2)
    return d, d @ w, ((d, h),)


# ------------------------------------------------------- over a sequence
def _weights(w, rest, bias: bool):
    """``(w_hh, b_hh or None, w_hr or None)`` from the inputs after ``s0``."""
    b = rest[0] if bias else None
    wr = rest[-1] if len(rest) > bias else None
    return w, b, wr


def _run(step, gx, s0, weights, batch_sizes, reverse, kw):
    """The steps forward: ``(trace, states, final)``: per step in the order
    run, the state it started from and what it kept; the new states in time
    order; the final state of every sequence (rows in batch order)."""
    steps = _schedule(batch_sizes, reverse)
    first = steps[0][1]
    s = s0 if first == s0.shape[0] else s0[:first]
    done, trace, states = [], [], []
    for start, n in steps:
        rows = s.shape[0]
        if n < rows:  # the last rows' sequences ended: their final states
            done.append(s[n:])
            s = s[:n]
        elif n > rows:  # (reverse) sequences that start here: their initial states
            s = CAT.apply(s, s0[rows:n], dim=0)
        s2, kept = step(gx[start : start + n], s, *weights, **kw)
        trace.append((s, kept))
        states.append(s2)
        s = s2
    final = _cat([s] + done[::-1], 0)
    return trace, states[::-1] if reverse else states, final


def _run_back(back, g, gx, s0, weights, trace, batch_sizes, reverse, needs, kw):
    """The steps backward: the gradients of ``gx``, ``s0`` and the weights."""
    steps = _schedule(batch_sizes, reverse)
    total = gx.shape[0]
    g_final = g[total:]
    gs = g_final[: steps[-1][1]]
    g_gx, g_s0, pairs = [], [], []
    for k in range(len(steps) - 1, -1, -1):
        start, n = steps[k]
        s, kept = trace[k]
        gs = gs + g[start : start + n]
        dgx, gs_prev, parts = back(gs, s, kept, *weights, **kw)
        g_gx.append(dgx)
        pairs.append(parts)
        rows = steps[k - 1][1] if k else n
        if n < rows:  # the forward split these rows off: their final states' gradients
            gs = CAT.apply(gs_prev, g_final[n:rows], dim=0)
        elif n > rows:  # the forward took these rows from s0
            g_s0.append(gs_prev[rows:n])
            gs = gs_prev[:rows]
        else:
            gs = gs_prev
    if not reverse:  # (both lists in time order)
        g_gx, pairs = g_gx[::-1], pairs[::-1]
    w, b, wr = weights
    grads = [_cat(g_gx, 0) if needs[0] else None, _cat([gs] + g_s0[::-1], 0)]
    for j, weight in enumerate((w, wr)):
        if weight is None:
            continue
        lefts = [p[j][0] for p in pairs]
        same = grads[0] is not None and all(a is b for a, b in zip(lefts, g_gx))
        left = grads[0] if same else _cat(lefts, 0)  # (LSTM, RNN: the same dz as gx's)
        right = _cat([p[j][1] for p in pairs], 0)
        grads.append(left.T @ right)
        if j == 0 and b is not None:
            grads.append(left.sum(0))
    return grads


def _entry(name: str, step, back, partials: tuple, doc: str):
    """The table entry of one cell kind run over a sequence."""

    def saves_aux(gx, s0, w, *rest, batch_sizes, reverse, bias, **kw):
        weights = _weights(w, rest, bias)
        return _run(step, gx, s0, weights, batch_sizes, reverse, kw)

    def forward(gx, s0, w, *rest, aux, **params):
        _, states, final = aux
        return xp.concatenate(states + [final])

    def vjp_all(g, out, gx, s0, w, *rest, needs, aux, batch_sizes, reverse, bias, **kw):
        weights = _weights(w, rest, bias)
        grads = _run_back(back, g, gx, s0, weights, aux[0], batch_sizes, reverse, needs, kw)
        return tuple(gi if need else None for gi, need in zip(grads, needs))

    return defprim(
        name,
        forward,
        vjp_all=vjp_all,
        partials=partials,
        saves=(1, 2, 3, 4),
        saves_aux=saves_aux,
        arrays=True,
        doc=doc,
    )


_PARTIALS = ("dz", "dz W_hh (through time)", "sum_t dz^T h", "sum_t dz", "sum_t gh^T m")

RNN_CELL = _entry(
    "rnn_cell",
    _rnn_step,
    _rnn_back,
    _PARTIALS[:4],
    "h_t = act(gx_t + h_{t-1} W_hh^T + b_hh), act tanh or relu, at every step; "
    "out = [h_t per step; h_n]",
)
LSTM_CELL = _entry(
    "lstm_cell",
    _lstm_step,
    _lstm_back,
    _PARTIALS,
    "[i f g o] = [s s tanh s](gx_t + h W_hh^T + b_hh); c' = f c + i g; "
    "h' = (o tanh c') W_hr^T (W_hr: proj_size); out = [[h', c'] per step; [h_n, c_n]]",
)
GRU_CELL = _entry(
    "gru_cell",
    _gru_step,
    _gru_back,
    _PARTIALS[:4],
    "[r z] = sigmoid(gx_rz + h W_rz^T + b_rz); n = tanh(gx_n + r (h W_n^T + b_n)); "
    "h' = (1 - z) n + z h at every step; out = [h' per step; h_n]",
)


def run_cell(prim, gx, s0, w_hh, b_hh=None, w_hr=None, *, batch_sizes, reverse=False, **kw):
    """``prim`` (one of the entries above) over a sequence: ``gx (N, G)``,
    ``s0 (B, S)`` -> ``(N + B, S)`` (see the module docstring)."""
    inputs = [gx, s0, w_hh] + [t for t in (b_hh, w_hr) if t is not None]
    return prim.apply(
        *inputs, batch_sizes=tuple(batch_sizes), reverse=reverse, bias=b_hh is not None, **kw
    )
