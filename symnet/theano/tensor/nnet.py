"""``theano.tensor.nnet``: activations, cross-entropies and ``conv2d`` with Theano's filter
flip and border modes."""

from __future__ import annotations

import numbers

from symnet import expr as _T
from symnet import nn as _nn
from symnet.unsupported import module_getattr

sigmoid, softplus, softmax = _T.sigmoid, _T.softplus, _T.softmax
logsoftmax = _T.log_softmax
elu = _T.elu
binary_crossentropy = _nn.losses.binary_crossentropy


def relu(x, alpha=0):
    """max(x, 0), or x for x > 0 and alpha * x below (Theano's leaky form)."""
    return _T.relu(x) if alpha == 0 else _T.leaky_relu(x, alpha)


def hard_sigmoid(x):
    return _T.clip(0.2 * _T.as_tensor(x) + 0.5, 0.0, 1.0)


def ultra_fast_sigmoid(x):
    return _T.sigmoid(x)  # symnet's sigmoid is exact and fused: no approximation is faster


def categorical_crossentropy(coding_dist, true_dist):
    """-sum(true * log(coding)) per row; with integer labels, -log(coding[row, label])."""
    true_dist = _T.as_tensor(true_dist)
    if true_dist.dtype.startswith("int"):
        return _nn.losses.sparse_categorical_crossentropy(coding_dist, true_dist)
    return _nn.losses.categorical_crossentropy(coding_dist, true_dist)


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
           filter_flip=True, image_shape=None, filter_dilation=(1, 1), num_groups=1, **kwargs):
    """Theano's 2-d convolution of ``input`` (N, C, H, W) with ``filters`` (F, C, kh, kw):
    a true convolution (the filters flipped) unless ``filter_flip=False``; ``border_mode``
    "valid", "full", "half", an int or a pair; ``subsample`` the stride."""
    if tuple(filter_dilation) != (1, 1) or num_groups != 1:
        raise NotImplementedError("conv2d: filter_dilation and num_groups are not supported by symnet.theano")
    filters = _T.as_tensor(filters)
    kernel = tuple(filter_shape[-2:]) if filter_shape is not None else filters.type.shape[-2:]
    if border_mode in ("full", "half"):
        if None in kernel:
            raise NotImplementedError(f"conv2d: border_mode={border_mode!r} needs the filters' size (pass filter_shape=)")
        padding = tuple(k - 1 for k in kernel) if border_mode == "full" else tuple(k // 2 for k in kernel)
    elif border_mode == "valid":
        padding = (0, 0)
    elif isinstance(border_mode, numbers.Integral) or isinstance(border_mode, tuple):
        padding = border_mode
    else:
        raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a pair, got {border_mode!r}")
    if filter_flip:
        filters = filters[:, :, ::-1, ::-1]
    return _T.conv2d(input, filters, stride=subsample, padding=padding)


__getattr__ = module_getattr(__name__)
