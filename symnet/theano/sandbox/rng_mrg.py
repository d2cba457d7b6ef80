"""``theano.sandbox.rng_mrg.MRG_RandomStreams``: the same stream under MRG's signatures
(symnet's generator is splitmix64 on every target, not MRG31k3p: the draws differ)."""

from __future__ import annotations

from symnet.expr import RandomStream
from symnet.unsupported import module_getattr
from symnet.theano.tensor.shared_randomstreams import _size


class MRG_RandomStreams(RandomStream):
    def __init__(self, seed=12345):
        super().__init__(seed, name="mrg_streams_counter")

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        return super().uniform(_size(size), low, high, dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        return super().normal(_size(size), avg, std, dtype)

    def binomial(self, size=None, p=0.5, n=1, ndim=None, dtype="int64", nstreams=None, **kwargs):
        return super().binomial(_size(size), n, p, dtype)


__getattr__ = module_getattr(__name__)
