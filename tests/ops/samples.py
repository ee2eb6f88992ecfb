"""Gradcheck samples of the core primitives, keyed by table name.

Each case calls the primitive itself (``apply(prim, *args, **params)``) with
its static parameters in the table's form.  Every binary elementwise op is
checked on the broadcasting pairs of ``sampling.BROADCAST_PAIRS``.
"""

import numpy as np
from sampling import C, K, U, binary_cases, case, unary_cases

SAMPLES = {
    # ---------------------------------------------------------- elementwise
    "add": binary_cases(),
    "sub": binary_cases(),
    "mul": binary_cases(),
    "div": binary_cases(lo_b=0.5, hi_b=2.0),
    "pow": binary_cases(lo=0.5, hi=2.0),
    "maximum": binary_cases(),
    "minimum": binary_cases(),
    "logaddexp": binary_cases(),
    "xlogy": binary_cases(lo=0.5, hi=2.0, lo_b=0.2, hi_b=3.0),
    "where": [
        case(C(np.array([True, False, True])), U((3,)), U((3,))),
        case(C(np.array([[True], [False]])), U((2, 3)), U(())),
        case(C(np.array([True, False, True])), U((2, 1, 3)), U((2, 5, 3))),
    ],
    "neg": unary_cases(),
    "exp": unary_cases(),
    "log": unary_cases(0.1, 3.0),
    "log1p": unary_cases(-0.5, 3.0),
    "expm1": unary_cases(),
    "sqrt": unary_cases(0.1, 3.0),
    "rsqrt": unary_cases(0.1, 3.0),
    "reciprocal": unary_cases(0.2, 3.0),
    "abs": unary_cases(0.1, 2.0) + unary_cases(-2.0, -0.1),
    "sign": unary_cases(0.1, 2.0),
    "sin": unary_cases(),
    "cos": unary_cases(),
    "tan": unary_cases(-1.2, 1.2),
    "tanh": unary_cases(),
    "sigmoid": unary_cases(-6.0, 6.0),
    "relu": unary_cases(0.1, 2.0) + unary_cases(-2.0, -0.1),
    "tanh_backward": [case(U((4,)), U((4,), -0.9, 0.9)), case(U((2, 3)), U((2, 3), -0.9, 0.9))],
    "sigmoid_backward": [case(U((4,)), U((4,), 0.1, 0.9)), case(U(()), U((), 0.1, 0.9))],
    "threshold_backward": [
        case(U((6,)), C(np.array([1.0, -1.0, 2.0, -0.5, 0.3, -2.0]))),
        case(U((2, 2)), U((2, 2), 0.2, 1.0)),
    ],
    "erf": unary_cases(),
    # piecewise constant (gradient 0): samples away from the integers
    "floor": unary_cases(0.1, 0.9) + unary_cases(-1.9, -1.1),
    "ceil": unary_cases(0.1, 0.9) + unary_cases(-1.9, -1.1),
    "trunc": unary_cases(0.1, 0.9) + unary_cases(-1.9, -1.1),
    "frac": unary_cases(0.1, 0.9) + unary_cases(-1.9, -1.1),
    "round": unary_cases(0.1, 0.4, decimals=0) + unary_cases(1.11, 1.14, decimals=1),
    "clamp": [
        case(U((4, 3)), min=-0.5, max=0.5),
        case(U((5,)), min=0.0, max=None),
        case(U(()), min=None, max=1.0),
    ],
    "leaky_relu": unary_cases(negative_slope=0.1),
    "elu": unary_cases(alpha=1.3),
    "selu": unary_cases(),
    "celu": unary_cases(alpha=0.7) + unary_cases(alpha=-0.8),
    "hardtanh": unary_cases(min_val=-1.0, max_val=1.0),
    "softplus": unary_cases(beta=1.0, threshold=20.0) + unary_cases(-3, 3, beta=2.0, threshold=1.0),
    "cast": [case(U((3,)), dtype=np.dtype("float64"))],
    "clone": unary_cases(),
    # ----------------------------------------------------------- reductions
    "sum": [
        case(U((3, 4)), axes=None, keepdim=False),
        case(U((2, 3, 4)), axes=(1,), keepdim=True),
        case(U((2, 3, 4)), axes=(0, 2), keepdim=False),
        case(U(()), axes=None, keepdim=False),
    ],
    "mean": [
        case(U((3, 4)), axes=None, keepdim=False),
        case(U((2, 3, 4)), axes=(2,), keepdim=False),
        case(U((2, 3, 4)), axes=(0, 1), keepdim=True),
    ],
    "var": [
        case(U((5,)), axes=None, keepdim=False, correction=1.0),
        case(U((3, 4)), axes=(1,), keepdim=True, correction=0.0),
    ],
    "amax": [
        case(U((6,)), axes=None, keepdim=False),
        case(U((3, 4)), axes=(1,), keepdim=False),
        case(U((2, 3, 4)), axes=(0, 2), keepdim=True),
    ],
    "amin": [case(U((6,)), axes=None, keepdim=False), case(U((3, 4)), axes=(0,), keepdim=True)],
    "prod": [
        case(U((4,), 0.5, 1.5), axes=None, keepdim=False),
        case(U((3, 4), -1.5, 1.5), axes=(1,), keepdim=True),
    ],
    "cumsum": [case(U((5,)), dim=0), case(U((3, 4)), dim=1)],
    "norm": [
        case(U((5,)), p=2.0, axes=None, keepdim=False),
        case(U((3, 4)), p=1.0, axes=(1,), keepdim=False),
        case(U((3, 4)), p=float("inf"), axes=(0,), keepdim=True),
        case(U((3, 4), 0.2, 2), p=3.0, axes=None, keepdim=False),
    ],
    "logsumexp": [
        case(U((5,)), axes=None, keepdim=False),
        case(U((3, 4)), axes=(1,), keepdim=True),
        case(U((2, 3, 4)), axes=(0, 2), keepdim=False),
    ],
    "softmax": [case(U((5,)), dim=0), case(U((3, 4)), dim=1), case(U((2, 3, 4)), dim=0)],
    "log_softmax": [case(U((5,)), dim=0), case(U((3, 4)), dim=1), case(U((2, 3, 4)), dim=1)],
    # ---------------------------------------------------------------- shape
    "reshape": [case(U((2, 6)), shape=(3, 4)), case(U((2, 3, 2)), shape=(-1,))],
    "permute": [case(U((2, 3, 4)), dims=(2, 0, 1)), case(U((3, 4)), dims=(1, 0))],
    "broadcast_to": [case(U((3, 1)), shape=(2, 3, 4)), case(U(()), shape=(3,))],
    "sum_to": [case(U((2, 3, 4)), shape=(3, 1)), case(U((4, 3)), shape=(3,))],
    "repeat": [case(U((2, 3)), repeats=(2, 1)), case(U((3,)), repeats=(2, 2))],
    "cat": [case(U((2, 3)), U((4, 3)), dim=0), case(U((2, 1)), U((2, 3)), U((2, 2)), dim=1)],
    "flip": [case(U((3, 4)), dims=(0,)), case(U((2, 3, 4)), dims=(0, 2))],
    "tri": [
        case(U((3, 4)), diagonal=0, lower=True),
        case(U((2, 4, 3)), diagonal=-1, lower=True),
        case(U((3, 3)), diagonal=1, lower=False),
    ],
    "pad": [case(U((2, 3)), widths=((1, 0), (2, 1)), value=0.5)],
    # ---------------------------------------------------------------- index
    "getitem": [
        case(U((4, 5)), key=(slice(1, 3), 2)),
        case(U((4, 5)), key=(None, Ellipsis, 1)),
        case(U((3, 4, 5)), key=(1, slice(None, None, 2))),
    ],
    "index": [
        case(U((5, 3)), key=(np.array([0, 2, 2, 4]),)),
        case(U((4, 3)), key=(np.array([True, False, True, True]),)),
        case(U((4, 3)), key=(np.array([0, 0, 1]), np.array([2, 2, 0]))),
    ],
    "index_scatter": [
        case(U((2, 3)), shape=(4, 3), key=(np.array([1, 1]),)),
        case(U((3,)), shape=(3, 2), key=(slice(None), 1)),
    ],
    "index_put": [
        case(U((4, 3)), U((3,)), key=(1,)),
        case(U((4, 3)), U(()), key=(np.array([0, 2]),)),
        case(U((4, 3)), U((2, 3)), key=(slice(1, 3),)),
    ],
    "gather": [
        case(U((3, 4)), C(np.array([[0, 1], [3, 3], [2, 0]])), dim=1),
        case(U((3, 4)), C(np.array([[0, 2, 2, 1]])), dim=0),
    ],
    "scatter_add": [
        case(U((3, 4)), C(np.array([[0, 1], [3, 3], [2, 0]])), U((3, 2)), dim=1),
        case(U((3, 2)), C(np.array([[0, 2], [0, 0]])), U((2, 2)), dim=0),
    ],
    "scatter": [
        case(U((3, 4)), C(np.array([[0, 1], [3, 2], [2, 0]])), U((3, 2)), dim=1),
        case(U((3, 2)), C(np.array([[0, 2], [1, 0]])), U((2, 2)), dim=0),
    ],
    # --------------------------------------------------------------- linalg
    "matmul": [
        case(U((3, 4)), U((4, 2))),
        case(U((4,)), U((4, 2))),
        case(U((3, 4)), U((4,))),
        case(U((4,)), U((4,))),
        case(U((2, 3, 4)), U((4, 5))),
        case(U((2, 1, 3, 4)), U((5, 4, 2))),
        case(U((3,)), U((2, 3, 4))),
    ],
    "dot": [case(U((5,)), U((5,)))],
    "outer": [case(U((3,)), U((4,)))],
    "einsum": [
        case(U((3, 4)), U((4, 2)), ins=("ij", "jk"), result="ik"),
        case(U((3, 3)), ins=("ii",), result="i"),
        case(U((3, 3)), ins=("ii",), result=""),
        case(U((2, 3)), ins=("ij",), result="ji"),
        case(U((3,)), U((4,)), ins=("i", "j"), result="ij"),
        case(U((2, 3, 4)), U((2, 4)), ins=("bij", "bj"), result="bi"),
        case(U((2, 3)), U((4,)), ins=("ij", "k"), result="ik"),
    ],
    "linear": [
        case(U((5, 3)), U((4, 3)), U((4,))),
        case(U((2, 5, 3)), U((4, 3))),
        case(U((3,)), U((4, 3)), U((4,))),
        case(K((5, 3)), U((4, 3)), U((4,))),
    ],
}
