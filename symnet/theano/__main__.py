"""``python -m symnet.theano script.py [args...]``: run an unchanged Theano script on symnet
(its ``import theano...`` lines resolve to ``symnet.theano`` for that run)."""

from __future__ import annotations

import runpy
import sys

import symnet.theano
from symnet.theano import gradient, ifelse, printing, sandbox, tensor
from symnet.theano.sandbox import rng_mrg
from symnet.theano.tensor import nnet, shared_randomstreams, signal
from symnet.theano.tensor.signal import pool

ALIASES = {
    "theano": symnet.theano,
    "theano.gradient": gradient,
    "theano.ifelse": ifelse,
    "theano.printing": printing,
    "theano.tensor": tensor,
    "theano.tensor.nnet": nnet,
    "theano.tensor.signal": signal,
    "theano.tensor.signal.pool": pool,
    "theano.tensor.shared_randomstreams": shared_randomstreams,
    "theano.sandbox": sandbox,
    "theano.sandbox.rng_mrg": rng_mrg,
}


def main(argv: list) -> None:
    if not argv:
        sys.exit("usage: python -m symnet.theano script.py [args...]")
    sys.modules.update(ALIASES)
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
