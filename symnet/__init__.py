"""symnet: define a numerical graph, differentiate it, compile it.

>>> import symnet as sn
>>> x = sn.vector("x")
>>> f = sn.function([x], sn.sum(x * x))
"""

import os as _os

# Numba's OpenMP workers spin after each parallel region by default; on a few cores they
# then fight BLAS's threads for the CPU (the W4 step took 32 ms spinning, 3.1 ms passive).
# Set before Numba starts its thread pool; a user's own setting wins.
# A benchmark's peer process (``python -m symnet bench --compare``, SYMNET_PEER=1) keeps
# the peers' own defaults for this and for the allocator below.
if not _os.environ.get("SYMNET_PEER"):
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _keep_freed_memory() -> None:
    """Compiled functions allocate their buffers on every call. glibc returns freed memory
    above 128 KB to the system at once, so every call page-faulted it in again: the
    keras-io LSTM train step spent 1.5 of its 3.0 ms there. Keep up to 256 MB of freed
    memory and serve blocks up to 32 MB from the heap (glibc only; the user's own
    ``MALLOC_TRIM_THRESHOLD_``/``MALLOC_MMAP_THRESHOLD_`` win)."""
    names = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "SYMNET_PEER")
    if any(_os.environ.get(name) for name in names):
        return
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mallopt(M_MMAP_THRESHOLD, 32 << 20)
    mallopt(M_TRIM_THRESHOLD, 256 << 20)


_keep_freed_memory()

from symnet.autodiff import Lop, Rop, grad, hessian, jacobian  # noqa: E402
from symnet.config import config
from symnet.errors import DisconnectedInputError, FallbackWarning, ShapeError, UnusedInputError
from symnet.function import Function, function
from symnet.graph import Constant, SharedVariable, Variable
from symnet.bench import bench, profile
from symnet.printing import debugprint, to_dot
from symnet.expr import (
    abs,
    alloc,
    arange,
    argmax,
    argsort,
    as_tensor,
    avg_pool2d,
    cast,
    ceil,
    clip,
    clone_replace,
    concatenate,
    constant,
    conv2d,
    cos,
    cumprod,
    cumsum,
    dimshuffle,
    dot,
    elementwise,
    elu,
    eq,
    erf,
    exp,
    flatten,
    expm1,
    floor,
    floor_div,
    gelu,
    inc_subtensor,
    leaky_relu,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    matrix,
    max,
    max_pool2d,
    maximum,
    mean,
    min,
    minimum,
    mod,
    neq,
    norm,
    one_hot,
    prod,
    ones,
    ones_like,
    RandomStream,
    relu,
    reshape,
    round,
    scalar,
    set_subtensor,
    shared,
    sign,
    sigmoid,
    sin,
    softmax,
    softplus,
    sort,
    sqrt,
    square,
    stack,
    stop_gradient,
    sum,
    switch,
    take_along_axis,
    tanh,
    tensor,
    tensor3,
    tensor4,
    transpose,
    vector,
    where,
    zeros,
    zeros_like,
)
from symnet.composite import batched_dot, diag, eye, outer, pool2d, repeat, std, tensordot, tile, tril, triu, var  # noqa: E402
from symnet.ops.ifelse import ifelse
from symnet.ops.scan import scan
from symnet.tensor_type import TensorType
from symnet.verify import verify

__version__ = "0.1.0"

# last: symnet.nn builds on the names above
from symnet import nn  # noqa: E402
