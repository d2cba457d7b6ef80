"""``theano.ifelse``: the lazy conditional (only the branch taken is computed)."""

from __future__ import annotations

from symnet.ops.ifelse import ifelse
from symnet.unsupported import module_getattr

__all__ = ["ifelse"]
__getattr__ = module_getattr(__name__)
