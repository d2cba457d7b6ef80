"""Keras' functional API: ``Input`` is a symbolic tensor of examples, calling a layer on such
tensors records the call (``Call``), and a model's graph is the calls between its inputs and
outputs (several of each; a layer called twice shares its weights). ``run`` turns the calls
into symnet expressions when a model's function is compiled."""

from __future__ import annotations

import numpy as np


RNG = np.random.default_rng(0)  # initial weights of layers built by a call (Keras' global seed)


def set_random_seed(seed: int) -> None:
    """Seed the initial weights of the layers that calls build from now on (and of models'
    own streams made after)."""
    global RNG
    RNG = np.random.default_rng(seed)


class KerasTensor:
    """A symbolic batch of examples: its shape (``shape[0]`` the batch, None), dtype and the
    call that made it (None for an ``Input``)."""

    def __init__(self, example_shape, dtype: str, call=None, index: int = 0, name: str | None = None):
        self.example_shape = tuple(example_shape)
        self.dtype = dtype
        self.call = call
        self.index = index
        self.name = name

    @property
    def shape(self) -> tuple:
        return (None, *self.example_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self.example_shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Call:
    """One call of ``layer`` on ``inputs`` (KerasTensors; ``listed``: passed as a list)."""

    def __init__(self, layer, inputs: list, listed: bool):
        self.layer, self.inputs, self.listed = layer, inputs, listed
        self.outputs: list = []


def call_layer(layer, inputs):
    """Record ``layer(inputs)`` on KerasTensors, building the layer on its first call; returns
    its output KerasTensor (a list for a layer of several outputs)."""
    listed = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if listed else [inputs]
    shapes = [t.example_shape for t in tensors]
    shape = shapes if listed else shapes[0]
    if layer.output_shape is None:
        layer.input_spec = shape
        layer.output_shape = layer.build(shape, RNG)
    elif _normalized(shape) != _normalized(layer.input_spec):
        raise ValueError(f"layer {layer.name} was built for inputs of shape {_shape_text(layer.input_spec)}, and called now "
                         f"on {_shape_text(shape)}; a shared layer takes one shape")
    call = Call(layer, tensors, listed)
    outputs = layer.output_shape if getattr(layer, "several_outputs", False) else [layer.output_shape]
    dtype = layer.output_dtype(tensors)
    call.outputs = [KerasTensor(s, dtype, call, k, name=layer.name) for k, s in enumerate(outputs)]
    layer.calls.append(call)
    return call.outputs if len(call.outputs) > 1 else call.outputs[0]


def calls_between(inputs: list, outputs: list) -> list:
    """The calls that compute ``outputs`` from ``inputs``, each after the calls it reads;
    an error where an output needs an Input that is not among ``inputs``."""
    order, seen = [], set()

    def visit(t: KerasTensor, path: tuple):
        if any(t is i for i in inputs):
            return
        if t.call is None:
            raise ValueError(f"Model: output {path[0]} depends on the Input {t.name!r}, which is not among the model's inputs")
        if id(t.call) in seen:
            return
        for u in t.call.inputs:
            visit(u, path)
        seen.add(id(t.call))
        order.append(t.call)

    for k, out in enumerate(outputs):
        if not isinstance(out, KerasTensor):
            raise TypeError(f"Model: outputs must be tensors made by calling layers on Inputs, got {out!r} (output {k})")
        visit(out, (k,))
    return order


def run(calls: list, inputs: list, values: list, training: bool, apply) -> dict:
    """{KerasTensor: symnet expression} after the ``calls``, the ``inputs`` taking ``values``;
    ``apply(layer, args, training)`` makes one call's expressions."""
    env = {id(t): v for t, v in zip(inputs, values)}
    for call in calls:
        args = [env[id(t)] for t in call.inputs]
        out = apply(call.layer, args if call.listed else args[0], training)
        for t, v in zip(call.outputs, out if len(call.outputs) > 1 else [out]):
            env[id(t)] = v
    return env


def _normalized(shape):
    if isinstance(shape, list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _shape_text(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(str((None, *s)) for s in shape) + "]"
    return str((None, *shape))
