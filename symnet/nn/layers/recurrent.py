"""Recurrent layers (SimpleRNN, LSTM, GRU) as one ``sn.scan`` over the timesteps each, with
Keras' masking and dropout, and Bidirectional."""

from __future__ import annotations


import symnet as sn
from symnet.nn import regularizers
from symnet.nn.layers.base import Layer, positive_int
from symnet.nn.layers.base import activation as resolve_activation


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
        self.activation = resolve_activation(activation)
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
        self.named(self.activation_name, self.initializers)
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
        self.recurrent_activation = resolve_activation(recurrent_activation)

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
            from symnet.nn.layers import LAYERS

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
