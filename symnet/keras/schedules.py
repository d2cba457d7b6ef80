"""``keras.optimizers.schedules``: learning rates as functions of the iteration count."""

from __future__ import annotations

from symnet.nn.optimizers import ExponentialDecay, LearningRateSchedule  # noqa: F401
from symnet.unsupported import module_getattr

__getattr__ = module_getattr("symnet.keras.optimizers.schedules")
