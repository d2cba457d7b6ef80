"""symnet: define a numerical graph, differentiate it, compile it.

>>> import symnet as sn
>>> x = sn.vector("x")
>>> f = sn.function([x], sn.sum(x * x))
"""

import os as _os

# Numba's OpenMP workers spin after each parallel region by default; on a few cores they
# then fight BLAS's threads for the CPU (the W4 step took 32 ms spinning, 3.1 ms passive).
# Set before Numba starts its thread pool; a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from symnet.autodiff import grad  # noqa: E402
from symnet.config import config
from symnet.errors import DisconnectedInputError, FallbackWarning, ShapeError
from symnet.function import Function, function
from symnet.graph import Constant, SharedVariable, Variable
from symnet.bench import bench, profile
from symnet.printing import debugprint, to_dot
from symnet.expr import (
    abs,
    argmax,
    as_tensor,
    avg_pool2d,
    cast,
    clip,
    concatenate,
    constant,
    conv2d,
    cos,
    dot,
    elementwise,
    elu,
    eq,
    erf,
    exp,
    expm1,
    gelu,
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
    neq,
    one_hot,
    ones_like,
    RandomStream,
    relu,
    reshape,
    scalar,
    shared,
    sigmoid,
    sin,
    softmax,
    softplus,
    sqrt,
    square,
    stack,
    stop_gradient,
    sum,
    take_along_axis,
    tanh,
    tensor,
    tensor3,
    tensor4,
    transpose,
    vector,
    where,
    zeros_like,
)
from symnet.ops.scan import scan
from symnet.tensor_type import TensorType
from symnet.verify import verify

__version__ = "0.1.0"

# last: symnet.nn builds on the names above
from symnet import nn  # noqa: E402
