"""``keras.metrics``: the metrics with state (``Precision``, ``Recall``, ``AUC``); the mean
metrics go to ``compile(metrics=[...])`` by name: "accuracy" (the kind the loss implies),
"binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae", "mse"."""

from __future__ import annotations

from symnet.nn.metrics import AUC, Metric, Precision, Recall  # noqa: F401
from symnet.unsupported import module_getattr

__getattr__ = module_getattr(__name__)
