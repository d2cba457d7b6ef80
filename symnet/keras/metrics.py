"""``keras.metrics``: symnet takes metrics by name in ``compile(metrics=[...])``: "accuracy"
(the kind the loss implies), "binary_accuracy", "categorical_accuracy",
"sparse_categorical_accuracy", "mae", "mse"; metric objects (AUC, Precision, Recall) are not
supported yet."""

from __future__ import annotations

from symnet.unsupported import module_getattr

__getattr__ = module_getattr(__name__)
