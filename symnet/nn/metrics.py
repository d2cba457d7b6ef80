"""Metrics with state, Keras': ``Precision``, ``Recall`` and ``AUC`` are not means of their
batches, so each keeps counts in shared variables that the compiled step adds the batch's
to (updates, like an optimizer's slots) and computes its value from them after the epoch."""

from __future__ import annotations

import numpy as np

import symnet as sn


class Metric:
    """``update(y, pred)``: the (shared, new value) pairs adding a batch's counts;
    ``result()``: the value of the counts so far; ``reset()``: counts back to zero."""

    name = "metric"

    def __init__(self, name: str | None = None):
        self.name = name or self.name
        self.counts: dict = {}

    def count(self, key: str, size: int | None = None):
        if key not in self.counts:
            self.counts[key] = sn.shared(np.zeros(() if size is None else (size,)), name=f"{self.name}_{key}")
        return self.counts[key]

    def reset(self) -> None:
        for v in self.counts.values():
            v.set_value(np.zeros_like(v.get_value(borrow=True)))

    def values(self) -> dict:
        return {k: v.get_value() for k, v in self.counts.items()}

    def copy(self) -> Metric:
        """A new metric of the same settings with counts of its own (one per model output)."""
        raise NotImplementedError

    def update(self, y, pred) -> list:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError


def _ratio(a, b):
    return float(a / b) if b else 0.0


class _Confusion(Metric):
    """Counts of true and false positives at ``thresholds`` (a prediction above it is a positive)."""

    def __init__(self, thresholds: float = 0.5, name: str | None = None):
        super().__init__(name)
        if not 0 <= thresholds <= 1:
            raise ValueError(f"{type(self).__name__}: thresholds must be in [0, 1], got {thresholds!r}")
        self.thresholds = float(thresholds)

    def copy(self):
        return type(self)(self.thresholds, self.name)

    def config(self) -> dict:
        return {"class": type(self).__name__, "thresholds": self.thresholds, "name": self.name}

    def update(self, y, pred):
        positive = sn.cast(pred > self.thresholds, "float64")
        truth = sn.cast(y, "float64")
        tp, other = self.count("true_positives"), self.count(self.other)
        wrong = positive * (1 - truth) if self.other == "false_positives" else (1 - positive) * truth
        return [(tp, tp + sn.sum(positive * truth)), (other, other + sn.sum(wrong))]

    def result(self):
        v = self.values()
        return _ratio(v["true_positives"], v["true_positives"] + v[self.other])


class Precision(_Confusion):
    """true positives / predicted positives."""

    name, other = "precision", "false_positives"


class Recall(_Confusion):
    """true positives / actual positives."""

    name, other = "recall", "false_negatives"


class AUC(Metric):
    """The area under the ROC curve, as Keras computes it: confusion counts at
    ``num_thresholds`` thresholds spread over [0, 1], the curve's trapezoids summed."""

    name = "auc"

    def __init__(self, num_thresholds: int = 200, name: str | None = None):
        super().__init__(name)
        if num_thresholds < 2:
            raise ValueError(f"AUC: num_thresholds must be at least 2, got {num_thresholds!r}")
        self.num_thresholds = int(num_thresholds)
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = np.array([-1e-7, *inner, 1 + 1e-7])

    def copy(self):
        return AUC(self.num_thresholds, self.name)

    def config(self) -> dict:
        return {"class": "AUC", "num_thresholds": self.num_thresholds, "name": self.name}

    def update(self, y, pred):
        n = self.num_thresholds
        truth = sn.cast(sn.reshape(y, -1), "float64")[:, None]
        above = sn.cast(sn.reshape(sn.cast(pred, "float64"), -1)[:, None] > sn.constant(self.thresholds[None]), "float64")
        counts = {"tp": above * truth, "fp": above * (1 - truth), "fn": (1 - above) * truth, "tn": (1 - above) * (1 - truth)}
        return [(self.count(k, n), self.count(k, n) + sn.sum(v, 0)) for k, v in counts.items()]

    def result(self):
        v = self.values()
        if not self.counts:
            return 0.0
        positives, negatives = v["tp"] + v["fn"], v["fp"] + v["tn"]
        tpr = np.divide(v["tp"], positives, out=np.zeros(self.num_thresholds), where=positives > 0)
        fpr = np.divide(v["fp"], negatives, out=np.zeros(self.num_thresholds), where=negatives > 0)
        return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


NAMES = {"precision": Precision, "recall": Recall, "auc": AUC}
