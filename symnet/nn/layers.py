"""Keras-like layers: each owns its weights (shared variables) and maps a graph expression
to a graph expression; ``config()`` is what ``model.save`` writes to rebuild it."""

from __future__ import annotations

import numpy as np

import symnet as sn
from symnet.nn import initializers

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": sn.relu,
    "sigmoid": sn.sigmoid,
    "tanh": sn.tanh,
    "softmax": sn.softmax,
    "softplus": sn.softplus,
    "elu": sn.elu,
    "gelu": sn.gelu,
    "leaky_relu": sn.leaky_relu,
    "exp": sn.exp,
}


def activation(name):
    """An activation by name (None is linear), or a callable on expressions as given."""
    if name is None:
        return ACTIVATIONS["linear"]
    if callable(name):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)} or pass a function of an expression")
    return ACTIVATIONS[name]


class Layer:
    """Base layer. ``build(input_shape)`` creates the weights for a per-example input shape
    (batch axis excluded) and returns the output shape; ``call(x, training)`` builds the
    graph. ``trainable = False`` freezes the weights (set before ``model.compile``)."""

    count = 0

    def __init__(self, name=None, input_dim=None, input_shape=None):
        Layer.count += 1
        self.name = name or f"{type(self).__name__.lower()}_{Layer.count}"
        if input_dim is not None:
            input_shape = (int(input_dim),)
        self.input_shape = tuple(int(n) for n in input_shape) if input_shape is not None else None
        self.output_shape = None
        self.weights: list = []  # shared variables, in get_weights order
        self.trainable = True
        self.noise_inputs: list = []  # (variable, layer) fed with uniform noise while training

    def add_weight(self, name: str, shape, initializer, rng):
        values = np.asarray(initializers.get(initializer)(tuple(shape), rng), dtype=sn.config.floatX)
        w = sn.shared(values, name=f"{self.name}_{name}")
        self.weights.append(w)
        return w

    def build(self, input_shape: tuple, rng) -> tuple:
        return input_shape

    def call(self, x, training: bool):
        raise NotImplementedError

    def get_weights(self) -> list:
        return [w.get_value() for w in self.weights]

    def set_weights(self, arrays) -> None:
        arrays = list(arrays)
        if len(arrays) != len(self.weights):
            raise ValueError(f"layer {self.name} has {len(self.weights)} weights, got {len(arrays)} arrays")
        for w, a in zip(self.weights, arrays):
            w.set_value(np.asarray(a, dtype=w.dtype))

    def config(self) -> dict:
        config = {"name": self.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        return config

    def count_params(self) -> int:
        return sum(int(np.prod(w.type.shape)) for w in self.weights)


class Dense(Layer):
    """activation(x @ kernel + bias), kernel (in, units)."""

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units, self.use_bias = int(units), bool(use_bias)
        self.activation_name = activation
        self.activation = globals()["activation"](activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape, rng):
        if len(input_shape) != 1:
            raise ValueError(f"Dense layer {self.name} takes vectors, got examples of shape {input_shape}; add a Flatten layer first")
        self.kernel = self.add_weight("kernel", (input_shape[0], self.units), self.kernel_initializer, rng)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, rng) if self.use_bias else None
        return (self.units,)

    def call(self, x, training):
        z = x @ self.kernel
        return self.activation(z + self.bias if self.bias is not None else z)

    def config(self):
        if not (self.activation_name is None or isinstance(self.activation_name, str)):
            raise ValueError(f"layer {self.name}: a model with a custom activation function cannot be saved by name")
        for init in (self.kernel_initializer, self.bias_initializer):
            if not isinstance(init, str):
                raise ValueError(f"layer {self.name}: a custom initializer cannot be saved by name")
        return {**super().config(), "units": self.units, "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "bias_initializer": self.bias_initializer}


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation
        self.activation = globals()["activation"](activation)

    def call(self, x, training):
        return self.activation(x)

    def config(self):
        if not isinstance(self.activation_name, str):
            raise ValueError(f"layer {self.name}: a custom activation function cannot be saved by name")
        return {**super().config(), "activation": self.activation_name}


class Dropout(Layer):
    """Inverted dropout while training: x * (u >= rate) / (1 - rate), u uniform noise drawn
    per batch from the model's seeded generator; the identity at predict and evaluate."""

    def __init__(self, rate: float, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def call(self, x, training):
        if not training or self.rate == 0:
            return x
        noise = sn.tensor(f"{self.name}_noise", dtype=x.dtype, ndim=x.ndim)
        self.noise_inputs = [noise]
        return sn.where(noise >= self.rate, x * (1 / (1 - self.rate)), 0)

    def config(self):
        return {**super().config(), "rate": self.rate}


class Flatten(Layer):
    """(batch, d1, d2, ...) → (batch, d1 * d2 * ...)."""

    def build(self, input_shape, rng):
        return (int(np.prod(input_shape)),)

    def call(self, x, training):
        return sn.reshape(x, -1, int(np.prod(self.output_shape)))


LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten)}
