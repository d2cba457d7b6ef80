"""Weight initializers by Keras name: each draws an array of a shape from a seeded generator."""

from __future__ import annotations

import numpy as np


def _fans(shape) -> tuple:
    """(fan_in, fan_out): a Dense kernel is (in, out); a conv kernel (kh, kw, in, out), as Keras'."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) > 2:
        receptive = int(np.prod(shape[:-2]))
        return shape[-2] * receptive, shape[-1] * receptive
    return (shape[0], shape[0]) if shape else (1, 1)


def uniform(shape, rng):
    """Keras' "uniform" (RandomUniform): U(-0.05, 0.05)."""
    return rng.uniform(-0.05, 0.05, shape)


def glorot_uniform(shape, rng):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)): the Keras default for kernels."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def he_normal(shape, rng):
    """Normal with std sqrt(2 / fan_in), truncated at two standard deviations, as Keras does."""
    fan_in, _ = _fans(shape)
    std = np.sqrt(2.0 / fan_in) / 0.87962566103423978  # std of a unit normal truncated at ±2
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values * std


def orthogonal(shape, rng):
    """A matrix with orthonormal rows or columns (QR of a normal matrix, signs fixed so the
    distribution is uniform): Keras' default for recurrent kernels."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q *= np.sign(np.diag(r))
    return (q if rows >= cols else q.T).reshape(shape)


def zeros(shape, rng):
    return np.zeros(shape)


def ones(shape, rng):
    return np.ones(shape)


INITIALIZERS = {f.__name__: f for f in (uniform, glorot_uniform, he_normal, orthogonal, zeros, ones)}


def get(initializer):
    """An initializer by name, or a callable ``(shape, rng) -> array`` as given."""
    if callable(initializer):
        return initializer
    if initializer not in INITIALIZERS:
        raise ValueError(f"unknown initializer {initializer!r}; choose one of {', '.join(INITIALIZERS)} or pass a callable (shape, rng)")
    return INITIALIZERS[initializer]
