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


def mae(y, t):
    """|y - t|, elementwise."""
    return T.abs(y - t)


def hinge(y, t):
    """max(1 - t y, 0) elementwise, labels -1 or 1 (0/1 labels are taken as -1/1, as Keras)."""
    t = T.where(T.eq(t, 0), -1.0, t)
    return T.maximum(1 - t * y, 0.0)


class Loss:
    """A loss by name with its options (``from_logits``: the prediction is the logits, the
    loss applies sigmoid or softmax first, in the stable fused form)."""

    def __init__(self, name: str, from_logits: bool = False):
        self.loss_name, self.from_logits = name, bool(from_logits)
