"""``theano.tensor.signal.pool.pool_2d``: max and average pooling over the last two axes."""

from __future__ import annotations

from symnet import expr as _T
from symnet.theano._unsupported import module_getattr


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None, st=None, padding=None):
    """Pooling of (N, C, H, W) over (H, W) windows ``ws`` every ``stride`` (ws by default).

    ``ignore_border=False`` (Theano's default) keeps a partial last window; symnet pools
    whole windows only, so it is accepted where no window is partial and an error elsewhere."""
    ws = tuple(ws if ws is not None else ds)
    stride = tuple(stride if stride is not None else st if st is not None else ws)
    pad = tuple(padding if padding is not None else pad)
    if pad != (0, 0):
        raise NotImplementedError("pool_2d: pad is not supported by symnet.theano")
    x = _T.as_tensor(input)
    if not ignore_border:
        sizes = x.type.shape[-2:]
        if None in sizes or any((n - w) % s for n, w, s in zip(sizes, ws, stride)) or any(n < w for n, w in zip(sizes, ws)):
            raise NotImplementedError(
                "pool_2d: ignore_border=False with a partial last window (or unknown input sizes) is not supported; "
                "pass ignore_border=True"
            )
    if mode == "max":
        return _T.max_pool2d(x, ws, stride)
    if mode in ("average_exc_pad", "average_inc_pad"):
        return _T.avg_pool2d(x, ws, stride)
    if mode == "sum":
        return _T.avg_pool2d(x, ws, stride) * float(ws[0] * ws[1])
    raise ValueError(f"pool_2d: mode must be 'max', 'sum', 'average_inc_pad' or 'average_exc_pad', got {mode!r}")


__getattr__ = module_getattr(__name__)
