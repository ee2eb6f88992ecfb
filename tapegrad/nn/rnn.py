"""Recurrent layers with PyTorch's names and semantics: ``RNN`` (tanh or
relu), ``LSTM`` (with ``proj_size``), ``GRU`` and their one-step ``*Cell``s.

A layer computes the input projections of every step in one GEMM,
``gx = x W_ih^T + b_ih`` over all rows of the sequence, then runs its cell
over the sequence as one node (``tapegrad.ops.rnn``); layers stack, each
direction of a bidirectional layer reads the layer below, and the
directions' outputs are joined on the feature axis.  Gates are stacked as
PyTorch stacks them: i, f, g, o (LSTM) and r, z, n (GRU).
"""

from __future__ import annotations

import math
import numbers
import warnings

import tapegrad as tg
from tapegrad.nn import functional as F
from tapegrad.nn import init
from tapegrad.nn.module import Module, Parameter
from tapegrad.nn.rnn_utils import PackedSequence
from tapegrad.ops.rnn import GRU_CELL, LSTM_CELL, RNN_CELL, run_cell

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_CELLS = {"LSTM": LSTM_CELL, "GRU": GRU_CELL, "RNN_TANH": RNN_CELL, "RNN_RELU": RNN_CELL}


def _check_type(value, kind, name: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


def _check_arguments(
    mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size
):
    """PyTorch's checks of a recurrent layer's arguments, with its messages
    (and its warning for dropout on a single layer)."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool):
        dropout = -1
    if not 0 <= dropout <= 1:
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of "
            "an element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=4,  # (the caller of the layer's constructor)
        )
    _check_type(bias, bool, "bias")
    _check_type(batch_first, bool, "batch_first")
    _check_type(input_size, int, "input_size")
    _check_type(hidden_size, int, "hidden_size")
    for value, name in ((input_size, "input_size"), (hidden_size, "hidden_size")):
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)


class RNNBase(Module):
    """The stack of recurrent layers behind ``RNN``, ``LSTM`` and ``GRU``."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_arguments(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size
        )
        dropout = float(dropout)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gates = _GATES[mode] * hidden_size
        real = proj_size or hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[: 2 if bidirectional else 1]:
                width = input_size if layer == 0 else real * self.num_directions
                shapes = [("weight_ih", (gates, width)), ("weight_hh", (gates, real))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(tg.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        per = len(self._flat_weights_names) // (self.num_layers * self.num_directions)
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch's compacts the weights for cuDNN)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------ forward
    def _state_sizes(self) -> tuple:
        """Widths of the state's parts: (h,) or (h, c)."""
        real = self.proj_size or self.hidden_size
        return (real, self.hidden_size) if self.mode == "LSTM" else (real,)

    def _prepare(self, input, hx):
        """``(rows (N, I), batch_sizes, states, layout)``: the input as the rows
        of its steps, the initial states as tensors (L*D, B, width) (or None)."""
        name = "LSTM" if self.mode == "LSTM" else ("GRU" if self.mode == "GRU" else "RNN")
        parts = (hx if isinstance(hx, (tuple, list)) else (hx,)) if hx is not None else None
        if isinstance(input, PackedSequence):
            data, sizes, sorted_indices, unsorted_indices = input
            batch_sizes = [int(n) for n in sizes.tolist()]
            if data.ndim != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {data.ndim}")
            if parts is not None and sorted_indices is not None:
                parts = tuple(p[:, sorted_indices.numpy()] for p in parts)
            layout = ("packed", sizes, sorted_indices, unsorted_indices)
            rows, batch = data, batch_sizes[0]
        else:
            x = input if isinstance(input, tg.Tensor) else tg.as_tensor(input)
            if x.ndim not in (2, 3):
                raise ValueError(
                    f"{name}: Expected input to be 2D or 3D, got {x.ndim}D"
                    + (" tensor instead" if name == "RNN" else " instead")
                )
            batched = x.ndim == 3
            if parts is not None and any(p.ndim != (3 if batched else 2) for p in parts):
                dims = ", ".join(f"{p.ndim}-D" for p in parts)
                kind = "batched 3-D" if batched else "unbatched 2-D"
                want = "3-D" if batched else "2-D"
                raise RuntimeError(
                    f"For {kind} input, hx should also be {want} but got ({dims}) tensor(s)"
                )
            if not batched:
                x = x.unsqueeze(1)
                parts = tuple(p.unsqueeze(1) for p in parts) if parts is not None else None
            elif self.batch_first:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            batch_sizes = [batch] * steps
            rows = x.reshape(steps * batch, x.shape[2])
            layout = ("padded", batched)
        if rows.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {rows.shape[-1]}"
            )
        if parts is not None:
            self._check_states(parts, batch)
        return rows, batch_sizes, parts, layout

    def _check_states(self, parts, batch: int) -> None:
        if len(parts) != len(self._state_sizes()):
            raise RuntimeError(
                f"{type(self).__name__}: expected {len(self._state_sizes())} initial state "
                f"tensor(s), got {len(parts)}"
            )
        for p, width, what in zip(parts, self._state_sizes(), ("hidden", "cell")):
            expected = (self.num_layers * self.num_directions, batch, width)
            if tuple(p.shape) != expected:
                raise RuntimeError(f"Expected {what} size {expected}, got {list(p.shape)}")

    def _initial(self, parts, k: int, batch: int, dtype):
        """The initial state of layer-direction ``k`` as one (B, S) tensor."""
        if parts is None:
            return tg.zeros((batch, sum(self._state_sizes())), dtype=dtype)
        pieces = [p[k] for p in parts]
        return pieces[0] if len(pieces) == 1 else tg.cat(pieces, 1)

    def forward(self, input, hx=None):
        rows, batch_sizes, parts, layout = self._prepare(input, hx)
        total, batch = rows.shape[0], batch_sizes[0]
        width = self._state_sizes()[0]
        cell, kw = _CELLS[self.mode], {}
        if self.mode.startswith("RNN"):
            kw["nonlinearity"] = "relu" if self.mode == "RNN_RELU" else "tanh"
        finals = []
        weights = iter(self.all_weights)
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self.num_directions):
                w = next(weights)
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size else None
                k = layer * self.num_directions + direction
                s0 = self._initial(parts, k, batch, rows.dtype)
                if b_hh is not None and self.mode != "GRU":  # (b_hh outside GRU's r * (.))
                    b_ih, b_hh = b_ih + b_hh, None
                gx = F.linear(rows, w_ih, b_ih)  # every step's projection: one GEMM
                out = run_cell(
                    cell, gx, s0, w_hh, b_hh, w_hr, batch_sizes=batch_sizes,
                    reverse=direction == 1, **kw,
                )  # fmt: skip
                outs.append(out[:total, :width])
                finals.append(out[total:])
            rows = outs[0] if len(outs) == 1 else tg.cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                rows = F.dropout(rows, self.dropout, True)
        return self._outputs(rows, finals, batch_sizes, layout)

    def _outputs(self, rows, finals, batch_sizes, layout):
        sizes = self._state_sizes()
        states, start = [], 0
        for n in sizes:
            states.append(tg.stack([f[:, start : start + n] for f in finals]))
            start += n
        if layout[0] == "packed":
            _, sizes_t, sorted_indices, unsorted_indices = layout
            if unsorted_indices is not None:
                states = [s[:, unsorted_indices.numpy()] for s in states]
            output = PackedSequence(rows, sizes_t, sorted_indices, unsorted_indices)
        else:
            output = rows.reshape(len(batch_sizes), batch_sizes[0], rows.shape[1])
            if not layout[1]:
                output = output.squeeze(1)
                states = [s.squeeze(1) for s in states]
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, (tuple(states) if len(states) == 2 else states[0])


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act
    ``tanh`` or ``relu``; ``RNN(input_size, hidden_size, num_layers=1,
    nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``.  ``forward(input, hx=None) -> (output, h_n)``."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_" + self.nonlinearity.upper(), *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: ``[i f g o] = [s s tanh s](x W_ih^T + b_ih + h
    W_hh^T + b_hh)``, ``c' = f c + i g``, ``h' = o tanh(c')`` (times
    ``W_hr^T`` with ``proj_size``).  ``forward(input, (h_0, c_0)=None) ->
    (output, (h_n, c_n))``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: ``[r z] = sigmoid(x W_ih^T + b_ih + h W_hh^T +
    b_hh)``, ``n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))``,
    ``h' = (1 - z) n + z h``.  ``forward(input, hx=None) -> (output, h_n)``."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ------------------------------------------------------------------ cells
