"""Weight and activity penalties added to a model's loss, Keras' regularizers: ``L1(l1)``,
``L2(l2)``, ``L1L2(l1, l2)``, by name ("l1", "l2", "l1_l2") or as objects."""

from __future__ import annotations

import symnet as sn


class Regularizer:
    """penalty(x) = l1 · sum(|x|) + l2 · sum(x²)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)
        if self.l1 < 0 or self.l2 < 0:
            raise ValueError(f"{type(self).__name__}: the factors must be >= 0, got l1={l1!r}, l2={l2!r}")

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = self.l1 * sn.sum(sn.abs(x))
        if self.l2:
            term = self.l2 * sn.sum(sn.square(x))
            penalty = term if penalty is None else penalty + term
        return penalty if penalty is not None else sn.sum(x * 0)

    def config(self) -> dict:
        return {"class": "L1L2", "l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)


class L2(Regularizer):
    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        super().__init__(l1, l2)


l1, l2, l1_l2 = L1, L2, L1L2  # Keras' function names
NAMES = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(0.01, 0.01)}


def get(value):
    """A regularizer from None, a name, a saved config, or itself."""
    if value is None or isinstance(value, Regularizer):
        return value
    if isinstance(value, str) and value in NAMES:
        return NAMES[value]()
    if isinstance(value, dict) and value.get("class") == "L1L2":
        return L1L2(value["l1"], value["l2"])
    raise ValueError(f"unknown regularizer {value!r}; choose one of {', '.join(NAMES)} or pass an nn.regularizers.Regularizer")


def config(value):
    return None if value is None else value.config()
