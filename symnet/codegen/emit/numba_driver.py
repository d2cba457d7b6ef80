"""The CPU driver: one ``@njit`` function that sizes buffers, calls kernels and library routines
in order, writes shared-variable updates in place and returns the outputs.

Each fused kernel is a module of its own whose text depends only on the kernel (canonical
names, its own typed constants, static sizes as literals): identical kernels, in one graph
or in many, in one process or in many, are one module, compiled by Numba once and cached.
"""

from __future__ import annotations

from symnet.codegen.emit.cpu_rules import sizes_code as _sizes
from symnet.codegen.emit.numba_cpu import NUMPY_DTYPE, KernelPrinter
from symnet.codegen.emit.printer import Lines
from symnet.codegen.emit.scalar import Constants
from symnet.codegen.plan import Module, Plan, add_module, step_program
from symnet.codegen.rules import CPU
from symnet.codegen.schedule import schedule
from symnet.graph import SharedVariable


def _dtype(v) -> str:
    return NUMPY_DTYPE[v.dtype]


class CpuDriver:
    """Prints a plan (``symnet.codegen.plan``) as the CPU driver's module: kernel modules,
    ``run_serial``/``run_parallel``, batch loops and the Python entry point."""

    def __init__(self, program, inputs, updates, fastmath, single: bool, parallel_threshold: int, vector_math: bool, profile=False,
                 step=False):
        self.plan = Plan(program, inputs, updates, CPU, step, into=step)
        self.env = self.plan.env  # rules read sizes as d.env
        self.rules = CPU
        self.profile = profile
        self.single_output = single
        self.parallel_threshold = parallel_threshold
        self.vector_math = vector_math
        self.fastmath = fastmath
        self.uses_cpulib = False  # whether the driver calls symnet.codegen.cpulib (conv, gathers, fallbacks)
        self.kernel_modules: dict = {}  # module name → (alias in the driver, source)

    def emit(self, line: str) -> None:
        self.plan.emit(line)

    def print(self) -> Module:
        plan = self.plan
        plan.walk(self)
        source = self.profiled_source(plan.params) if self.profile else self.module_source(plan.params)
        modules = {name: text for name, (_, text) in self.kernel_modules.items()}
        return plan.module(source, vector_math=self.vector_math, kernel_modules=modules)

    # -- buffers and copies ----------------------------------------------------------------------
    def new_buffer(self, sizes, dtype: str) -> str:
        """Code allocating an uninitialized array."""
        return f"np.empty({_sizes(sizes)}, {NUMPY_DTYPE[dtype]})"

    def copy_of(self, v, copy: str) -> str:
        """Emit ``copy = a copy of v`` (a value that aliases an input or state); returns ``copy``."""
        self.emit(f"{copy} = {self.plan.name(v)}.copy()")
        return copy

    def copy_into(self, dst: str, src: str, sizes, dtype: str | None = None) -> None:
        if sizes:
            self.uses_cpulib = True
            self.emit(f"launch(cpulib.copy_into, {dst}, {src})")
        else:
            self.emit(f"{dst}[()] = {src}[()]")

    def fill(self, v) -> str:
        return f"np.full({_sizes(self.env.of(v))}, {v.data.flat[0].item()!r}, {_dtype(v)})"

    def returns_number(self, v) -> bool:
        """Whether output ``v`` comes back from the driver as a number: 0-d outputs do,
        because a call returning a 0-d array costs about 0.2 µs more than one returning the
        number that the entry point then wraps (measured in one process, min of 20 blocks)."""
        return v.ndim == 0

    def header(self, docstring: str) -> Lines:
        """The module's imports and typed constants."""
        lines = Lines()
        lines.add(f'"""{docstring}"""')
        lines.add("import math")
        lines.add("import time")
        lines.add("import numpy as np")
        lines.add("import numba")
        lines.add("from numba import prange")
        if self.uses_cpulib:
            lines.add("from symnet.codegen import cpulib")
        if self.env.slices:
            lines.add("from symnet.codegen.cpulib import slice_length")
        if self.uses_cpulib or self.kernel_modules:
            lines.add("from symnet.codegen.calls import call, launch")
        if self.kernel_modules:
            lines.add("from symnet.codegen.cache import kernel_module")
        lines.add("")
        for name, (alias, _) in self.kernel_modules.items():
            lines.add(f'{alias} = kernel_module("{name}")')
        lines.add("KERNEL_MODULES = (" + "".join(f"{alias}, " for alias, _ in self.kernel_modules.values()) + ")")
        return lines

    def decorator(self, parallel: bool, cache: bool = True, native_only: bool = False) -> str:
        fastmath = "{" + ", ".join(repr(f) for f in sorted(self.fastmath)) + "}" if self.fastmath else "False"
        # error_model="numpy": x/0 gives inf or nan as in NumPy (and the interpreter) instead
        # of raising ZeroDivisionError, and divisions need no zero test
        options = f'cache={cache}, fastmath={fastmath}, error_model="numpy"{", parallel=True" if parallel else ""}'
        if native_only:
            # called from drivers only: no Python or C entry points to generate (a fifth of
            # a small kernel's compile time)
            options += ", no_cpython_wrapper=True, no_cfunc_wrapper=True"
        return f"@numba.njit({options})"

    def module_source(self, params) -> str:
        lines = self.header("Generated by symnet: kernels and a driver for one compiled function.")
        for variant, column in (("serial", 0), ("parallel", 1)):
            lines.add("")
            lines.add("")
            # the kernels' own modules hold the prange loops; a loop's step is only called
            # by address from its loop's driver (symnet.codegen.calls)
            lines.add(self.decorator(False, native_only=self.plan.step))
            names = [self.plan.name(v) for v in params] + self.plan.destinations
            with lines.block(f"def run_{variant}({', '.join(names)}):"):
                for chunk in self.plan.body:
                    lines.extend(chunk[column])
        lines.add("")
        lines.add("")
        if self.plan.step:
            return lines.text()  # launched by its loop's driver only
        self.batch_loops(lines, params)
        self.entry(lines, params)
        return lines.text()

    def batch_loops(self, lines: Lines, params) -> None:
        """``run_batches_<variant>(batch, *params)``: the driver's body on consecutive slices
        of ``batch`` rows of every input with axes (0-d inputs as given), in one native call;
        returns each output (all are scalars) per batch. Printed only where outputs are
        scalars; Numba compiles it on its first call only. The body is printed inside the
        loop rather than called: a call would link the whole driver into this function and
        make Numba optimize it all a second time (2.3 s of a 16-layer MLP's 15 s)."""
        n_out = len(self.plan.program.outputs) - len(self.plan.updates)
        outputs = self.plan.program.outputs[:n_out]
        batched = [k for k, v in enumerate(self.plan.inputs) if v.ndim]
        if not batched or not outputs or any(v.ndim for v in outputs):
            return
        names = [self.plan.name(v) for v in params]
        arguments = [f"{n}_rows" if k in batched else n for k, n in enumerate(names)]
        first = arguments[batched[0]]
        for variant, column in (("serial", 0), ("parallel", 1)):
            lines.add(self.decorator(False))
            with lines.block(f"def run_batches_{variant}(batch, {', '.join(arguments)}):"):
                lines.add(f"n = {first}.shape[0]  # the caller checked that every batched input has n rows")
                lines.add("count = (n + batch - 1) // batch")
                for k, v in enumerate(outputs):
                    lines.add(f"o{k} = np.empty(count, {_dtype(v)})")
                with lines.block("for b in range(count):"):
                    lines.add("s = b * batch")
                    lines.add("e = min(s + batch, n)")
                    for k in batched:
                        lines.add(f"{names[k]} = {arguments[k]}[s:e]")
                    for chunk in self.plan.body[:-1]:  # all but the return
                        lines.extend(chunk[column])
                    for k, r in enumerate(self.plan.returned):
                        lines.add(f"o{k}[b] = {r}")  # 0-d: a number (see returns_number)
                lines.add("return (" + "".join(f"o{k}, " for k in range(len(outputs))) + ")")
            lines.add("")
            lines.add("")

    def profiled_source(self, params) -> str:
        """The driver with a clock around every step: ``run_profiled_<variant>(..., times)``
        adds each step's seconds to ``times[k]`` (object-mode clock reads, a few µs each)."""
        import time

        if not hasattr(time, "CLOCK_MONOTONIC"):
            raise NotImplementedError("sn.profile needs clock_gettime (Linux or macOS)")
        lines = self.header("Generated by symnet: a driver timing each step, for sn.profile.")
        # clock_gettime through ctypes: about 30 ns a read in nopython code (an object-mode
        # block costs 20 µs). ctypes globals cannot be cached: this module compiles each time.
        lines.add("import ctypes")
        lines.add("import ctypes.util")
        lines.add('_clock_gettime = ctypes.CDLL(ctypes.util.find_library("c")).clock_gettime')
        lines.add("_clock_gettime.argtypes = [ctypes.c_int, ctypes.c_void_p]")
        lines.add("_clock_gettime.restype = ctypes.c_int")
        lines.add("")
        lines.add("")
        lines.add("@numba.njit")
        with lines.block("def _now(buf):"):
            lines.add(f"_clock_gettime({int(time.CLOCK_MONOTONIC)}, buf.ctypes)")
            lines.add("return buf[0] + buf[1] * 1e-9")
        clock = ["t_clock = _now(clock_buffer)"]
        for variant, column in (("serial", 0), ("parallel", 1)):
            lines.add("")
            lines.add("")
            lines.add(self.decorator(False, cache=False))
            names = ", ".join([self.plan.name(v) for v in params] + ["step_times"])
            with lines.block(f"def run_profiled_{variant}({names}):"):
                lines.add("clock_buffer = np.zeros(2, np.int64)")
                for chunk in self.plan.body[: self.plan.step_chunks[0][0] if self.plan.step_chunks else len(self.plan.body)]:
                    lines.extend(chunk[column])
                for k, (start, end, _) in enumerate(self.plan.step_chunks):
                    lines.extend(clock)
                    lines.add("t_start = t_clock")
                    for chunk in self.plan.body[start:end]:
                        lines.extend(chunk[column])
                    lines.extend(clock)
                    lines.add(f"step_times[{k}] += t_clock - t_start")
                for chunk in self.plan.body[self.plan.step_chunks[-1][1] if self.plan.step_chunks else len(self.plan.body) :]:
                    lines.extend(chunk[column])
        return lines.text()

    def entry(self, lines: Lines, params) -> None:
        """The Python entry point: argument checks inline, the driver picked by size, one
        native call. Arguments of another dtype or ndim go to ``slow`` (which converts or
        raises, then calls the entry again); driver errors go through ``failed``."""
        n_in = len(self.plan.inputs)
        args = [f"a{k}" for k in range(n_in)]
        state = [f"c{k}" for k in range(len(params) - n_in)]
        lines.add("_ndarray, _asarray = np.ndarray, np.asarray")
        for k, v in enumerate(self.plan.inputs):
            lines.add(f"_D{k} = np.dtype({_dtype(v)})")
        n_out = len(self.plan.program.outputs) - len(self.plan.updates)
        outputs = self.plan.program.outputs[:n_out]
        # outputs the driver returns as numbers, wrapped here as 0-d arrays of their dtype
        wrapped = [v in self.plan.scalars or self.returns_number(v) for v in outputs]
        for k, v in enumerate(outputs):
            if wrapped[k]:
                lines.add(f"_O{k} = np.dtype({_dtype(v)})")
        with lines.block("def make_entry(params, slow, failed):"):
            if state:
                lines.add(f"{', '.join(f'p{k}' for k in range(len(state)))}, = params")
            # constants are read once; shared variables per call, by one attribute while the
            # host array is the only copy (``container`` fetches it back from a device)
            shared = [isinstance(v, SharedVariable) for v in params[n_in:]]
            for k, c in enumerate(state):
                if not shared[k]:
                    lines.add(f"{c} = p{k}.container")
            with lines.block(f"def entry({', '.join(args)}):"):
                if args:
                    tests = " or ".join(
                        f"type({a}) is not _ndarray or {a}.dtype is not _D{k} or {a}.ndim != {v.ndim}"
                        for k, (a, v) in enumerate(zip(args, self.plan.inputs))
                    )
                    with lines.block(f"if {tests}:"):
                        lines.add(f"return slow({', '.join(args)})")
                for k, c in enumerate(state):
                    if shared[k]:
                        lines.add(f"{c} = p{k}.host_only")
                        with lines.block(f"if {c} is None:"):
                            lines.add(f"{c} = p{k}.container")
                everything = args + state
                # arrays of fully known shape decide here, once; the others per call
                known = [_product(v.type.shape) if None not in v.type.shape else None for v in params]
                tested = [a for a, size in zip(everything, known) if size is None]
                if any(size is not None and size >= self.parallel_threshold for size in known):
                    lines.add("run = run_parallel")
                else:
                    lines.add("run = run_serial")
                    if tested:
                        with lines.block("if " + " or ".join(f"{a}.size >= {self.parallel_threshold}" for a in tested) + ":"):
                            lines.add("run = run_parallel")
                with lines.block("try:"):
                    lines.add(f"r = run({', '.join(everything)})")
                with lines.block("except ValueError as e:"):
                    lines.add("raise failed(e) from None")
                outs = [f"_asarray(r[{k}], _O{k})" if wrapped[k] else f"r[{k}]" for k in range(n_out)]
                lines.add(f"return {outs[0]}" if self.single_output else f"return [{', '.join(outs)}]")
            lines.add("return entry")

    # -- loops ----------------------------------------------------------------------------------
    def step_module(self, inputs: list, outputs: list) -> str | None:
        """The alias of the module holding an inner graph (a loop's step, an ifelse's branch:
        optimized, fused and printed as a driver of its own, its kernels shared with
        everything else), or None where it reads arrays that are not its inputs (a constant
        the rewrites made): the op then runs through the NumPy fallback."""
        program = step_program(inputs, outputs)
        printer = CpuDriver(program, inputs, [], self.fastmath, False, self.parallel_threshold, self.vector_math, step=True)
        info = printer.print()
        if len(info.params) != len(inputs):
            return None
        self.uses_cpulib |= printer.uses_cpulib
        for _, source in printer.kernel_modules.values():  # its kernels, and loops inside it
            add_module(self.kernel_modules, source, "cpu", "_k")
        return add_module(self.kernel_modules, info.source, "cpu", "_k")

    # -- kernels ------------------------------------------------------------------------------
    def kernel_constants(self) -> Constants:
        """The typed constants a kernel's text defines: its own (its module is shared)."""
        return Constants()

    def kernel(self, lowered) -> str:
        """Append the call of the kernel's module to the body; returns the module's source.

        The module has ``serial``, and ``parallel`` only where the kernel's work can reach
        the schedule's threshold: above it, ``parallel`` cuts the rows (the parallel axis,
        the first) into chunks and runs ``serial`` on each chunk's slices on the threads.
        The loop nest is compiled once, in ``serial``: a prange over the nest itself took
        Numba three times as long to compile."""
        kernel, names, sizes, header, arguments = lowered.kernel, lowered.names, lowered.sizes, lowered.header, lowered.arguments
        sched = schedule(kernel)
        constants = lowered.constants
        static = {k for k, s in enumerate(sizes) if s.isdigit()}
        static_work = len(static) == len(sizes) and _product(sizes) < sched.threshold
        sliced = _row_sliced(kernel)
        parallel = sched.parallel_axis == 0 and not static_work and sliced is not None
        if parallel:
            static.discard(0)  # chunks have any number of rows
        dynamic = [f"n{k}" for k in range(len(sizes)) if k not in static]
        order = kernel.array_inputs + kernel.scalar_inputs + kernel.outputs
        params = ", ".join(dynamic + order)
        printer = KernelPrinter(constants, self.vector_math)
        # 0-d arrays go in as their values: Numba's prange hands a 0-d array to its body as
        # a number, so serial would be typed twice (and a0[()] fail on the number)
        values = {p for p, v in zip(kernel.array_inputs, arguments) if v.ndim == 0}
        bodies = Lines()
        bodies.add(self.decorator(False, native_only=True))
        with bodies.block(f"def serial({params}):"):
            printer.section(bodies, kernel, {f"n{k}": sizes[k] for k in static}, values)
        if parallel:
            chunk = ["hi - lo" if n == "n0" else n for n in dynamic]
            chunk += [f"{p}[lo:hi]" if p in sliced else p for p in order]
            work = " * ".join(sizes[k] if k in static else f"n{k}" for k in range(len(sizes)))
            bodies.add("")
            bodies.add("")
            bodies.add(self.decorator(True, native_only=True))
            with bodies.block(f"def parallel({params}):"):
                with bodies.block(f"if {work} >= {sched.threshold}:"):
                    # a fixed count (numba.get_num_threads() would make it uncacheable):
                    # prange spreads the chunks over the threads
                    bodies.add(f"chunks = min(n0, {PARALLEL_CHUNKS})")
                    with bodies.block("for c in prange(chunks):"):
                        bodies.add("lo = c * n0 // chunks")
                        bodies.add("hi = (c + 1) * n0 // chunks")
                        # by address: linked in, serial's code would be optimized again
                        bodies.add(f"call(serial, {', '.join(chunk)})")
                with bodies.block("else:"):
                    bodies.add(f"call(serial, {params})")
        source = _kernel_module_text(constants, bodies, parallel, printer.uses_vecmath)
        alias = add_module(self.kernel_modules, source, "cpu", "_k")
        args = ", ".join([names[n] for n in dynamic] + [names[p] + ("[()]" if p in values else "") for p in order])
        serial_call = [f"launch({alias}.serial, {args})"]
        parallel_call = [f"launch({alias}.parallel, {args})"] if parallel else serial_call
        self.plan.add(header + serial_call, header + parallel_call)
        return "\n".join(header) + "\n" + source  # for f.kernels: the nodes it computes, then its module

    def call_fallback(self, node, key: str, outs: list, a: list) -> None:
        """``cpulib.fallback`` in an object-mode block of the driver."""
        self.uses_cpulib = True
        types = ", ".join(f'{o}="Array({_NUMBA_TYPE[v.dtype]}, {v.ndim}, \'C\')"' for o, v in zip(outs, node.outputs) if o != "_")
        lines = Lines()
        with lines.block(f"with numba.objmode({types}):"):
            lines.add(f"{', '.join(outs)}, = cpulib.fallback({key!r}, {', '.join(a)})")
        self.plan.add(lines.lines)

    def loop_section(self, sizes, statement: str) -> None:
        """``statement`` (with ``{index}`` for u0, u1, …) inside loops over ``sizes``.

        Numba compiles these loops in milliseconds where slice assignment or
        ``np.transpose(x, axes)`` take seconds.
        """
        lines = Lines()
        for k, size in enumerate(sizes):
            lines.add(f"for u{k} in range({size}):")
            lines.level += 1
        lines.add(statement.format(index=", ".join(f"u{k}" for k in range(len(sizes))) or "()"))
        self.plan.add(lines.lines)


