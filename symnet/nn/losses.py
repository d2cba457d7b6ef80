"""Loss functions as graph expressions; stabilize rewrites make them stable on sigmoid/softmax."""

from __future__ import annotations

from symnet import expr as T


def binary_crossentropy(p, t):
    """-(t log p + (1 - t) log(1 - p)), elementwise. On ``p = sigmoid(z)`` it becomes
    softplus(-z) t + softplus(z)(1 - t) after stabilization: finite for any z."""
    return -(t * T.log(p) + (1 - t) * T.log(1 - p))


def categorical_crossentropy(p, t):
    """-sum(t log p) over the last axis; on ``p = softmax(z)``, log p becomes log_softmax(z)."""
    return -T.sum(t * T.log(p), axis=-1)


def sparse_categorical_crossentropy(p, idx):
    """-log p[..., idx] per row: ``idx`` holds class indices (ints), one per row of ``p``."""
    picked = T.take_along_axis(T.log(p), T.expand_dims(T.as_tensor(idx), (-1,)), axis=-1)
    return -T.squeeze(picked, (-1,))


def mse(y, t):
    """(y - t)², elementwise."""
    return T.square(y - t)
