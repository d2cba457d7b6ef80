"""``theano.sandbox``: the MRG random streams (``rng_mrg``)."""

from symnet.unsupported import module_getattr
from symnet.theano.sandbox import rng_mrg

__all__ = ["rng_mrg"]
__getattr__ = module_getattr(__name__)
