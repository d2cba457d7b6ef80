"""The layer protocol (``Layer``: weights as shared variables, ``build`` for an example
shape, ``call`` on expressions, calls on KerasTensors for functional models), ``Input``,
activations by name, and the helpers the layers share (image layouts, Keras' same padding)."""

from __future__ import annotations

import numbers
import re

import numpy as np

import symnet as sn
from symnet.nn import functional, initializers, regularizers


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

    def named(self, activation="linear", initializers=()) -> None:
        """Check that the settings a config writes are names (a function cannot be saved)."""
        if not (activation is None or isinstance(activation, str)):
            raise ValueError(f"layer {self.name}: a model with a custom activation function cannot be saved by name")
        if not all(isinstance(init, str) for init in initializers):
            raise ValueError(f"layer {self.name}: a custom initializer cannot be saved by name")

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


def _pair(value, what: str, layer: str) -> tuple:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{layer}: {what} must be a positive int or a pair of them, got {value!r}")
    return tuple(int(v) for v in pair)


def _single_int(value, what: str, layer: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {what} must be a positive int, got {value!r}")
    return int(value)


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
