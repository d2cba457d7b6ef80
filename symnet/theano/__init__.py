"""Theano's module layout over symnet: ``import symnet.theano as theano`` (or run an unchanged
Theano script with ``python -m symnet.theano script.py``) and the classic tutorials' calls
map onto symnet's. A Theano name symnet does not support raises an error that says so."""

from __future__ import annotations

import warnings

import symnet as _sn
from symnet.unsupported import module_getattr

__all__ = ["Lop", "Rop", "clone", "clone_replace", "config", "function", "grad", "gradient", "ifelse", "printing", "scan", "shared", "tensor"]

_MODES = (None, "FAST_RUN", "FAST_COMPILE", "NUMBA")


class _Config:
    """``theano.config``: ``floatX`` is symnet's (``sn.config.floatX``); ``device`` and
    ``mode`` are read-only facts of this namespace."""

    device = "cpu"
    mode = "FAST_RUN"

    @property
    def floatX(self) -> str:
        return _sn.config.floatX

    @floatX.setter
    def floatX(self, value: str) -> None:
        _sn.config.floatX = value


config = _Config()


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None):
    """``theano.function``: compiled by symnet for the CPU. ``outputs=None`` computes only
    the updates; ``allow_input_downcast`` is symnet's rule (same-kind casts are accepted)."""
    if mode not in _MODES:
        raise NotImplementedError(f"theano.function: mode={mode!r} is not supported by symnet.theano (FAST_RUN is)")
    if profile:
        raise NotImplementedError("theano.function: profile=True is not supported; use sn.profile(f, *args)")
    f = _sn.function(
        list(inputs),
        [] if outputs is None else outputs,
        updates=updates,
        givens=givens,
        name=name,
        on_unused_input=on_unused_input or "raise",
        no_default_updates=no_default_updates,
    )
    return f


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False, broadcastable=None):
    """``theano.shared``: ``borrow=True`` keeps the value's own array."""
    if broadcastable is not None:
        raise NotImplementedError("theano.shared: broadcastable= is not supported; a shared variable broadcasts on its size-1 axes")
    return _sn.shared(value, name=name, borrow=borrow)


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", add_names=True, known_grads=None,
         return_disconnected="zero", null_gradients="raise"):
    """``theano.grad``: ``disconnected_inputs`` "raise", "warn" or "ignore" (zeros)."""
    if known_grads is not None:
        raise NotImplementedError("theano.grad: known_grads is not supported")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore', got {disconnected_inputs!r}")
    if disconnected_inputs == "warn":
        try:
            return _sn.grad(cost, wrt, consider_constant=consider_constant)
        except _sn.DisconnectedInputError as e:
            warnings.warn(str(e), UserWarning, stacklevel=2)
    mode = "raise" if disconnected_inputs == "raise" else "zero"
    return _sn.grad(cost, wrt, consider_constant=consider_constant, disconnected=mode)


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, profile=False, allow_gc=None, strict=False, return_list=False):
    """``theano.scan``: symnet's ``sn.scan`` (full gradients: ``truncate_gradient=-1``)."""
    if truncate_gradient != -1:
        raise NotImplementedError("theano.scan: truncate_gradient is not supported (symnet differentiates every step)")
    outputs, updates = _sn.scan(fn, sequences, outputs_info, non_sequences, n_steps, go_backwards, name)
    if return_list and not isinstance(outputs, list):
        outputs = [outputs]
    return outputs, updates


def clone_replace(output, replace=None, strict=True, share_inputs=True):
    return _sn.clone_replace(output, replace)


clone = clone_replace
Rop, Lop = _sn.Rop, _sn.Lop
__getattr__ = module_getattr(__name__)

# the submodules use the functions above (theano.tensor.grad is theano.grad)
from symnet.theano import gradient, ifelse, printing, tensor  # noqa: E402

