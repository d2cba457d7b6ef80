"""Keras-like layers: each owns its weights (shared variables) and maps a graph expression
to a graph expression; ``config()`` is what ``model.save`` writes to rebuild it."""

from __future__ import annotations

import numbers
import re

import numpy as np

import symnet as sn
from symnet.nn import functional, initializers, regularizers
from symnet.ops.conv import out_size

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


def positive_int(value, what: str) -> int:
    """``value`` as an int, or a ValueError naming ``what`` (a float like 2.0 is accepted)."""
    whole = isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real) and float(value).is_integer())
    if isinstance(value, bool) or not whole or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


class Layer:
    """Base layer. ``build(input_shape)`` creates the weights for a per-example input shape
    (batch axis excluded) and returns the output shape; ``call(x, training)`` builds the
    graph. ``trainable = False`` freezes the weights (set before ``model.compile``)."""

    count = 0
    keeps_mask = False  # whether its output has its input's padding mask (Keras' supports_masking)

    def __init__(self, name=None, input_dim=None, input_shape=None, activity_regularizer=None):
        Layer.count += 1
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.penalties: list = []  # (weight, regularizer): terms of the loss
        self.pending_losses: list = []  # the activity penalties of the last graph built
        # Keras' names: MaxPooling2D → max_pooling2d_3
        self.name = name or f"{re.sub(r'(?<=[a-z])(?=[A-Z])', '_', type(self).__name__).lower()}_{Layer.count}"
        if input_dim is not None:
            input_shape = (int(input_dim),)
        # None: a size the data decides at call time (a sequence's timesteps)
        self.input_shape = tuple(None if n is None else int(n) for n in input_shape) if input_shape is not None else None
        self.output_shape = None
        self.input_spec = None  # the example shape(s) it was built for by a call
        self.calls: list = []  # its calls on KerasTensors (functional.Call), in order
        self.weights: list = []  # shared variables, in get_weights order
        self.frozen: list = []  # those of the weights the optimizer does not train
        self.pending_updates: list = []  # (shared, new value) pairs the last training graph made
        self.trainable = True
        self.random = None  # the model's sn.RandomStream, set before a training-mode call

    def __call__(self, inputs, training=None):
        """On KerasTensors (``keras.Input`` and what layers made of them): the call is recorded
        for a functional ``Model`` and its output tensor returned. On symnet expressions
        (batches of examples): the layer's expression of them."""
        tensors = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        symbolic = [isinstance(t, functional.KerasTensor) for t in tensors]
        if all(symbolic):
            return functional.call_layer(self, inputs)
        if any(symbolic):
            raise TypeError(f"layer {self.name}: called on KerasTensors and other values together")
        values = [sn.as_tensor(t) for t in tensors]
        if self.output_shape is None:
            shapes = [v.type.shape[1:] for v in values]
            self.input_spec = shapes if isinstance(inputs, (list, tuple)) else shapes[0]
            self.output_shape = self.build(self.input_spec, functional.RNG)
        return self.call(values if isinstance(inputs, (list, tuple)) else values[0], bool(training))

    def output_dtype(self, tensors) -> str:
        """The dtype of the tensors a call on ``tensors`` makes."""
        return sn.config.floatX

    @property
    def output(self):
        """The output of the layer's call on KerasTensors (Keras' ``layer.output``)."""
        if not self.calls:
            raise AttributeError(f"layer {self.name} has not been called on a KerasTensor: it has no output yet")
        if len(self.calls) > 1:
            raise AttributeError(f"layer {self.name} was called {len(self.calls)} times: it has several outputs, one per call")
        outputs = self.calls[0].outputs
        return outputs if len(outputs) > 1 else outputs[0]

    @property
    def input(self):
        """The input of the layer's call on KerasTensors (Keras' ``layer.input``)."""
        if len(self.calls) != 1:
            raise AttributeError(f"layer {self.name} was called {len(self.calls)} times on KerasTensors: it has no one input")
        call = self.calls[0]
        return call.inputs if call.listed else call.inputs[0]

    def add_weight(self, name: str, shape, initializer, rng, trainable: bool = True, regularizer=None):
        """A new weight; ``trainable=False``: state the layer updates itself (moving
        statistics), never the optimizer; ``regularizer``: its penalty joins the loss."""
        values = np.asarray(initializers.get(initializer)(tuple(shape), rng), dtype=sn.config.floatX)
        w = sn.shared(values, name=f"{self.name}_{name}")
        self.weights.append(w)
        if not trainable:
            self.frozen.append(w)
        if regularizer is not None:
            self.penalties.append((w, regularizer))
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
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = self.activity_regularizer.config()
        return config

    def count_params(self) -> int:
        return sum(int(np.prod(w.type.shape)) for w in self.weights)


