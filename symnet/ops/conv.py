"""2-d convolution and pooling on NCHW tensors, with the ops their gradients need.

The references are NumPy window views (``sliding_window_view``) and tensordot; the pullback
of each op is again one of these ops, so second derivatives exist where they are linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from symnet.errors import ShapeError
from symnet.ops.base import Op
from symnet.tensor_type import TensorType, is_float, upcast


def out_size(n, k: int, stride: int, pad: int):
    """Output positions of a window of ``k`` moved by ``stride`` over ``n`` + 2·``pad``
    (None when ``n`` is unknown); a window larger than the padded input is an error."""
    if n is None:
        return None
    if n + 2 * pad < k:
        raise ShapeError(f"the window ({k}) is larger than the padded input ({n} + 2*{pad})")
    return (n + 2 * pad - k) // stride + 1


def _check_nchw(what: str, t: TensorType) -> None:
    if t.ndim != 4:
        raise TypeError(f"{what} needs a 4-d tensor (NCHW), got {t.ndim}-d {t}")


def _windows(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    """(N, C, Ho, Wo, kh, kw): every window of the zero-padded ``x`` (a view where possible)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho = out_size(x.shape[2], kh, sh, ph)
    wo = out_size(x.shape[3], kw, sw, pw)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :ho, :wo]


def _scatter_windows(dx_shape, values, kernel, stride, padding, dtype) -> np.ndarray:
    """The adjoint of ``_windows``: ``values`` (N, C, Ho, Wo, kh, kw) added back into an
    array of ``dx_shape``, padding dropped."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = dx_shape
    ho, wo = values.shape[2], values.shape[3]
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw] += values[..., i, j]
    return padded[:, :, ph : ph + h, pw : pw + w]


def _conv_dtype(x: TensorType, w: TensorType) -> str:
    if not (is_float(x.dtype) and is_float(w.dtype)):
        raise TypeError(f"conv2d needs float tensors, got {x.dtype} and {w.dtype}; cast them first")
    return upcast(x.dtype, w.dtype)


@dataclass(frozen=True)
class _ConvOp(Op):
    stride: tuple  # (sh, sw)
    padding: tuple  # (ph, pw)

    def __str__(self) -> str:
        return f"{self.name}{{stride={self.stride}, padding={self.padding}}}"


@dataclass(frozen=True)
class Conv2d(_ConvOp):
    """Cross-correlation (as in Keras and PyTorch): x (N, C, H, W), w (F, C, kh, kw) →
    (N, F, Ho, Wo) with Ho = (H + 2·ph − kh) // sh + 1."""

    name = "conv2d"

    def output_types(self, x, w):
        _check_nchw("conv2d input", x)
        _check_nchw("conv2d kernel", w)
        dtype = _conv_dtype(x, w)
        if x.shape[1] is not None and w.shape[1] is not None and x.shape[1] != w.shape[1]:
            raise ShapeError(f"conv2d: the input has {x.shape[1]} channels, the kernel expects {w.shape[1]}")
        kh, kw = w.shape[2], w.shape[3]
        ho = out_size(x.shape[2], kh, self.stride[0], self.padding[0]) if kh is not None else None
        wo = out_size(x.shape[3], kw, self.stride[1], self.padding[1]) if kw is not None else None
        return [TensorType(dtype, (x.shape[0], w.shape[0], ho, wo))]

    def infer_shape(self, node, sizes):
        (n, c, h, w), (f, c_w, kh, kw) = sizes.of(node.inputs[0]), sizes.of(node.inputs[1])
        x_name, w_name = (sizes.literal(v.label()) for v in node.inputs)
        sizes.equal([c, c_w], node, "conv2d channel", [f"{x_name} has {{}} channels", f"the kernel {w_name} expects {{}}"])
        return [(n, f) + sizes.windows((h, w), (kh, kw), self.stride, self.padding, node)]

    def evaluate(self, x, w):
        if x.shape[1] != w.shape[1]:
            raise ShapeError(f"conv2d: the input has {x.shape[1]} channels, the kernel expects {w.shape[1]}")
        dtype = upcast(x.dtype.name, w.dtype.name)
        windows = _windows(x.astype(dtype, copy=False), w.shape[2:], self.stride, self.padding)
        out = np.tensordot(windows, w.astype(dtype, copy=False), axes=([1, 4, 5], [1, 2, 3]))
        return [np.ascontiguousarray(out.transpose(0, 3, 1, 2))]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None, None]
        x, w = node.inputs
        params = (self.stride, self.padding)
        gx = Conv2dGradInput(*params)(x, w, g)
        gw = Conv2dGradWeight(*params)(x, w, g)
        return [T.cast(gx, x.dtype), T.cast(gw, w.dtype)]


@dataclass(frozen=True)
class Conv2dGradInput(_ConvOp):
    """d conv2d(x, w) / dx applied to g: (x, w, g) → an array shaped like x (whose values
    are not read: x gives the size the strided windows do not determine)."""

    name = "conv2d_grad_input"

    def output_types(self, x, w, g):
        return [x.with_dtype(upcast(w.dtype, g.dtype))]

    def value_inputs(self, node):
        return node.inputs[1:]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x, w, g):
        dtype = upcast(w.dtype.name, g.dtype.name)
        # values[n, c, ho, wo, i, j] = sum_f g[n, f, ho, wo] * w[f, c, i, j]
        values = np.tensordot(g.astype(dtype, copy=False), w.astype(dtype, copy=False), axes=([1], [0]))
        values = values.transpose(0, 3, 1, 2, 4, 5)
        return [_scatter_windows(x.shape, values, w.shape[2:], self.stride, self.padding, dtype)]

    def pullback(self, node, cotangents):
        (c,) = cotangents
        if c is None:
            return [None, None, None]
        x, w, g = node.inputs
        params = (self.stride, self.padding)
        return [None, Conv2dGradWeight(*params)(c, w, g), Conv2d(*params)(c, w)]


