"""Dense, Activation, Dropout, Flatten, Reshape, the merges (Concatenate, Add) and Embedding."""

from __future__ import annotations

import numpy as np

import symnet as sn
from symnet.nn import regularizers
from symnet.nn.layers.base import Layer, positive_int
from symnet.nn.layers.base import activation as resolve_activation


class Dense(Layer):
    """activation(x @ kernel + bias), kernel (in, units), on the last axis of the examples."""

    keeps_mask = True

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_regularizer, self.bias_regularizer = regularizers.get(kernel_regularizer), regularizers.get(bias_regularizer)
        self.units, self.use_bias = positive_int(units, "Dense: units"), bool(use_bias)
        self.activation_name = activation
        self.activation = resolve_activation(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape, rng):
        if not input_shape or input_shape[-1] is None:
            raise ValueError(f"Dense layer {self.name} acts on the last axis, whose size must be known; got examples "
                             f"of shape {input_shape}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer, rng,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, rng,
                                    regularizer=self.bias_regularizer) if self.use_bias else None
        return (*input_shape[:-1], self.units)

    def call(self, x, training):
        z = x @ self.kernel
        return self.activation(z + self.bias if self.bias is not None else z)

    def config(self):
        self.named(self.activation_name, (self.kernel_initializer, self.bias_initializer))
        return {**super().config(), "units": self.units, "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "bias_initializer": self.bias_initializer,
                "kernel_regularizer": regularizers.config(self.kernel_regularizer),
                "bias_regularizer": regularizers.config(self.bias_regularizer)}


class Activation(Layer):
    keeps_mask = True
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation
        self.activation = resolve_activation(activation)

    def call(self, x, training):
        return self.activation(x)

    def config(self):
        if not isinstance(self.activation_name, str):
            raise ValueError(f"layer {self.name}: a custom activation function cannot be saved by name")
        return {**super().config(), "activation": self.activation_name}


class Dropout(Layer):
    """Inverted dropout while training: x * (u >= rate) / (1 - rate) with u uniform noise
    drawn inside the compiled step (``sn.RandomStream``: the model's, seeded by the model's
    seed, or the layer's own with ``seed=``); the identity at predict and evaluate."""

    keeps_mask = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self.own_random = sn.RandomStream(seed, name=f"{self.name}_counter") if seed is not None else None

    def call(self, x, training):
        if not training or self.rate == 0:
            return x
        noise = (self.own_random or self.random).uniform_like(x)
        return sn.where(noise >= self.rate, x * (1 / (1 - self.rate)), 0)

    def config(self):
        return {**super().config(), "rate": self.rate, "seed": self.seed}


class Flatten(Layer):
    """(batch, d1, d2, ...) → (batch, d1 * d2 * ...)."""

    def build(self, input_shape, rng):
        return (int(np.prod(input_shape)),)

    def call(self, x, training):
        return sn.reshape(x, -1, int(np.prod(self.output_shape)))


class Reshape(Layer):
    """Each example reshaped to ``target_shape`` (one size may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(n) for n in target_shape)

    def build(self, input_shape, rng):
        if None in input_shape:
            raise ValueError(f"Reshape layer {self.name} needs every size of its input, got {input_shape}")
        total, known = int(np.prod(input_shape)), int(np.prod([n for n in self.target_shape if n != -1]))
        if self.target_shape.count(-1) > 1 or any(n < -1 or n == 0 for n in self.target_shape):
            raise ValueError(f"Reshape layer {self.name}: target_shape takes positive sizes and at most one -1, "
                             f"got {self.target_shape}")
        if (total % known if -1 in self.target_shape else total != known):
            raise ValueError(f"Reshape layer {self.name}: examples of shape {input_shape} ({total} values) do not fit "
                             f"{self.target_shape}")
        return tuple(total // known if n == -1 else n for n in self.target_shape)

    def call(self, x, training):
        return sn.reshape(x, (x.shape[0], *self.output_shape))

    def config(self):
        return {**super().config(), "target_shape": list(self.target_shape)}


class _Merge(Layer):
    """A layer of several inputs (a list of tensors)."""

    def shapes(self, input_shape) -> list:
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} takes a list of at least two tensors")
        return input_shape


class Concatenate(_Merge):
    """The inputs joined along ``axis`` (Keras counts the batch axis: -1 is the last)."""

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape, rng):
        shapes = self.shapes(input_shape)
        rank = len(shapes[0])
        axis = self.axis + 1 + rank if self.axis < 0 else self.axis
        if any(len(s) != rank for s in shapes) or not 1 <= axis <= rank:
            raise ValueError(f"Concatenate layer {self.name}: axis {self.axis} does not fit inputs of shapes "
                             f"{[(None, *s) for s in shapes]}")
        k = axis - 1
        if any(s[:k] + s[k + 1:] != shapes[0][:k] + shapes[0][k + 1:] for s in shapes):
            raise ValueError(f"Concatenate layer {self.name}: inputs of shapes {[(None, *s) for s in shapes]} differ "
                             f"on an axis other than {self.axis}")
        self.join = axis
        sizes = [s[k] for s in shapes]
        return shapes[0][:k] + (None if None in sizes else sum(sizes),) + shapes[0][k + 1:]

    def call(self, x, training):
        return sn.concatenate(list(x), self.join)

    def config(self):
        return {**super().config(), "axis": self.axis}


class Add(_Merge):
    """The sum of the inputs, all of one shape."""

    def build(self, input_shape, rng):
        shapes = self.shapes(input_shape)
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"Add layer {self.name} takes inputs of one shape, got {[(None, *s) for s in shapes]}")
        return shapes[0]

    def call(self, x, training):
        total = x[0]
        for v in x[1:]:
            total = total + v
        return total


class Embedding(Layer):
    """Rows of ``embeddings`` (input_dim, output_dim) picked by integer ids: (…) → (…, output_dim).
    ``mask_zero=True``: id 0 is padding; the recurrent layers and the global average pooling
    after it skip those steps, as Keras' masks make them."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform", mask_zero: bool = False,
                 embeddings_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.input_dim = positive_int(input_dim, "Embedding: input_dim")
        self.output_dim = positive_int(output_dim, "Embedding: output_dim")
        self.embeddings_initializer, self.mask_zero = embeddings_initializer, bool(mask_zero)

    def build(self, input_shape, rng):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer, rng,
                                          regularizer=self.embeddings_regularizer)
        return (*input_shape, self.output_dim)

    def call(self, x, training):
        if x.dtype.startswith("float"):  # Keras casts float ids
            x = sn.cast(x, "int64")
        out = self.embeddings[x]
        if self.mask_zero:
            out.keras_mask = sn.neq(x, 0)
        return out

    def config(self):
        self.named(initializers=(self.embeddings_initializer,))
        return {**super().config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": self.embeddings_initializer, "mask_zero": self.mask_zero,
                "embeddings_regularizer": regularizers.config(self.embeddings_regularizer)}