class InputLayer(Layer):
    """The layer of a functional model's ``Input``: its tensor stands for the examples given."""

    def __init__(self, shape, dtype=None, **kwargs):
        super().__init__(**kwargs)
        if shape is None or isinstance(shape, (str, bytes)):
            raise TypeError(f"Input: shape must be a tuple of sizes (None for any), got {shape!r}")
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        self.output_shape = tuple(None if n is None else positive_int(n, "Input: shape") for n in shape)
        self.tensor = functional.KerasTensor(self.output_shape, sn.tensor_type.normalize_dtype(dtype or sn.config.floatX),
                                             name=self.name)
        self.tensor.input_layer = self

    @property
    def output(self):
        return self.tensor

    def call(self, x, training):
        return x

    def config(self):
        return {"name": self.name, "shape": list(self.output_shape), "dtype": self.tensor.dtype}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """Keras' ``Input``: a symbolic batch of examples of ``shape`` (the batch axis excluded;
    None for a size each call decides), for a functional ``Model``."""
    if shape is None and batch_shape is not None:
        shape = tuple(batch_shape)[1:]
    return InputLayer(shape, dtype, name=name).tensor


class Dense(Layer):
    """activation(x @ kernel + bias), kernel (in, units), on the last axis of the examples."""

    keeps_mask = True

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_regularizer, self.bias_regularizer = regularizers.get(kernel_regularizer), regularizers.get(bias_regularizer)
        self.units, self.use_bias = positive_int(units, "Dense: units"), bool(use_bias)
        self.activation_name = activation
        self.activation = globals()["activation"](activation)
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
        if not (self.activation_name is None or isinstance(self.activation_name, str)):
            raise ValueError(f"layer {self.name}: a model with a custom activation function cannot be saved by name")
        for init in (self.kernel_initializer, self.bias_initializer):
            if not isinstance(init, str):
                raise ValueError(f"layer {self.name}: a custom initializer cannot be saved by name")
        return {**super().config(), "units": self.units, "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "bias_initializer": self.bias_initializer,
                "kernel_regularizer": regularizers.config(self.kernel_regularizer),
                "bias_regularizer": regularizers.config(self.bias_regularizer)}


class Activation(Layer):
    keeps_mask = True
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


def _pair(value, what: str, layer: str) -> tuple:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{layer}: {what} must be a positive int or a pair of them, got {value!r}")
    return tuple(int(v) for v in pair)


def _spatial(input_shape, layer) -> tuple:
    """(channels, height, width) of the layer's images."""
    last = layer.data_format == "channels_last"
    if len(input_shape) != 3:
        raise ValueError(f"{layer.name} takes images ({'height, width, channels' if last else 'channels, height, width'}), "
                         f"got examples of shape {input_shape}")
    return (input_shape[2], input_shape[0], input_shape[1]) if last else tuple(input_shape)


def _data_format(value, layer: str) -> str:
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value


def _image(data_format: str, channels, h, w) -> tuple:
    return (h, w, channels) if data_format == "channels_last" else (channels, h, w)


def _to_nchw(x, data_format: str):
    """The batch as NCHW, the layout of symnet's convolution and pooling ops (a view)."""
    return x.dimshuffle(0, 3, 1, 2) if data_format == "channels_last" else x


def _from_nchw(x, data_format: str):
    return x.dimshuffle(0, 2, 3, 1) if data_format == "channels_last" else x


def same_padding(size: int, kernel: int, stride: int) -> tuple:
    """Keras' ``padding="same"``: (before, after) so that the output has ceil(size / stride)
    positions; odd totals put the extra row or column after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_edges(x, axis: int, before: int, after: int, value: float):
    """``x`` (NCHW) with ``before``/``after`` rows (axis 2) or columns (axis 3) of ``value``
    added; the blocks take x's other sizes at run time, so any batch size works."""
    if not before and not after:
        return x

    def block(count):
        sizes = [x.shape[k] for k in range(x.ndim)]
        sizes[axis] = count
        return sn.alloc(sn.constant(np.asarray(value, dtype=x.dtype)), *sizes)

    return sn.concatenate(([block(before)] if before else []) + [x] + ([block(after)] if after else []), axis)