@dataclass(frozen=True)
class Conv2dGradWeight(_ConvOp):
    """d conv2d(x, w) / dw applied to g: (x, w, g) → an array shaped like w (w's values are
    not read)."""

    name = "conv2d_grad_weight"

    def output_types(self, x, w, g):
        return [w.with_dtype(upcast(x.dtype, g.dtype))]

    def value_inputs(self, node):
        return [node.inputs[0], node.inputs[2]]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[1])]

    def evaluate(self, x, w, g):
        dtype = upcast(x.dtype.name, g.dtype.name)
        windows = _windows(x.astype(dtype, copy=False), w.shape[2:], self.stride, self.padding)
        # dw[f, c, i, j] = sum_{n, ho, wo} g[n, f, ho, wo] * windows[n, c, ho, wo, i, j]
        out = np.tensordot(g.astype(dtype, copy=False), windows, axes=([0, 2, 3], [0, 2, 3]))
        return [np.ascontiguousarray(out)]

    def pullback(self, node, cotangents):
        (c,) = cotangents
        if c is None:
            return [None, None, None]
        x, w, g = node.inputs
        params = (self.stride, self.padding)
        return [Conv2dGradInput(*params)(x, c, g), None, Conv2d(*params)(x, c)]


def _pool_dtype(kind: str, x: TensorType) -> str:
    if kind == "avg" and not is_float(x.dtype):
        from symnet.config import config

        return config.floatX
    return x.dtype


@dataclass(frozen=True)
class Pool2d(Op):
    """Max or mean over (kh, kw) windows moved by (sh, sw) across the last two axes of NCHW
    (no padding: windows that would cross the edge are dropped, as Keras' "valid")."""

    kind: str  # "max" or "avg"
    size: tuple
    stride: tuple

    @property
    def name(self) -> str:
        return f"{self.kind}_pool2d"

    def output_types(self, x):
        _check_nchw(self.name, x)
        if self.kind == "max" and x.dtype == "bool":
            raise TypeError("max_pool2d of bool: cast to a number first")
        ho = out_size(x.shape[2], self.size[0], self.stride[0], 0)
        wo = out_size(x.shape[3], self.size[1], self.stride[1], 0)
        return [TensorType(_pool_dtype(self.kind, x), (x.shape[0], x.shape[1], ho, wo))]

    def infer_shape(self, node, sizes):
        n, c, h, w = sizes.of(node.inputs[0])
        return [(n, c) + sizes.windows((h, w), tuple(map(str, self.size)), self.stride, (0, 0), node)]

    def evaluate(self, x):
        windows = _windows(x, self.size, self.stride, (0, 0))
        dtype = _pool_dtype(self.kind, TensorType(x.dtype.name, x.shape))
        if self.kind == "max":
            return [np.ascontiguousarray(windows.max(axis=(4, 5)))]
        return [np.ascontiguousarray(windows.astype(dtype).mean(axis=(4, 5), dtype=dtype))]

    def pullback(self, node, cotangents):
        from symnet import expr as T

        (g,) = cotangents
        if g is None:
            return [None]
        (x,) = node.inputs
        return [T.cast(Pool2dGrad(self.kind, self.size, self.stride)(x, g), x.dtype)]

    def __str__(self) -> str:
        return f"{self.name}{{size={self.size}, stride={self.stride}}}"


@dataclass(frozen=True)
class Pool2dGrad(Op):
    """The pullback of ``Pool2d``: (x, g) → dx. Max pooling sends each window's gradient to
    the window's first maximum (row-major, as argmax); mean pooling spreads it evenly."""

    kind: str
    size: tuple
    stride: tuple

    @property
    def name(self) -> str:
        return f"{self.kind}_pool2d_grad"

    def output_types(self, x, g):
        return [x.with_dtype(g.dtype)]

    def value_inputs(self, node):
        return node.inputs if self.kind == "max" else node.inputs[1:]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x, g):
        kh, kw = self.size
        dtype = g.dtype
        if self.kind == "max":
            windows = _windows(x, self.size, self.stride, (0, 0))
            flat = windows.reshape(windows.shape[:4] + (kh * kw,))
            first = flat.argmax(axis=-1)
            picked = np.arange(kh * kw) == first[..., None]
            values = (picked * g[..., None]).astype(dtype, copy=False).reshape(flat.shape[:4] + (kh, kw))
        else:
            share = (g / dtype.type(kh * kw)).astype(dtype, copy=False)
            values = np.broadcast_to(share[..., None, None], g.shape + (kh, kw))
        return [_scatter_windows(x.shape, values, self.size, self.stride, (0, 0), dtype)]

    def pullback(self, node, cotangents):
        (c,) = cotangents
        if c is None:
            return [None, None]
        if self.kind != "avg":
            raise NotImplementedError("max_pool2d has no second derivative")
        return [None, Pool2d("avg", self.size, self.stride)(c)]

    def __str__(self) -> str:
        return f"{self.name}{{size={self.size}, stride={self.stride}}}"
