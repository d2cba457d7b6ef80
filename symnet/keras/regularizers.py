"""``keras.regularizers``: L1, L2, L1L2 (and their function names l1, l2, l1_l2)."""

from __future__ import annotations

from symnet.nn.regularizers import L1, L1L2, L2, Regularizer, l1, l1_l2, l2  # noqa: F401
from symnet.unsupported import module_getattr

__getattr__ = module_getattr(__name__)