class Conv2D(Layer):
    """activation(conv2d(x, kernel) + bias) on images (height, width, channels), or (channels,
    height, width) with ``data_format="channels_first"``; kernel (kh, kw, channels, filters),
    as Keras'.

    ``padding="same"`` gives ceil(size / stride) outputs per axis with zero padding split as
    Keras does (an odd total puts the extra row or column after); ``"valid"`` uses none.
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 data_format="channels_last", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_regularizer, self.bias_regularizer = regularizers.get(kernel_regularizer), regularizers.get(bias_regularizer)
        self.data_format = _data_format(data_format, "Conv2D")
        self.filters, self.use_bias = positive_int(filters, "Conv2D: filters"), bool(use_bias)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding
        self.activation_name = activation
        self.activation = globals()["activation"](activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape, rng):
        channels, h, w = _spatial(input_shape, self)
        if self.padding == "same":
            # the op pads symmetrically by `before`; an odd total adds one zero row/column after
            sides = [same_padding(n, k, s) for n, k, s in zip((h, w), self.kernel_size, self.strides)]
            self.pads = tuple(before for before, _ in sides)
            self.extra = tuple(after - before for before, after in sides)
        else:
            self.pads, self.extra = (0, 0), (0, 0)
        out = [out_size(n + e, k, s, p) for n, e, k, s, p in zip((h, w), self.extra, self.kernel_size, self.strides, self.pads)]
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.filters), self.kernel_initializer, rng,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, rng,
                                    regularizer=self.bias_regularizer) if self.use_bias else None
        return _image(self.data_format, self.filters, *out)

    def call(self, x, training):
        x = _to_nchw(x, self.data_format)
        for axis, extra in zip((2, 3), self.extra):
            x = pad_edges(x, axis, 0, extra, 0.0)
        z = sn.conv2d(x, self.kernel.dimshuffle(3, 2, 0, 1), self.strides, self.pads)
        z = z + sn.reshape(self.bias, 1, self.filters, 1, 1) if self.bias is not None else z
        return self.activation(_from_nchw(z, self.data_format))

    def config(self):
        if not (self.activation_name is None or isinstance(self.activation_name, str)):
            raise ValueError(f"layer {self.name}: a model with a custom activation function cannot be saved by name")
        for init in (self.kernel_initializer, self.bias_initializer):
            if not isinstance(init, str):
                raise ValueError(f"layer {self.name}: a custom initializer cannot be saved by name")
        return {**super().config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "activation": self.activation_name,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer, "data_format": self.data_format,
                "kernel_regularizer": regularizers.config(self.kernel_regularizer),
                "bias_regularizer": regularizers.config(self.bias_regularizer)}


class _Pooling2D(Layer):
    kind = ""

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        what = type(self).__name__
        self.data_format = _data_format(data_format, what)
        self.pool_size = _pair(pool_size, "pool_size", what)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides", what)
        if padding not in ("valid", "same"):
            raise ValueError(f"{what}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding

    def build(self, input_shape, rng):
        channels, h, w = _spatial(input_shape, self)
        self.sides = [same_padding(n, k, s) if self.padding == "same" else (0, 0)
                      for n, k, s in zip((h, w), self.pool_size, self.strides)]
        out = [out_size(n + sum(side), k, s, 0) for n, side, k, s in zip((h, w), self.sides, self.pool_size, self.strides)]
        return _image(self.data_format, channels, *out)

    def call(self, x, training):
        # Keras' "same": max ignores the padding, the mean is over the window's cells inside the image
        mode = "max" if self.kind == "max" else "average_exc_pad"
        pooled = sn.pool2d(_to_nchw(x, self.data_format), self.pool_size, self.strides, tuple(self.sides), mode)
        return _from_nchw(pooled, self.data_format)

    def config(self):
        return {**super().config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window; strides default to pool_size."""

    kind = "max"


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window; strides default to pool_size."""

    kind = "avg"


class _Recurrent(Layer):
    """A recurrent layer over (timesteps, features) sequences, timesteps fixed or ``None``
    (any length at call time): the inputs' products with the kernel are one matmul for all
    timesteps, then a scan over the timesteps adds the recurrent product at each step and
    updates the state (h, or h and c). ``go_backwards`` reads the sequence from its end and
    returns the outputs in that order, as Keras does.

    Inside the loop every value is transposed, (units, batch): a gate is then a block of
    rows of the step's projection, contiguous, and the step's elementwise loops run along
    the batch and vectorize (as (batch, units) columns, strided, they did not: the LSTM(64)
    step at batch 32 took 130 µs, 100 of them in its gates)."""

    gates = 1
    states = 1

    def __init__(self, units: int, activation="tanh", return_sequences: bool = False, go_backwards: bool = False,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", dropout: float = 0.0, recurrent_dropout: float = 0.0, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{type(self).__name__}: {what} must be in [0, 1), got {rate!r}")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.regularizers = tuple(regularizers.get(r) for r in (kernel_regularizer, recurrent_regularizer, bias_regularizer))
        self.recurrent_mask = None  # the recurrent dropout of the call being built
        self.units = positive_int(units, f"{type(self).__name__}: units")
        self.use_bias, self.return_sequences = bool(use_bias), bool(return_sequences)
        self.go_backwards = bool(go_backwards)
        self.activation_name = activation
        self.activation = globals()["activation"](activation)
        self.initializers = (kernel_initializer, recurrent_initializer, bias_initializer)

    def build(self, input_shape, rng):
        if len(input_shape) != 2 or input_shape[1] is None:
            raise ValueError(f"{type(self).__name__} layer {self.name} takes sequences (timesteps, features), "
                             f"got examples of shape {input_shape}")
        self.steps, features = input_shape
        width = self.gates * self.units
        kernel_init, recurrent_init, bias_init = self.initializers
        kernel_reg, recurrent_reg, bias_reg = self.regularizers
        self.kernel = self.add_weight("kernel", (features, width), kernel_init, rng, regularizer=kernel_reg)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), recurrent_init, rng,
                                                regularizer=recurrent_reg)
        self.bias = self.add_weight("bias", self.bias_shape(width), bias_init, rng, regularizer=bias_reg) if self.use_bias else None
        return (self.steps, self.units) if self.return_sequences else (self.units,)

    def bias_shape(self, width: int) -> tuple:
        return (width,)

    def input_bias(self):
        return self.bias

    def call(self, x, training):
        mask = getattr(x, "keras_mask", None)  # (batch, steps): False at padding
        if training and self.dropout:  # one mask per sequence, the same at every step, as Keras'
            keep = self.random.uniform(size=(x.shape[0], 1, x.shape[2]), dtype=x.dtype) >= self.dropout
            x = sn.where(keep, x * (1 / (1 - self.dropout)), 0)
        inputs = x @ self.kernel  # (batch, steps, width): every timestep in one product
        if self.bias is not None:
            inputs = inputs + self.input_bias()
        sequence = inputs.transpose(1, 2, 0)  # (steps, width, batch)
        zero = sn.zeros_like(sequence[0, : self.units])
        self.recurrent_mask = None
        if training and self.recurrent_dropout:  # on the state the recurrent products read
            keep = self.random.uniform_like(zero) >= self.recurrent_dropout
            self.recurrent_mask = sn.where(keep, 1 / (1 - self.recurrent_dropout), 0.0)

        def one_step(z, *state):
            return list(self.step(z, state))

        def masked_step(z, keep, *state):  # a padded step keeps the state it was given, as Keras
            return [sn.where(keep, new, old) for new, old in zip(self.step(z, state), state)]

        # a loop over time (sn.scan): the step is compiled once whatever the sequence length
        if mask is None:
            states, _ = sn.scan(one_step, sequences=sequence, outputs_info=[zero] * self.states,
                                go_backwards=self.go_backwards, name=self.name)
        else:
            keep = sn.cast(mask, "bool").T[:, None, :]  # (steps, 1, batch)
            states, _ = sn.scan(masked_step, sequences=[sequence, keep], outputs_info=[zero] * self.states,
                                go_backwards=self.go_backwards, name=self.name)
        h = states[0] if self.states > 1 else states  # (steps, units, batch)
        if not self.return_sequences:
            return h[-1].T
        out = h.transpose(2, 0, 1)
        if mask is not None:
            out.keras_mask = mask[:, ::-1] if self.go_backwards else mask
        return out

    def step(self, z, state):
        """The new state(s) from this step's input projection ``z`` (bias included) and the
        previous state(s), all transposed: (width, batch) and (units, batch)."""
        raise NotImplementedError

    def dropped(self, h):
        """``h`` as the recurrent products read it: with the recurrent dropout while training."""
        return h if self.recurrent_mask is None else h * self.recurrent_mask

    def config(self):
        if not (self.activation_name is None or isinstance(self.activation_name, str)):
            raise ValueError(f"layer {self.name}: a model with a custom activation function cannot be saved by name")
        if not all(isinstance(init, str) for init in self.initializers):
            raise ValueError(f"layer {self.name}: a custom initializer cannot be saved by name")
        kernel_init, recurrent_init, bias_init = self.initializers
        return {**super().config(), "units": self.units, "activation": self.activation_name,
                "return_sequences": self.return_sequences, "go_backwards": self.go_backwards, "use_bias": self.use_bias,
                "kernel_initializer": kernel_init, "recurrent_initializer": recurrent_init,
                "bias_initializer": bias_init, "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                **{name: regularizers.config(r) for name, r in
                   zip(("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"), self.regularizers)}}


class SimpleRNN(_Recurrent):
    """h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel + bias), h_0 = 0; the last h
    (or every h with ``return_sequences=True``)."""

    def step(self, z, state):
        return (self.activation(z + self.recurrent_kernel.T @ self.dropped(state[0])),)


class _Gated(_Recurrent):
    """A recurrent layer with gates, squashed by ``recurrent_activation`` (sigmoid)."""

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation_name = recurrent_activation
        self.recurrent_activation = globals()["activation"](recurrent_activation)

    def config(self):
        if not isinstance(self.recurrent_activation_name, str):
            raise ValueError(f"layer {self.name}: a custom recurrent activation cannot be saved by name")
        return {**super().config(), "recurrent_activation": self.recurrent_activation_name}


class LSTM(_Gated):
    """Long short-term memory with Keras' gate order (input, forget, cell, output) in the
    kernels' columns and the forget gate's bias initialized to 1 (``unit_forget_bias``):
    c_t = f·c_(t-1) + i·tanh(z_c), h_t = o·tanh(c_t), gates sigmoid (``recurrent_activation``)."""

    gates = 4
    states = 2

    def build(self, input_shape, rng):
        shape = super().build(input_shape, rng)
        if self.bias is not None and self.initializers[2] == "zeros":
            values = self.bias.get_value()
            values[self.units : 2 * self.units] = 1
            self.bias.set_value(values)
        return shape

    def step(self, z, state):
        u, gate = self.units, self.recurrent_activation
        z = z + self.recurrent_kernel.T @ self.dropped(state[0])
        i, f, o = gate(z[:u]), gate(z[u : 2 * u]), gate(z[3 * u :])
        c = f * state[1] + i * self.activation(z[2 * u : 3 * u])
        return (o * self.activation(c), c)


class GRU(_Gated):
    """Gated recurrent unit with Keras' gate order (update z, reset r, candidate) in the
    kernels' columns: h_t = z·h_(t-1) + (1 − z)·tanh(x_h + r·(h_(t-1) @ U_h + b_h)) with
    ``reset_after=True`` (Keras' default: the bias has two rows, input and recurrent), or
    tanh(x_h + (r·h_(t-1)) @ U_h) with ``reset_after=False``."""

    gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid", reset_after: bool = True, **kwargs):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self, width):
        return (2, width) if self.reset_after else (width,)

    def input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def step(self, x, state):
        u, gate, h = self.units, self.recurrent_activation, state[0]
        read = self.dropped(h)
        if self.reset_after:
            inner = self.recurrent_kernel.T @ read
            if self.bias is not None:
                inner = inner + self.bias[1][:, None]
        else:
            inner = self.recurrent_kernel[:, : 2 * u].T @ read
        z, r = gate(x[:u] + inner[:u]), gate(x[u : 2 * u] + inner[u : 2 * u])
        recurrent = r * inner[2 * u :] if self.reset_after else self.recurrent_kernel[:, 2 * u :].T @ (r * read)
        return (z * h + (1 - z) * self.activation(x[2 * u :] + recurrent),)

    def config(self):
        return {**super().config(), "reset_after": self.reset_after}


class Bidirectional(Layer):
    """``layer`` over the sequence and a copy of it (its own weights) over the reversed
    sequence, merged by ``merge_mode``: "concat" (default), "sum", "mul" or "ave"; with
    ``return_sequences`` the backward outputs are put back in time order first, as Keras
    does. Weights: the forward layer's, then the backward one's."""

    MERGES = ("concat", "sum", "mul", "ave")

    def __init__(self, layer, merge_mode="concat", **kwargs):
        if isinstance(layer, dict):  # from a saved model's config
            layer = LAYERS[layer["class"]](**layer["config"])
        if not isinstance(layer, _Recurrent):
            raise TypeError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got {type(layer).__name__}")
        if merge_mode not in self.MERGES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {', '.join(map(repr, self.MERGES))}, got {merge_mode!r}"
                             + ("; a list of both outputs does not fit a Sequential model" if merge_mode is None else ""))
        if layer.input_shape is not None:
            kwargs.setdefault("input_shape", layer.input_shape)
        super().__init__(**kwargs)
        self.merge_mode = merge_mode
        self.layer = layer
        config = {k: v for k, v in layer.config().items() if k not in ("name", "input_shape")}
        self.forward_layer = type(layer)(**{**config, "name": f"forward_{layer.name}"})
        self.backward_layer = type(layer)(**{**config, "name": f"backward_{layer.name}", "go_backwards": not layer.go_backwards})

    def build(self, input_shape, rng):
        shape = self.forward_layer.build(input_shape, rng)
        self.backward_layer.build(input_shape, rng)
        self.weights = self.forward_layer.weights + self.backward_layer.weights
        self.penalties = self.forward_layer.penalties + self.backward_layer.penalties
        return (*shape[:-1], 2 * shape[-1]) if self.merge_mode == "concat" else shape

    def call(self, x, training):
        self.forward_layer.random = self.backward_layer.random = self.random
        forward = self.forward_layer.call(x, training)
        backward = self.backward_layer.call(x, training)
        mask = getattr(x, "keras_mask", None)
        if self.layer.return_sequences:
            backward = backward[:, ::-1]
        if self.merge_mode == "concat":
            out = sn.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            out = forward + backward
        elif self.merge_mode == "mul":
            out = forward * backward
        else:
            out = (forward + backward) * 0.5
        if mask is not None and self.layer.return_sequences:  # padded steps output zeros, as Keras'
            out = sn.where(sn.cast(mask, "bool")[:, :, None], out, 0)
            out.keras_mask = mask
        return out

    def config(self):
        return {**super().config(), "layer": {"class": type(self.layer).__name__, "config": self.layer.config()},
                "merge_mode": self.merge_mode}


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
        if not isinstance(self.embeddings_initializer, str):
            raise ValueError(f"layer {self.name}: a custom initializer cannot be saved by name")
        return {**super().config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": self.embeddings_initializer, "mask_zero": self.mask_zero,
                "embeddings_regularizer": regularizers.config(self.embeddings_regularizer)}


class _GlobalPooling(Layer):
    """The mean or maximum over every axis but the batch and the channels."""

    kind, rank = "avg", 1

    def __init__(self, data_format="channels_last", keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def axes(self) -> tuple:
        return tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else tuple(range(2, self.rank + 2))

    def build(self, input_shape, rng):
        if len(input_shape) != self.rank + 1:
            raise ValueError(f"{type(self).__name__} layer {self.name} takes examples of {self.rank + 1} axes, got {input_shape}")
        reduced = {a - 1 for a in self.axes()}
        return tuple(1 if k in reduced else n for k, n in enumerate(input_shape)) if self.keepdims else \
            tuple(n for k, n in enumerate(input_shape) if k not in reduced)

    def call(self, x, training):
        mask = getattr(x, "keras_mask", None)
        if self.kind == "max":
            return sn.max(x, self.axes(), keepdims=self.keepdims)
        if mask is None or self.rank != 1:
            return sn.mean(x, self.axes(), keepdims=self.keepdims)
        # the mean over the steps that are not padding
        weights = sn.cast(mask, x.dtype)[:, :, None] if self.data_format == "channels_last" else sn.cast(mask, x.dtype)[:, None, :]
        total = sn.sum(x * weights, self.axes(), keepdims=self.keepdims)
        return total / sn.maximum(sn.sum(weights, self.axes(), keepdims=self.keepdims), 1)

    def config(self):
        return {**super().config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps of (steps, channels) examples (the steps not masked as padding)."""


class GlobalMaxPooling1D(_GlobalPooling):
    kind = "max"


class GlobalAveragePooling2D(_GlobalPooling):
    rank = 2


class GlobalMaxPooling2D(_GlobalPooling):
    kind, rank = "max", 2


class Conv1D(Layer):
    """activation(conv1d(x, kernel) + bias) over (steps, channels) sequences (or (channels,
    steps) channels-first); kernel (k, channels, filters), as Keras'. ``padding``: "valid",
    "same" or "causal" (zeros before the sequence only: output t sees inputs up to t)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.use_bias = positive_int(filters, "Conv1D: filters"), bool(use_bias)
        self.kernel_size = _single_int(kernel_size, "kernel_size", "Conv1D")
        self.strides = _single_int(strides, "strides", "Conv1D")
        if padding not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        self.padding, self.data_format = padding, _data_format(data_format, "Conv1D")
        self.activation_name = activation
        self.activation = globals()["activation"](activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape, rng):
        if len(input_shape) != 2:
            raise ValueError(f"Conv1D layer {self.name} takes sequences (steps, channels), got examples of shape {input_shape}")
        steps, channels = input_shape if self.data_format == "channels_last" else input_shape[::-1]
        if steps is None:
            raise ValueError(f"Conv1D layer {self.name} needs the number of steps, got examples of shape {input_shape}")
        k, s = self.kernel_size, self.strides
        if self.padding == "same":
            self.sides = same_padding(steps, k, s)
        elif self.padding == "causal":
            self.sides = (k - 1, 0)
        else:
            self.sides = (0, 0)
        out = out_size(steps + sum(self.sides), k, s, 0)
        self.kernel = self.add_weight("kernel", (k, channels, self.filters), self.kernel_initializer, rng)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, rng) if self.use_bias else None
        return (out, self.filters) if self.data_format == "channels_last" else (self.filters, out)

    def call(self, x, training):
        x = x.dimshuffle(0, 2, "x", 1) if self.data_format == "channels_last" else x.dimshuffle(0, 1, "x", 2)
        x = pad_edges(x, 3, *self.sides, 0.0)
        z = sn.conv2d(x, self.kernel.dimshuffle(2, 1, "x", 0), (1, self.strides), (0, 0))[:, :, 0, :]  # (batch, filters, steps)
        z = z + sn.reshape(self.bias, 1, self.filters, 1) if self.bias is not None else z
        return self.activation(z.dimshuffle(0, 2, 1) if self.data_format == "channels_last" else z)

    def config(self):
        if not (self.activation_name is None or isinstance(self.activation_name, str)):
            raise ValueError(f"layer {self.name}: a model with a custom activation function cannot be saved by name")
        return {**super().config(), "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "bias_initializer": self.bias_initializer,
                "data_format": self.data_format}


class _Pooling1D(Layer):
    kind = "max"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        what = type(self).__name__
        self.pool_size = _single_int(pool_size, "pool_size", what)
        self.strides = self.pool_size if strides is None else _single_int(strides, "strides", what)
        if padding not in ("valid", "same"):
            raise ValueError(f"{what}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding, self.data_format = padding, _data_format(data_format, what)

    def build(self, input_shape, rng):
        if len(input_shape) != 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} takes sequences (steps, channels), got {input_shape}")
        steps, channels = input_shape if self.data_format == "channels_last" else input_shape[::-1]
        self.sides = same_padding(steps, self.pool_size, self.strides) if self.padding == "same" else (0, 0)
        out = out_size(steps + sum(self.sides), self.pool_size, self.strides, 0)
        return (out, channels) if self.data_format == "channels_last" else (channels, out)

    def call(self, x, training):
        images = x.dimshuffle(0, 2, "x", 1) if self.data_format == "channels_last" else x.dimshuffle(0, 1, "x", 2)
        mode = "max" if self.kind == "max" else "average_exc_pad"
        pooled = sn.pool2d(images, (1, self.pool_size), (1, self.strides), ((0, 0), self.sides), mode)[:, :, 0, :]
        return pooled.dimshuffle(0, 2, 1) if self.data_format == "channels_last" else pooled

    def config(self):
        return {**super().config(), "pool_size": self.pool_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format}


class MaxPooling1D(_Pooling1D):
    """The maximum of each window of pool_size steps; strides default to pool_size."""


class AveragePooling1D(_Pooling1D):
    """The mean of each window of pool_size steps; strides default to pool_size."""

    kind = "avg"


class _Normalization(Layer):
    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon, self.center, self.scale = int(axis), float(epsilon), bool(center), bool(scale)

    def feature_axis(self, input_shape) -> int:
        """The normalized axis of the batch (Keras counts the batch axis: -1 is the last)."""
        rank = len(input_shape) + 1
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank or input_shape[axis - 1] is None:
            raise ValueError(f"{type(self).__name__} layer {self.name}: axis {self.axis} does not fit examples of shape "
                             f"{input_shape} (it must have a known size)")
        return axis

    def affine(self, normalized, shape):
        out = normalized
        if self.scale:
            out = out * sn.reshape(self.gamma, shape)
        if self.center:
            out = out + sn.reshape(self.beta, shape)
        return out

    def config(self):
        return {**super().config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


class BatchNormalization(_Normalization):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta per feature (``axis``): while training,
    the batch's mean and variance, and the moving statistics move toward them by
    ``momentum`` inside the compiled step (moving = moving * momentum + batch * (1 -
    momentum)); at predict and evaluate, the moving statistics. Weights: gamma, beta,
    moving_mean, moving_variance (the last two not trained), as Keras'."""

    def __init__(self, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 **kwargs):
        super().__init__(axis, epsilon, center, scale, **kwargs)
        self.momentum = float(momentum)

    def build(self, input_shape, rng):
        self.feature = self.feature_axis(input_shape)
        n = input_shape[self.feature - 1]
        self.gamma = self.add_weight("gamma", (n,), "ones", rng) if self.scale else None
        self.beta = self.add_weight("beta", (n,), "zeros", rng) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", (n,), "zeros", rng, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (n,), "ones", rng, trainable=False)
        return input_shape

    def call(self, x, training):
        shape = tuple(-1 if k == self.feature else 1 for k in range(x.ndim))
        if training:
            axes = tuple(k for k in range(x.ndim) if k != self.feature)
            mean = sn.mean(x, axes)
            variance = sn.mean(sn.square(x - sn.reshape(mean, shape)), axes)
            m = self.momentum
            self.pending_updates = [(self.moving_mean, self.moving_mean * m + mean * (1 - m)),
                                    (self.moving_variance, self.moving_variance * m + variance * (1 - m))]
        else:
            mean, variance = self.moving_mean, self.moving_variance
        normalized = (x - sn.reshape(mean, shape)) / sn.sqrt(sn.reshape(variance, shape) + self.epsilon)
        return self.affine(normalized, shape)

    def config(self):
        return {**super().config(), "momentum": self.momentum}


class LayerNormalization(_Normalization):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, the statistics of each example over
    ``axis`` (the last by default), gamma and beta per feature of that axis."""

    keeps_mask = True

    def build(self, input_shape, rng):
        self.feature = self.feature_axis(input_shape)
        n = input_shape[self.feature - 1]
        self.gamma = self.add_weight("gamma", (n,), "ones", rng) if self.scale else None
        self.beta = self.add_weight("beta", (n,), "zeros", rng) if self.center else None
        return input_shape

    def call(self, x, training):
        mean = sn.mean(x, self.feature, keepdims=True)
        variance = sn.mean(sn.square(x - mean), self.feature, keepdims=True)
        shape = tuple(-1 if k == self.feature else 1 for k in range(x.ndim))
        return self.affine((x - mean) / sn.sqrt(variance + self.epsilon), shape)


def _single_int(value, what: str, layer: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {what} must be a positive int, got {value!r}")
    return int(value)


LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten, Reshape, Concatenate, Add, Conv2D, MaxPooling2D,
                                        AveragePooling2D, SimpleRNN, LSTM, GRU, Bidirectional, Embedding,
                                        GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalAveragePooling2D,
                                        GlobalMaxPooling2D, Conv1D, MaxPooling1D, AveragePooling1D, BatchNormalization,
                                        LayerNormalization)}
