"""``theano.tensor.signal``: pooling (``pool``)."""

from symnet.unsupported import module_getattr
from symnet.theano.tensor.signal import pool

__all__ = ["pool"]
__getattr__ = module_getattr(__name__)
