"""Optimizers as symbolic update rules: ``updates(params, grads)`` returns the
``(shared, new_value)`` pairs that the compiled train step applies, slots and the iteration
count included. The learning rate is a shared scalar the step reads (set it between steps,
as ``ReduceLROnPlateau`` does) or a schedule of the iteration count."""

from __future__ import annotations

import numpy as np

import symnet as sn


class LearningRateSchedule:
    """A learning rate as a function of the iteration count (an expression of it)."""

    def __call__(self, step):
        raise NotImplementedError

    def config(self) -> dict:
        raise NotImplementedError


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate · decay_rate ** (step / decay_steps); with ``staircase`` the
    exponent is whole steps of decay_steps, as Keras'."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False):
        if not initial_learning_rate > 0 or not decay_steps > 0 or not decay_rate > 0:
            raise ValueError(f"ExponentialDecay: initial_learning_rate, decay_steps and decay_rate must be positive, got "
                             f"{initial_learning_rate!r}, {decay_steps!r}, {decay_rate!r}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.decay_rate, self.staircase = float(decay_rate), bool(staircase)

    def __call__(self, step):
        exponent = step / self.decay_steps
        if self.staircase:
            exponent = sn.floor(exponent)
        return self.initial_learning_rate * self.decay_rate**exponent

    def config(self):
        return {"class": "ExponentialDecay", "initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate, "staircase": self.staircase}


SCHEDULES = {"ExponentialDecay": ExponentialDecay}


class Optimizer:
    """Base: the learning rate (a number or a ``LearningRateSchedule``), the slot variables
    (momenta, moments) and the iteration count."""

    name = "optimizer"

    def __init__(self, learning_rate):
        if isinstance(learning_rate, dict):  # a saved schedule
            learning_rate = SCHEDULES[learning_rate["class"]](**{k: v for k, v in learning_rate.items() if k != "class"})
        self.schedule = learning_rate if isinstance(learning_rate, LearningRateSchedule) else None
        if self.schedule is None and not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
            raise ValueError(f"{type(self).__name__}: learning_rate must be positive, got {learning_rate!r}")
        self._learning_rate = None if self.schedule is not None else float(learning_rate)
        self.lr_variable = None  # the shared scalar the train step reads, made with the step
        self.slots: list = []  # shared variables the optimizer owns
        self.made: dict = {}  # (id of the parameter, slot name) → its slot

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step."""
        if self.schedule is not None:
            return float(sn.function([], self.schedule(self.iterations), target="interp")())
        return self._learning_rate if self.lr_variable is None else float(self.lr_variable.get_value())

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if self.schedule is not None:
            raise AttributeError(f"{type(self).__name__}: the learning rate is a schedule; it cannot be set")
        if not value > 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be positive, got {value!r}")
        self._learning_rate = float(value)
        if self.lr_variable is not None:
            self.lr_variable.set_value(np.asarray(value, dtype=self.lr_variable.dtype))

    @property
    def iterations(self):
        """The number of steps taken (a float64 slot: powers of it keep their digits)."""
        return self.slot(None, "iterations")

    def rate(self, like):
        """The learning rate as the update rules read it, in ``like``'s dtype."""
        if self.schedule is not None:
            return sn.cast(self.schedule(self.iterations), like.dtype)
        if self.lr_variable is None:
            self.lr_variable = sn.shared(np.asarray(self._learning_rate, dtype=sn.config.floatX), name="learning_rate")
        return sn.cast(self.lr_variable, like.dtype)

    def slot(self, param, name: str, initial: float = 0.0):
        """A shared variable shaped like ``param`` filled with ``initial`` (``param`` None: a
        float64 scalar), the same one for every train step built from this optimizer."""
        key = (id(param), name)
        if key not in self.made:
            value = np.full((), initial, np.float64) if param is None else np.full_like(param.get_value(borrow=True), initial)
            self.made[key] = sn.shared(value, name=name if param is None else f"{param.name}_{name}")
            self.slots.append(self.made[key])
        return self.made[key]

    def updates(self, params: list, grads: list) -> list:
        t = self.iterations
        return [(t, t + 1)] + self.rule(params, grads)

    def rule(self, params: list, grads: list) -> list:
        """The (shared, new value) pairs of one step, reading the iteration count before it."""
        raise NotImplementedError

    def config(self) -> dict:
        return {"learning_rate": self.schedule.config() if self.schedule is not None else self.learning_rate}


class SGD(Optimizer):
    """p -= lr g; with momentum m: v = m v - lr g, p += v (nesterov: p += m v - lr g)."""

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def rule(self, params, grads):
        m = self.momentum
        if m == 0:
            return [(p, p - self.rate(p) * g) for p, g in zip(params, grads)]
        out = []
        for p, g in zip(params, grads):
            lr, v = self.rate(p), self.slot(p, "velocity")
            new_v = m * v - lr * g
            out += [(v, new_v), (p, p + (m * new_v - lr * g if self.nesterov else new_v))]
        return out

    def config(self):
        return {**super().config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """a += g²; p -= lr g / (sqrt(a) + eps), accumulators starting at 0.1 as in Keras."""

    name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.initial, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def rule(self, params, grads):
        out = []
        for p, g in zip(params, grads):
            a = self.slot(p, "accumulator", self.initial)
            new_a = a + g * g
            out += [(a, new_a), (p, p - self.rate(p) * g / (sn.sqrt(new_a) + self.epsilon))]
        return out

    def config(self):
        return {**super().config(), "initial_accumulator_value": self.initial, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """a = rho a + (1 - rho) g²; p -= lr g / (sqrt(a) + eps)."""

    name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def rule(self, params, grads):
        out = []
        for p, g in zip(params, grads):
            a = self.slot(p, "rms")
            new_a = self.rho * a + (1 - self.rho) * g * g
            out += [(a, new_a), (p, p - self.rate(p) * g / (sn.sqrt(new_a) + self.epsilon))]
        return out

    def config(self):
        return {**super().config(), "rho": self.rho, "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Keras' Adadelta: a = rho a + (1 - rho) g²; d = -sqrt(s + eps) / sqrt(a + eps) g;
    s = rho s + (1 - rho) d²; p += lr d."""

    name = "adadelta"

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def rule(self, params, grads):
        out, rho, eps = [], self.rho, self.epsilon
        for p, g in zip(params, grads):
            a, s = self.slot(p, "accumulated_grad"), self.slot(p, "accumulated_delta")
            new_a = rho * a + (1 - rho) * g * g
            delta = -sn.sqrt(s + eps) / sn.sqrt(new_a + eps) * g
            out += [(a, new_a), (s, rho * s + (1 - rho) * delta * delta), (p, p + self.rate(p) * delta)]
        return out

    def config(self):
        return {**super().config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Keras' Adam: m, v moving averages of g and g², step lr sqrt(1 - b2^t) / (1 - b1^t)."""

    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def rule(self, params, grads):
        b1, b2 = self.beta_1, self.beta_2
        t1 = self.iterations + 1
        out = []
        for p, g in zip(params, grads):
            alpha = self.rate(p) * sn.cast(sn.sqrt(1 - b2**t1) / (1 - b1**t1), p.dtype)
            m, v = self.slot(p, "m"), self.slot(p, "v")
            new_m = m + (g - m) * (1 - b1)
            new_v = v + (g * g - v) * (1 - b2)
            out += [(m, new_m), (v, new_v), (p, self.decayed(p) - alpha * new_m / (sn.sqrt(new_v) + self.epsilon))]
        return out

    def decayed(self, p):
        return p

    def config(self):
        return {**super().config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay, as Keras': p -= lr · weight_decay · p, then Adam's step."""

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = float(weight_decay)

    def decayed(self, p):
        return p - self.rate(p) * self.weight_decay * p

    def config(self):
        return {**super().config(), "weight_decay": self.weight_decay}


class Nadam(Optimizer):
    """Keras' Nadam: Adam with Nesterov momentum, the momentum schedule
    u_t = beta_1 (1 - 0.5 · 0.96^t) and its running product as a slot."""

    name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def rule(self, params, grads):
        b1, b2 = self.beta_1, self.beta_2
        t = self.iterations
        u_t, u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1)), b1 * (1 - 0.5 * 0.96 ** (t + 2))
        product = self.slot(None, "u_product", 1.0)
        product_t = product * u_t
        out = [(product, product_t)]
        for p, g in zip(params, grads):
            m, v = self.slot(p, "m"), self.slot(p, "v")
            new_m = m + (g - m) * (1 - b1)
            new_v = v + (g * g - v) * (1 - b2)
            first = sn.cast(u_next / (1 - product_t * u_next), p.dtype)
            second = sn.cast((1 - u_t) / (1 - product_t), p.dtype)
            m_hat = first * new_m + second * g
            v_hat = new_v / sn.cast(1 - b2 ** (t + 1), p.dtype)
            out += [(m, new_m), (v, new_v), (p, p - self.rate(p) * m_hat / (sn.sqrt(v_hat) + self.epsilon))]
        return out

    def config(self):
        return {**super().config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "momentum": lambda: SGD(momentum=0.9), "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam,
              "adamw": AdamW, "nadam": Nadam, "adadelta": Adadelta}


def get(optimizer) -> Optimizer:
    """An optimizer from a name (with Keras' default settings) or an Optimizer as given."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)} or pass an nn.Optimizer")
