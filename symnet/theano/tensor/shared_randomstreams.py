"""``theano.tensor.shared_randomstreams.RandomStreams``: symnet's counter-based stream with
Theano's signatures; every function that draws moves it on by itself."""

from __future__ import annotations

import numpy as np

from symnet.expr import RandomStream
from symnet.unsupported import module_getattr


def _size(size):
    return None if size is None or size == () else size


class RandomStreams(RandomStream):
    def __init__(self, seed=None):
        # Theano draws a random seed when none is given
        super().__init__(int(np.random.SeedSequence().entropy % 2**62) if seed is None else seed, name="random_streams_counter")

    def uniform(self, size=(), low=0.0, high=1.0, ndim=None, dtype=None):
        return super().uniform(_size(size), low, high, dtype)

    def normal(self, size=(), avg=0.0, std=1.0, ndim=None, dtype=None):
        return super().normal(_size(size), avg, std, dtype)

    def binomial(self, size=(), n=1, p=0.5, ndim=None, dtype="int64"):
        return super().binomial(_size(size), n, p, dtype)


__getattr__ = module_getattr(__name__)
