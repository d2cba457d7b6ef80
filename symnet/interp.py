"""The NumPy reference interpreter: evaluates a graph op by op. The oracle for every backend."""

from __future__ import annotations

import numpy as np

from symnet.errors import ShapeError
from symnet.graph import Constant, Variable, toposort
from symnet.ops.elementwise import Elemwise


def evaluate(outputs: list, env: dict) -> list:
    """Values of ``outputs`` given ``env``, a dict from root variables to arrays."""
    env = evaluate_all(outputs, env)
    return [value(v, env) for v in outputs]


def evaluate_all(outputs: list, env: dict) -> dict:
    """``env`` extended with the value of every variable that ``outputs`` depend on."""
    env = dict(env)
    for node in toposort(outputs):
        args = [value(v, env) for v in node.inputs]
        if isinstance(node.op, Elemwise):
            check_broadcast(node, args)  # its message names the node already
        try:
            results = node.op.evaluate(*args)
        except (ValueError, IndexError) as e:
            raise ShapeError(f"{e}\n  in {node.where()}") from e
        for v, r in zip(node.outputs, results):
            check_value(v, r, node)
            env[v] = r
    return env


def value(v: Variable, env: dict) -> np.ndarray:
    if v in env:
        return env[v]
    if isinstance(v, Constant):
        return v.data
    raise KeyError(f"no value for {v.label()}")


def check_broadcast(node, args) -> None:
    """Only axes known to have size 1 may broadcast (so gradients know where to sum)."""
    try:
        out_shape = np.broadcast_shapes(*(a.shape for a in args))
    except ValueError as e:
        raise ShapeError(f"{e}\n  in {node.where()}") from e
    for v, a in zip(node.inputs, args):
        lead = len(out_shape) - a.ndim
        for axis, size in enumerate(a.shape):
            if size == 1 and out_shape[lead + axis] != 1 and not v.type.broadcastable[axis]:
                raise ShapeError(
                    f"{v.label()} has size 1 on axis {axis} at run time but is not declared "
                    f"broadcastable (type {v.type}); declare shape=(…, 1, …) to broadcast\n"
                    f"  in {node.where()}"
                )


def check_value(v: Variable, result: np.ndarray, node) -> None:
    if result.dtype.name != v.dtype or not v.type.accepts(result):
        raise ShapeError(
            f"{v.label()} was computed as {result.dtype}{list(result.shape)} but its type is {v.type}"
            f"\n  in {node.where()}"
        )
