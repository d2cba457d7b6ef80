"""``theano.gradient``: grad, jacobian, hessian, Rop, Lop and disconnected_grad."""

from __future__ import annotations

import symnet as _sn
from symnet.theano import grad
from symnet.unsupported import module_getattr

jacobian, hessian, Rop, Lop = _sn.jacobian, _sn.hessian, _sn.Rop, _sn.Lop
disconnected_grad = _sn.stop_gradient

__all__ = ["Lop", "Rop", "disconnected_grad", "grad", "hessian", "jacobian"]
__getattr__ = module_getattr(__name__)
