"""Build: a fused program → generated source → cached module → a callable native program."""

from __future__ import annotations

import time

import numpy as np

from codegen import cache
from codegen.emit.numba_driver import DriverPrinter
from symnet.errors import ShapeError

# An input of this many elements switches to the parallel driver (which still runs small
# kernels serially, each deciding by its own amount of work).
PARALLEL_INPUT_ELEMENTS = 1 << 15


class NativeProgram:
    """A generated module and how to call it: ``program(arrays)`` returns the outputs."""

    def __init__(self, module, info, compile_time: dict):
        self.module = module
        self.info = info
        self.source = info.source
        self.kernels = info.kernels
        self.compile_time = compile_time

    def __call__(self, arrays: list) -> tuple:
        big = False
        for a in arrays:
            if a.size >= PARALLEL_INPUT_ELEMENTS:
                big = True
                break
        run = self.module.run_parallel if big else self.module.run_serial
        try:
            results = run(*arrays)
        except ValueError as e:
            message = str(e.args[0]) if e.args else ""
            if message.startswith("symnet:"):
                raise ShapeError(self.info.errors[int(message.split(":")[1])]) from None
            raise
        if self.info.scalar_outputs:
            return tuple(np.asarray(r) if k in self.info.scalar_outputs else r for k, r in enumerate(results))
        return results


def build_cpu(program, inputs, updates, fastmath) -> NativeProgram:
    start = time.perf_counter()
    info = DriverPrinter(program, inputs, updates, fastmath).print()
    emitted = time.perf_counter()
    module, hit = cache.load(info.source, "cpu")
    loaded = time.perf_counter()
    compile_time = {"lower_emit": emitted - start, "load": loaded - emitted, "cache_hit": hit}
    return NativeProgram(module, info, compile_time)
