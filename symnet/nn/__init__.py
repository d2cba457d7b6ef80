"""symnet.nn: losses now; Keras-like layers, models and optimizers build on the graph API."""

from symnet.nn.losses import binary_crossentropy, categorical_crossentropy, mse, sparse_categorical_crossentropy

__all__ = ["binary_crossentropy", "categorical_crossentropy", "mse", "sparse_categorical_crossentropy"]
