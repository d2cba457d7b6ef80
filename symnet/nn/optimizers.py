"""Optimizers as symbolic update rules: ``updates(params, grads)`` returns the
``(shared, new_value)`` pairs that the compiled train step applies, slots included."""

from __future__ import annotations

import numpy as np

import symnet as sn


class Optimizer:
    """Base: ``learning_rate`` and the slot variables (momenta, moments, step count)."""

    name = "optimizer"

    def __init__(self, learning_rate: float):
        if not learning_rate > 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be positive, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.slots: list = []  # shared variables the optimizer owns
        self.made: dict = {}  # (id of the parameter, slot name) → its slot

    def slot(self, param, name: str):
        """A zero-initialized shared variable shaped like ``param`` (``param`` None: a scalar
        step count in float64), the same one for every train step built from this optimizer."""
        key = (id(param), name)
        if key not in self.made:
            initial = np.zeros((), np.float64) if param is None else np.zeros_like(param.get_value(borrow=True))
            self.made[key] = sn.shared(initial, name=name if param is None else f"{param.name}_{name}")
            self.slots.append(self.made[key])
        return self.made[key]

    def updates(self, params: list, grads: list) -> list:
        raise NotImplementedError

    def config(self) -> dict:
        return {"learning_rate": self.learning_rate}


class SGD(Optimizer):
    """p -= lr g; with momentum m: v = m v - lr g, p += v (nesterov: p += m v - lr g)."""

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def updates(self, params, grads):
        lr, m = self.learning_rate, self.momentum
        if m == 0:
            return [(p, p - lr * g) for p, g in zip(params, grads)]
        out = []
        for p, g in zip(params, grads):
            v = self.slot(p, "velocity")
            new_v = m * v - lr * g
            out += [(v, new_v), (p, p + (m * new_v - lr * g if self.nesterov else new_v))]
        return out

    def config(self):
        return {**super().config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """a += g²; p -= lr g / (sqrt(a) + eps), accumulators starting at 0.1 as in Keras."""

    name = "adagrad"

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.initial, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def updates(self, params, grads):
        out = []
        for p, g in zip(params, grads):
            a = self.slot(p, "accumulator")
            a.set_value(np.full_like(a.get_value(borrow=True), self.initial))
            new_a = a + g * g
            out += [(a, new_a), (p, p - self.learning_rate * g / (sn.sqrt(new_a) + self.epsilon))]
        return out

    def config(self):
        return {**super().config(), "initial_accumulator_value": self.initial, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """a = rho a + (1 - rho) g²; p -= lr g / (sqrt(a) + eps)."""

    name = "rmsprop"

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def updates(self, params, grads):
        out = []
        for p, g in zip(params, grads):
            a = self.slot(p, "rms")
            new_a = self.rho * a + (1 - self.rho) * g * g
            out += [(a, new_a), (p, p - self.learning_rate * g / (sn.sqrt(new_a) + self.epsilon))]
        return out

    def config(self):
        return {**super().config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Keras' Adam: m, v moving averages of g and g², step lr sqrt(1 - b2^t) / (1 - b1^t)."""

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def updates(self, params, grads):
        b1, b2 = self.beta_1, self.beta_2
        # the step count lives in float64: b**t in float32 loses digits after a few thousand steps
        t = self.slot(None, "adam_iterations")
        t1 = t + 1
        alpha = sn.cast(self.learning_rate * sn.sqrt(1 - b2**t1) / (1 - b1**t1), params[0].dtype)
        out = [(t, t1)]
        for p, g in zip(params, grads):
            m, v = self.slot(p, "m"), self.slot(p, "v")
            new_m = m + (g - m) * (1 - b1)
            new_v = v + (g * g - v) * (1 - b2)
            out += [(m, new_m), (v, new_v), (p, p - alpha * new_m / (sn.sqrt(new_v) + self.epsilon))]
        return out

    def config(self):
        return {**super().config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "momentum": lambda: SGD(momentum=0.9), "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def get(optimizer) -> Optimizer:
    """An optimizer from a name (with Keras' default settings) or an Optimizer as given."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)} or pass an nn.Optimizer")
