"""Random streams: counter-based draws (``symnet.ops.random``) under Theano's stream API."""

from __future__ import annotations

import numbers

import numpy as np

from symnet.config import config
from symnet.expr import Constant, as_tensor, cast, cos, log1p, lt, shared, sqrt, zeros, zeros_like
from symnet.tensor_type import is_float, normalize_dtype


class RandomStream:
    """Random draws for compiled steps (dropout, corruption, sampling), Theano's random
    streams: ``uniform``, ``normal``, ``binomial`` (and ``uniform_like(x)``) are functions of
    (seed, draw number, counter, position), computed the same on every target. The counter
    is a shared variable with a default update: every function that draws from the stream
    moves it on by one per call by itself, so each call draws anew::

        rng = sn.RandomStream(seed=0)
        corrupted = x * rng.binomial(x.shape, p=0.7, dtype=x.dtype)
        step = sn.function([x], loss, updates=weight_updates)
    """

    def __init__(self, seed: int = 0, name: str = "rng_counter"):
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"RandomStream: seed must be an int, got {seed!r}")
        self.seed = int(seed)
        self.counter = shared(np.int64(0), name=name)
        self.counter.default_update = self.counter + 1
        self.draws = 0

    def uniform_like(self, x):
        """U[0, 1) shaped like ``x`` (of x's float dtype, else floatX); x's values are not read."""
        from symnet.ops.random import RandomUniform, stream_key

        x = as_tensor(x)
        self.draws += 1
        # one sub-seed per draw, below 2**63 so the generated code holds it as an int64 literal
        seed = stream_key(self.seed, -self.draws) >> 1
        return RandomUniform(seed)(self.counter, x)

    def _like(self, size, params: list, dtype, what: str):
        """What a draw is shaped like: ``size`` (ints or integer scalars), else the broadcast
        of the distribution's parameters."""
        dtype = normalize_dtype(dtype or config.floatX)
        if not is_float(dtype):
            raise TypeError(f"RandomStream.{what}: dtype must be a float dtype, got {dtype}")
        if size is not None:
            return zeros(size, dtype)
        like = Constant(0, dtype)
        for p in params:
            like = like + zeros_like(cast(as_tensor(p, what=f"RandomStream.{what}'s parameter"), dtype))
        return like

    def uniform(self, size=None, low=0.0, high=1.0, dtype=None):
        """U[low, high) of ``size``."""
        u = self.uniform_like(self._like(size, [low, high], dtype, "uniform"))
        return u * (as_tensor(high, u) - as_tensor(low, u)) + as_tensor(low, u)

    def normal(self, size=None, avg=0.0, std=1.0, dtype=None):
        """Normal draws of mean ``avg`` and standard deviation ``std`` (Box–Muller)."""
        like = self._like(size, [avg, std], dtype, "normal")
        u1, u2 = self.uniform_like(like), self.uniform_like(like)
        z = sqrt(-2.0 * log1p(-u1)) * cos(2.0 * np.pi * u2)  # 1 - u1 is in (0, 1]: log is finite
        return as_tensor(avg, z) + as_tensor(std, z) * z

    def binomial(self, size=None, n=1, p=0.5, dtype="int64"):
        """Binomial draws: the number of successes in ``n`` (an int) trials of probability ``p``."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise TypeError(f"RandomStream.binomial: n must be an int >= 0, got {n!r}")
        like = self._like(size, [p], None, "binomial")
        hits = zeros_like(like)
        for _ in range(int(n)):
            hits = hits + cast(lt(self.uniform_like(like), as_tensor(p, like)), like.dtype)
        return cast(hits, normalize_dtype(dtype))

    def updates(self) -> list:
        """The counter's update, for a function given it explicitly (functions add it by
        themselves: ``sn.function(..., no_default_updates=True)`` leaves it out)."""
        return [(self.counter, self.counter.default_update)]