class RNNCellBase(Module):
    """One step of a recurrent layer: ``weight_ih (G, input_size)``,
    ``weight_hh (G, hidden_size)``, ``bias_ih``, ``bias_hh (G,)``."""

    _mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(tg.empty((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(tg.empty((gates, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(tg.empty((gates,), dtype=dtype))
            self.bias_hh = Parameter(tg.empty((gates,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input, parts, **kw):
        """One step from ``input (B, I)`` and the state's parts (B, width)."""
        name = type(self).__name__
        x = input if isinstance(input, tg.Tensor) else tg.as_tensor(input)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has {x.shape[-1]} features (shape {tuple(x.shape)}), "
                f"expected input_size={self.input_size}"
            )
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        batch = x.shape[0]
        if parts is None:
            s0 = tg.zeros((batch, self.hidden_size * (2 if self._mode == "LSTM" else 1)),
                          dtype=x.dtype)  # fmt: skip
        else:
            for p in parts:
                shape = tuple(p.shape)
                if (
                    p.ndim not in (1, 2)
                    or shape[-1] != self.hidden_size
                    or ((batch,) + shape[-1:] != shape if batched else p.ndim != 1)
                ):
                    raise RuntimeError(
                        f"{name}: hidden state of shape {shape} does not fit input of shape "
                        f"{tuple(input.shape)} (expected {(batch, self.hidden_size)[2 - p.ndim :]})"
                    )
            parts = [p if batched else p.unsqueeze(0) for p in parts]
            s0 = parts[0] if len(parts) == 1 else tg.cat(parts, 1)
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        out = run_cell(_CELLS[self._mode], gx, s0, self.weight_hh, self.bias_hh,
                       batch_sizes=(batch,), **kw)[:batch]  # fmt: skip
        if not batched:
            out = out.squeeze(0)
        return out


class RNNCell(RNNCellBase):
    """``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, act ``tanh`` or ``relu``."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        parts = None if hx is None else (hx,)
        return self._step(input, parts, nonlinearity=self.nonlinearity)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c)=None) -> (h', c')``."""

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        out = self._step(input, None if hx is None else tuple(hx))
        h = self.hidden_size
        return out[..., :h], out[..., h:]


class GRUCell(RNNCellBase):
    """One GRU step: ``forward(input, hx=None) -> h'``."""

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device=None, dtype=None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,))