_NUMBA_TYPE = {"bool": "boolean", "int32": "int32", "int64": "int64", "float32": "float32", "float64": "float64"}


def _kernel_module_text(constants: Constants, bodies: Lines, parallel: bool, uses_vecmath: bool) -> str:
    text = Lines()
    text.add('"""Generated by symnet: one kernel (shared by every function that has it)."""')
    text.add("import math")
    text.add("import numpy as np")
    text.add("import numba")
    if parallel:
        text.add("from numba import prange")
        text.add("from symnet.codegen.calls import call")
    if uses_vecmath:
        text.add("from symnet.codegen import vecmath as vm")
    text.add("")
    text.extend(constants.definitions())
    text.add("")
    text.add("")
    text.extend(bodies.lines)
    return text.text()


def _row_sliced(kernel) -> set | None:
    """The arrays whose first axis the kernel's first loop axis indexes (a chunk of rows is
    their slice ``[lo:hi]``), or None if an array meets that loop axis elsewhere or not in
    every access (a transposed read): such a kernel stays serial."""
    accesses: dict = {}
    for ld in kernel.loads:
        accesses.setdefault(ld.array, []).append(ld.axes)
    for st in kernel.stores:
        accesses.setdefault(st.array, []).append(st.axes)
    r = kernel.reduction
    if r is not None and 0 not in r.reduced:  # the output's first axis is the kept first loop axis
        accesses.setdefault(r.array, []).append((0,))
    sliced = set()
    for name, patterns in accesses.items():
        rows = {bool(axes) and axes[0] == 0 for axes in patterns}
        if len(rows) > 1 or any(0 in axes[1:] for axes in patterns):
            return None
        if rows == {True}:
            sliced.add(name)
    return sliced


# Chunks of rows a parallel kernel is cut into (each a call of its serial loop nest): enough
# to balance the threads of a large machine, few enough that a call costs nothing beside one.
PARALLEL_CHUNKS = 256


def _product(sizes) -> int:
    total = 1
    for s in sizes:
        total *= int(s)
    return total
