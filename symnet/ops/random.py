"""Counter-based random numbers: U[0, 1) noise as a pure function of (seed, counter, element
index), so every target computes the same values and a step's noise is new when its counter
moves on (``sn.RandomStream`` keeps the counter as shared state)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet.ops.base import Op
from symnet.tensor_type import TensorType, is_float

GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: the splitmix64 increment
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # splitmix64's finalizer multipliers
MASK = (1 << 64) - 1


def mix(z):
    """splitmix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def stream_key(seed: int, counter: int) -> int:
    """The key of one draw: the seed and the counter mixed (Python ints, 64-bit wrap)."""
    with np.errstate(over="ignore"):
        c = mix(np.array(counter & MASK, np.uint64))
        return int(mix(np.array(seed & MASK, np.uint64) ^ c))


def uniform_bits(key: int, size: int, dtype: str) -> np.ndarray:
    """``size`` uniforms in [0, 1) of ``dtype``: the top 24 (float32) or 53 (float64) bits of
    mix(key + (i + 1)·GOLDEN), scaled exactly."""
    with np.errstate(over="ignore"):
        z = mix(np.uint64(key) + (np.arange(1, size + 1, dtype=np.uint64) * np.uint64(GOLDEN)))
    if dtype == "float32":
        return ((z >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)).astype(np.float32)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


@dataclass(frozen=True)
class RandomUniform(Op):
    """(counter, like) → U[0, 1) noise shaped like ``like`` (float, or floatX for other
    dtypes). ``counter`` is an int64 scalar; ``like``'s values are not read."""

    seed: int
    name = "random_uniform"

    def output_types(self, counter, like):
        if counter.ndim != 0 or counter.dtype != "int64":
            raise TypeError(f"random_uniform needs an int64 scalar counter, got {counter}")
        if is_float(like.dtype):
            return [like]
        from symnet.config import config

        return [like.with_dtype(config.floatX)]

    def value_inputs(self, node):
        return node.inputs[:1]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[1])]

    def evaluate(self, counter, like):
        dtype = self.output_types(TensorType("int64", ()), TensorType(like.dtype.name, like.shape))[0].dtype
        key = stream_key(self.seed, int(counter))
        return [uniform_bits(key, like.size, dtype).reshape(like.shape)]

    def pullback(self, node, cotangents):
        return [None, None]

    def __str__(self) -> str:
        return f"random_uniform{{seed={self.seed}}}"
