"""tapegrad: reverse-mode automatic differentiation and neural networks on
NumPy, with PyTorch's names and semantics.

    import tapegrad as tg
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True, name="x")
    z = tg.tensor(3.0, dtype=tg.float64, requires_grad=True, name="z")
    y = tg.exp(x * z) + x * z / tg.log(x) + tg.sin(tg.log(x)) / (x * z)
    y.backward()
    x.grad, z.grad        # 1208.38..., 809.707...
"""

from tapegrad import _methods  # noqa: F401  (binds the Tensor methods)
from tapegrad import autograd
from tapegrad.autograd.check import GradcheckError, gradcheck, gradcheck_report
from tapegrad.autograd.graph import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tapegrad.backend import Generator
from tapegrad.device import device
from tapegrad.dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from tapegrad.factories import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    zeros,
    zeros_like,
)
from tapegrad._methods import _foreach_add_, _foreach_mul_, addcdiv, addcmul, clone
from tapegrad.layouts import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    sparse_bsc,
    sparse_bsr,
    sparse_coo,
    sparse_csc,
    sparse_csr,
    strided,
)
from tapegrad.size import Size
from tapegrad.ops.activations import (
    celu,
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    logsigmoid,
    selu,
    silu,
    softplus,
)
from tapegrad.ops.compare import (
    allclose,
    isclose,
    eq,
    equal,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from tapegrad.ops.elementwise import (
    abs,
    arctan2,
    atan2,
    hypot,
    ceil,
    fix,
    floor,
    frac,
    lerp,
    round,
    trunc,
    add,
    clamp,
    clip,
    cos,
    div,
    erf,
    exp,
    expm1,
    log,
    log1p,
    logaddexp,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    reciprocal,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    true_divide,
    where,
    xlogy,
)
from tapegrad.ops.special import erfc, erfinv
from tapegrad.ops.transcendental import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    cosh,
    deg2rad,
    exp2,
    float_power,
    log2,
    log10,
    logaddexp2,
    logit,
    rad2deg,
    sinc,
    sinh,
)
from tapegrad.ops.gamma import digamma, lgamma, polygamma
from tapegrad.ops.discrete import (
    gcd,
    heaviside,
    isneginf,
    isposinf,
    isreal,
    lcm,
    nextafter,
    sgn,
    signbit,
)
from tapegrad.ops.division import floor_divide, fmod, remainder
from tapegrad.ops.bitwise import bitwise_left_shift, bitwise_right_shift
from tapegrad.ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from tapegrad.ops.order import argsort, sort, topk
from tapegrad.ops.order_stats import kthvalue, median, mode, nanmedian
from tapegrad.ops.interpolate import pixel_shuffle, pixel_unshuffle
from tapegrad.ops.spatial import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d_with_indices as adaptive_max_pool1d,  # (torch's returns the indices too)
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
)
from tapegrad.ops.index import (
    gather,
    index_add,
    index_fill,
    index_put,
    index_select,
    masked_fill,
    nonzero,
    scatter,
    scatter_add,
    take_along_dim,
)
from tapegrad.ops.linalg import bmm, dot, einsum, inner, linear, matmul, mm, mv, outer
from tapegrad.ops.linalg_decomp import det, inverse, logdet
from tapegrad.ops.reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    softmax,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from tapegrad.ops.registry import PRIMITIVES, ShapeError
from tapegrad.ops.cumulative import cumprod, diff, logcumsumexp
from tapegrad.ops.pairwise import addmm, baddbmm, cdist, kron
from tapegrad.ops.placement import diag_embed
from tapegrad.ops.sets import bucketize, isin, searchsorted, unique, unique_consecutive
from tapegrad.ops.finite import nan_to_num
from tapegrad.ops.histogram import bincount, histc
from tapegrad.triangle_indices import tril_indices, triu_indices
from tapegrad.sampling import bernoulli, multinomial, normal, poisson
from tapegrad.ops.shape import (
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    diag,
    expand,
    flatten,
    flip,
    hstack,
    meshgrid,
    movedim,
    narrow,
    permute,
    repeat,
    repeat_interleave,
    reshape,
    roll,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from tapegrad.ops.splitting import dsplit, hsplit, tensor_split, vsplit
from tapegrad.ops.rearrange import (
    cartesian_prod,
    column_stack,
    combinations,
    diagflat,
    diagonal,
    dstack,
    fliplr,
    flipud,
    msort,
    ravel,
    rot90,
    trace,
    vander,
)
from tapegrad.ops.selection import (
    argwhere,
    index_copy,
    masked_scatter,
    masked_select,
    scatter_reduce,
    take,
)
from tapegrad.ops.statistics import (
    aminmax,
    corrcoef,
    cov,
    cummax,
    cummin,
    dist,
    nanmean,
    nanquantile,
    nansum,
    quantile,
    renorm,
    trapezoid,
)
from tapegrad.ops.products import chain_matmul, clamp_max, clamp_min, pdist, tensordot, vdot
from tapegrad.tensor import (
    Tensor,
    as_tensor,
    from_numpy,
    is_floating_point,
    is_tensor,
    numel,
    tensor,
)
from tapegrad.legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from tapegrad.printing import set_printoptions
from tapegrad.settings import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from tapegrad.type_info import finfo, iinfo

__version__ = "0.1.0"

multiply, subtract, divide, negative = mul, sub, div, neg
moveaxis, swapdims = movedim, swapaxes

from tapegrad import data, linalg, nn, optim, special, utils
from tapegrad.nn.functional_losses import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    poisson_nll_loss,
)
from tapegrad.nn.functional_more import (
    alpha_dropout,
    bilinear,
    celu_,
    hardshrink,
    relu_,
    rms_norm,
    rrelu,
    rrelu_,
    selu_,
    threshold,
    threshold_,
)
from tapegrad.serialization import load, save
from tapegrad import backends, compiler, cuda, jit, onnx
from tapegrad.compiler import compile
from tapegrad.torch_names import as_torch


def __getattr__(name: str):
    """``tg.viz``, ``tg.train``, ``tg.lecture`` and ``tg.distributions`` load on first use."""
    if name in ("viz", "train", "lecture", "distributions"):
        import importlib

        return importlib.import_module(f"tapegrad.{name}")
    raise AttributeError(f"module 'tapegrad' has no attribute {name!r}")
