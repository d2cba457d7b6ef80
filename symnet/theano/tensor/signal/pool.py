"""``theano.tensor.signal.pool.pool_2d``: max and average pooling over the last two axes."""

from __future__ import annotations

import symnet as _sn
from symnet import expr as _T
from symnet.unsupported import module_getattr


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None, st=None, padding=None):
    """Theano's pooling of (..., H, W) over (H, W) windows ``ws`` every ``stride`` (ws by
    default), ``pad`` rows and columns of padding on each side, ``mode`` "max", "sum",
    "average_inc_pad" or "average_exc_pad"; ``ignore_border=False`` (Theano's default) keeps
    the partial last windows: ``sn.pool2d``."""
    ws = tuple(ws if ws is not None else ds)
    stride = tuple(stride if stride is not None else st if st is not None else ws)
    pad = tuple(padding if padding is not None else pad)
    x = _T.as_tensor(input)
    if x.ndim < 2:
        raise TypeError(f"pool_2d takes at least 2 dimensions, got {x.type}")
    lead = [x.shape[k] for k in range(x.ndim - 2)]
    as4 = _T.reshape(x, (-1, 1, x.shape[-2], x.shape[-1])) if x.ndim != 4 else x
    out = _sn.pool2d(as4, ws, stride, pad, mode, partial=not ignore_border)
    return out if x.ndim == 4 else _T.reshape(out, tuple(lead) + (out.shape[2], out.shape[3]))


__getattr__ = module_getattr(__name__)
