"""Build: a fused program → generated source → cached module → a callable native program."""

from __future__ import annotations

import time

from symnet.codegen import cache
from symnet import diskcache, interrupts
from symnet.errors import ShapeError

CPU_FASTMATH = frozenset({"contract"})  # LLVM may fuse multiply-adds, nothing else

# An input of this many elements switches to the parallel driver (which still runs small
# kernels serially, each deciding by its own amount of work).
PARALLEL_INPUT_ELEMENTS = 1 << 15


class NativeProgram:
    """A generated module and what a call of it needs: the entry point and error messages."""

    def __init__(self, module, info, compile_time: dict):
        self.module = module
        self.info = info
        self.compile_time = compile_time

    @property
    def source(self) -> str:
        """The driver's module followed by each kernel module it calls."""
        parts = [self.info.source]
        for kernel in getattr(self.module, "KERNEL_MODULES", ()):  # a CUDA module holds its kernels
            parts.append(f"\n\n# ---- {kernel.__name__} ----\n" + kernel.SYMNET_SOURCE)
        return "".join(parts)

    @property
    def kernels(self) -> list:
        return self.info.kernels

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
            # the sizes the check compared come with it: the message's {} fields
            return ShapeError(self.info.errors[int(message.split(":")[1])].format(*error.args[1:]))
        if message.startswith("symnet-step:"):
            # the driver checks every size of a loop's step before the loop: not expected
            return ShapeError(f"symnet: a size check inside a scan's step failed ({message})")
        return error


def _generate_and_load(printer, target: str) -> tuple:
    """(module, info, compile_time) for a driver printer: print, then load through the cache."""
    start = time.perf_counter()
    info = printer.print()
    emitted = time.perf_counter()
    # kernel modules first: the driver imports them; a hit means every module was on disk
    hits = [cache.load(source, target)[1] for source in info.kernel_modules.values()]
    module, hit = cache.load(info.source, target)
    hit = hit and all(hits)
    loaded = time.perf_counter()
    compile_time = {
        "lower": info.lower_seconds,
        "emit": emitted - start - info.lower_seconds,
        "load": loaded - emitted,
        "cache_hit": hit,
    }
    return module, info, compile_time


def cpu_printer(program, inputs, updates, fastmath, single, vector_math, profile=False):
    # imported here: the printers import sympy, which a recalled program does without
    from symnet.codegen.emit.numba_driver import CpuDriver

    return CpuDriver(program, inputs, updates, fastmath, single, PARALLEL_INPUT_ELEMENTS, vector_math, profile=profile)


def build_cpu(program, inputs, updates, fastmath, single, vector_math, signature=None) -> NativeProgram:
    """The native program; with the graph's ``signature``, also remembered under it."""
    native = NativeProgram(*_generate_and_load(cpu_printer(program, inputs, updates, fastmath, single, vector_math), "cpu"))
    if signature is not None:
        _remember(signature, native, len(inputs))
    return native


# graph signature → the generated module and what its entry point needs (see recall_cpu)
_PROGRAMS = diskcache.Table("programs")


def _remember(signature, native: NativeProgram, n_inputs: int) -> None:
    if native.info.fallbacks:
        return  # its fallback ops are registered when it prints: a recalled one would not find them
    leaf = {id(v): k for k, v in enumerate(signature.leaves)}
    params = [leaf.get(id(v)) for v in native.info.params[n_inputs:]]
    if None in params:
        return  # the optimized graph made a new constant the driver reads: not recallable
    _PROGRAMS.put(signature.digest, {"module": native.module.__name__, "params": params, "vector_math": native.info.vector_math})


class Recalled:
    """What a recalled program's entry point needs: its parameters and source. Anything
    else (error messages, kernels, step labels) comes from ``reprint()``, which prints the
    program again (optimizing the graph, with sympy) the first time it is asked for: error
    messages then name this process's variables and the user's current lines."""

    def __init__(self, params: list, source: str, vector_math: bool):
        self.params, self.source, self.vector_math = params, source, vector_math
        self.reprint = None  # set by the Function: () → the printer's full description
        self._full = None

    def __getattr__(self, name: str):
        if name.startswith("_") or self.reprint is None:
            raise AttributeError(name)
        if self._full is None:
            full = self.reprint()
            if full.source != self.source:
                raise RuntimeError(
                    "symnet: the program recalled for this graph is not the one it compiles to "
                    f"(its signature misses something): delete {diskcache.cache_dir()} and report it"
                )
            self._full = full
        return getattr(self._full, name)


def recall_cpu(signature, inputs: list) -> NativeProgram | None:
    """The program remembered for a graph with this signature, loaded from the module cache;
    None if there is none (or its module is gone or altered)."""
    start = time.perf_counter()
    entry = _PROGRAMS.get(signature.digest)
    if entry is None:
        return None
    try:
        loaded = cache.load_named(entry["module"], "cpu")
    except ImportError:
        loaded = None  # a kernel module it calls was pruned: build it all again
    if loaded is None:
        return None
    module, source = loaded
    params = list(inputs) + [signature.leaves[k] for k in entry["params"]]
    info = Recalled(params, source, entry["vector_math"])
    return NativeProgram(module, info, {"cache_hit": True, "recall": time.perf_counter() - start})


def build_profiled(program, inputs, updates, vector_math, fastmath=CPU_FASTMATH) -> NativeProgram:
    """The program with a clock around each step (``run_profiled_serial/parallel``); the
    labels of its steps are ``info.step_labels``."""
    return NativeProgram(*_generate_and_load(cpu_printer(program, inputs, updates, fastmath, False, vector_math, profile=True), "cpu"))


class CudaProgram(NativeProgram):
    """A generated CUDA module: ``run(*device arrays)`` launches its kernels on one stream."""

    def __init__(self, module, info, compile_time: dict, updates: list):
        super().__init__(module, info, compile_time)
        self.updates = updates  # (shared, new value) pairs: which state a call writes

    def entry(self, params: list, convert):
        """``entry(*args)``: inputs converted by ``convert(k, arg)`` to device arrays, shared
        variables' device copies (updated ones marked as written), one driver call; outputs
        come back as device arrays (``.copy_to_host()`` for NumPy)."""
        from symnet.codegen import cudalib

        run, failure = self.module.run, self.failure
        updated = {id(shared) for shared, _ in self.updates}
        # constants go over on the first call (building a function needs no GPU)
        state = [(p, id(p) in updated) if hasattr(p, "device_value") else (p, None) for p in params]
        uploaded: dict = {}

        def device(p, written):
            if written is not None:
                return p.device_value(written)
            if id(p) not in uploaded:
                uploaded[id(p)] = cudalib.to_device(p.container)
            return uploaded[id(p)]

        def entry(*args):
            arrays = [convert(k, a) for k, a in enumerate(args)]
            arrays += [device(p, written) for p, written in state]
            try:
                with interrupts.deferred():  # a Python driver: Ctrl-C waits for its last launch
                    return run(*arrays)
            except ValueError as error:
                raise failure(error) from None

        return entry


def build_cuda(program, inputs, updates, single, fast_math: bool = False) -> CudaProgram:
    from symnet.codegen.emit.cuda_driver import CudaDriver

    printer = CudaDriver(program, inputs, updates, single, fast_math)
    return CudaProgram(*_generate_and_load(printer, "cuda"), updates)
