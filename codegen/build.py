"""Build: a fused program → generated source → cached module → a callable native program."""

from __future__ import annotations

import time

from codegen import cache
from codegen.emit.numba_driver import DriverPrinter
from symnet.errors import ShapeError

# An input of this many elements switches to the parallel driver (which still runs small
# kernels serially, each deciding by its own amount of work).
PARALLEL_INPUT_ELEMENTS = 1 << 15


class NativeProgram:
    """A generated module and what a call of it needs: the entry point and error messages."""

    def __init__(self, module, info, compile_time: dict):
        self.module = module
        self.info = info
        self.source = info.source
        self.kernels = info.kernels
        self.compile_time = compile_time

    def entry(self, params: list, slow):
        """The generated Python entry point: ``entry(*arrays)`` runs one call.

        ``params`` give the driver's arrays after the inputs (objects with ``.container``,
        read on every call); ``slow(*args)`` handles arguments of another dtype or ndim.
        """
        return self.module.make_entry(params, slow, self.failure)

    def failure(self, error: ValueError) -> Exception:
        """The exception to raise for a driver's ValueError: its check's message as a ShapeError."""
        message = str(error.args[0]) if error.args else ""
        if message.startswith("symnet:"):
            return ShapeError(self.info.errors[int(message.split(":")[1])])
        return error


def build_cpu(program, inputs, updates, fastmath, single, vector_math) -> NativeProgram:
    start = time.perf_counter()
    info = DriverPrinter(program, inputs, updates, fastmath, single, PARALLEL_INPUT_ELEMENTS, vector_math).print()
    emitted = time.perf_counter()
    module, hit = cache.load(info.source, "cpu")
    loaded = time.perf_counter()
    compile_time = {
        "lower": info.lower_seconds,
        "emit": emitted - start - info.lower_seconds,
        "load": loaded - emitted,
        "cache_hit": hit,
    }
    return NativeProgram(module, info, compile_time)


def build_profiled(program, inputs, updates, vector_math, fastmath=frozenset({"contract"})) -> NativeProgram:
    """The program with a clock around each step (``run_profiled_serial/parallel``); the
    labels of its steps are ``info.step_labels``."""
    info = DriverPrinter(program, inputs, updates, fastmath, False, PARALLEL_INPUT_ELEMENTS, vector_math, profile=True).print()
    module, hit = cache.load(info.source, "cpu")
    return NativeProgram(module, info, {"cache_hit": hit})
