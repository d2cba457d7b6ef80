"""The CUDA driver: a Python function that sizes device buffers, launches the kernels in
order, multiplies through symnet/codegen/cudalib.py and writes updates into device state.

It prints the same plan as the CPU driver (``symnet.codegen.plan``: shapes, checks, buffer
reuse, in-place updates) with its own rules, buffers, copies and kernels; launch sizes are
the CUDA schedule's (``symnet.codegen.schedule``).
"""

from __future__ import annotations

import sympy

from symnet.codegen import schedule
from symnet.codegen.emit.cpu_rules import sizes_code as _sizes
from symnet.codegen.emit.numba_cpu import NUMPY_DTYPE
from symnet.codegen.emit.numba_cuda import CudaKernelPrinter
from symnet.codegen.emit.printer import Lines
from symnet.codegen.emit.scalar import Constants
from symnet.codegen.loopir import Kernel, Load, Store
from symnet.codegen.plan import Module, Plan, add_module, step_program
from symnet.codegen.rules import CUDA


class CudaDriver:
    """Prints a plan as a CUDA module: every kernel (fused and helper) and a host ``run``."""

    def __init__(self, program, inputs, updates, single: bool, fast_math: bool = False, step: bool = False):
        self.plan = Plan(program, inputs, updates, CUDA, step, read="cudalib.scalar({})")
        self.fast_math = fast_math
        self.step_modules: dict = {}  # module name → (alias, source): loops' steps, loaded by the build
        self.env = self.plan.env  # rules read sizes as d.env
        self.rules = CUDA
        self.constants = Constants()  # one module holds every kernel and its constants
        self.cuda_printer = CudaKernelPrinter(self.constants, schedule.THREADS, fast_math)
        self.kernel_sources: list = []  # module-level kernels, in order
        self.helper_kernels: dict = {}  # source text → name, for copies and accumulations
        self.signatures: dict = {}  # fused kernel → its parameters' (dtype, ndim), for f.asm()

    def emit(self, line: str) -> None:
        self.plan.emit(line)

    def print(self) -> Module:
        plan = self.plan
        plan.walk(self)
        modules = {name: source for name, (_, source) in self.step_modules.items()}
        module = plan.module(self.module_source(plan.params), vector_math=False, kernel_modules=modules)
        module.kernel_names = [name for name, _ in self.kernel_sources]
        module.signatures = self.signatures
        return module

    def returns_number(self, v) -> bool:
        return False  # outputs stay device arrays (read one back only when asked to)

    # -- buffers and copies ---------------------------------------------------------------------
    def new_buffer(self, sizes, dtype: str) -> str:
        return f"cudalib.empty({_sizes(sizes)}, {NUMPY_DTYPE[dtype]})"

    def fill(self, v) -> str:
        return f"cudalib.to_device(np.full({_sizes(self.env.of(v))}, {v.data.flat[0].item()!r}, {NUMPY_DTYPE[v.dtype]}))"

    def allocate_out(self, o: str, out) -> None:
        self.emit(f"{o} = {self.new_buffer(self.env.of(out), out.dtype)}")

    def copy_of(self, v, copy: str) -> str:
        sizes = self.env.of(v)
        self.emit(f"{copy} = {self.new_buffer(sizes, v.dtype)}")
        self.copy_into(copy, self.plan.name(v), sizes, v.dtype)
        return copy

    def copy_into(self, dst: str, src: str, sizes, dtype: str) -> None:
        """dst[...] = src[...] (converted to dst's dtype ``dtype``) by a copy kernel."""
        rank = len(sizes)
        self.elementwise_call("copy", rank, [tuple(range(rank))], lambda x: x[0], dtype, [src], dst, sizes)

    def elementwise_call(self, *args) -> None:
        self.emit(self.helper_launch(*args))

    def helper_launch(self, what, rank, load_axes, value, dtype, arrays, out, sizes) -> str:
        """The launch of a small generated kernel: ``out[i] = value(loads)`` over ``sizes``, loading
        ``arrays[j]`` through ``load_axes[j]`` (None: a broadcast axis). Kernels with the
        same text are printed once."""
        loads = [Load(f"x{j}", f"a{j}", axes) for j, axes in enumerate(load_axes)]
        symbols = [sympy.Symbol(ld.name, real=True) for ld in loads]
        compute = dtype if dtype.startswith("float") else "int64"
        kernel = Kernel(
            "helper", "elementwise", rank, [ld.array for ld in loads], [], ["out0"], loads, [],
            [Store("out0", tuple(range(rank)), value(symbols), dtype)], None, compute,
        )
        text = "\n".join(self.cuda_printer.kernel(kernel, []))
        name = self.helper_kernels.get(text)
        if name is None:
            name = f"{what}{len(self.helper_kernels)}_{rank}d_{dtype}"
            self.helper_kernels[text] = name
            kernel.name = name
            self.kernel_sources.append((name, self.cuda_printer.kernel(kernel, [])))
        work = " * ".join(sizes) or "1"
        return f"{name}[schedule.blocks({work}), {schedule.THREADS}]({', '.join(list(sizes) + list(arrays) + [out])})"

    def contiguous(self, name: str, v) -> str:
        """``name`` itself where C-contiguous at run time, else a C-contiguous copy."""
        self.reshape(f"{name}_c", name, v, self.env.of(v))
        return f"{name}_c"

    def reshape(self, o: str, x: str, v, sizes) -> None:
        """A view where ``x`` is C-contiguous, else a view of a contiguous copy."""
        lines = Lines()
        with lines.block(f"if {x}.is_c_contiguous():"):
            lines.add(f"{o} = {x}.reshape({_sizes(sizes)})")
        with lines.block("else:"):
            lines.add(f"{o}_c = {self.new_buffer(self.env.of(v), v.dtype)}")
            rank = v.ndim
            lines.add(self.helper_launch("copy", rank, [tuple(range(rank))], lambda x: x[0], v.dtype, [x], f"{o}_c", self.env.of(v)))
            lines.add(f"{o} = {o}_c.reshape({_sizes(sizes)})")
        self.plan.add(lines.lines)

    def converted(self, name: str, v, dtype: str) -> str:
        if v.dtype == dtype:
            return name
        self.emit(f"{name}_{dtype} = {self.new_buffer(self.env.of(v), dtype)}")
        self.copy_into(f"{name}_{dtype}", name, self.env.of(v), dtype)
        return f"{name}_{dtype}"

    @staticmethod
    def count(sizes) -> str:
        return " * ".join(sizes) or "1"

    # -- loops ------------------------------------------------------------------------------------
    def step_module(self, inputs: list, outputs: list) -> str | None:
        """The alias of the module holding an inner graph (a loop's step, an ifelse's
        branch), printed as a CUDA driver of its own (``run``), or None where it reads arrays
        that are not its inputs."""
        program = step_program(inputs, outputs)
        printer = CudaDriver(program, inputs, [], False, self.fast_math, step=True)
        info = printer.print()
        if len(info.params) != len(inputs):
            return None
        for _, source in printer.step_modules.values():  # loops inside the step
            add_module(self.step_modules, source, "cuda", "_s")
        return add_module(self.step_modules, info.source, "cuda", "_s")

    # -- kernels ----------------------------------------------------------------------------------
    def kernel_constants(self) -> Constants:
        return self.constants

    def kernel(self, lowered) -> str:
        """Append the launch of a fused kernel to the body; returns its source."""
        kernel, names, sizes, arguments = lowered.kernel, lowered.names, lowered.sizes, lowered.arguments
        source = self.cuda_printer.kernel(kernel, lowered.header)
        # (dtype, ndim) per parameter, ndim None for a scalar: sizes and driver scalars are int64
        self.signatures[kernel.name] = [("int64", None)] * kernel.rank + [
            ("int64", None) if v in self.plan.scalars else (v.dtype, v.ndim) for v in arguments
        ]
        self.kernel_sources.append((kernel.name, source))
        args = [names[p] for p in kernel.params]
        if kernel.reduction is None:
            grid = f"schedule.blocks({self.count(sizes)})"
        else:
            r = kernel.reduction
            outputs = self.count([names[f"n{k}"] for k in range(kernel.rank) if k not in r.reduced])
            grid = f"schedule.reduction_blocks({outputs})"
            if schedule.splits_reduction(kernel):
                out = names[r.array]
                parts = f"{out}_parts"
                self.emit(f"{parts} = schedule.splits({outputs}, {self.count([names[f'n{k}'] for k in r.reduced])})")
                self.emit(f"{out}_flat = {out}.reshape({outputs})")
                self.emit(f"if {parts} > 1: cudalib.zero({out}_flat)")
                grid = f"schedule.reduction_blocks({outputs} * {parts})"
                args += [parts, f"{out}_flat"]
                self.signatures[kernel.name] += [("int64", None), (r.dtype, 1)]
        self.emit(f"{kernel.name}[{grid}, {schedule.THREADS}]({', '.join(args)})")
        return "\n".join(source) + "\n"

    def call_fallback(self, node, key: str, outs: list, a: list) -> None:
        """``cudalib.fallback``: the op's NumPy ``evaluate`` on host copies of its inputs."""
        args = [n if v in self.plan.scalars else self.contiguous(n, v) for n, v in zip(a, node.inputs)]
        self.emit(f"{', '.join(outs)}, = cudalib.fallback({key!r}, {', '.join(args)})")

    # -- the module -------------------------------------------------------------------------------
    def module_source(self, params) -> str:
        lines = Lines()
        lines.add('"""Generated by symnet: CUDA kernels and a host driver for one compiled function."""')
        lines.add("import math")
        lines.add("import numpy as np")
        lines.add("import numba")
        lines.add("from numba import cuda")
        lines.add("from symnet.codegen import cudalib, schedule")
        if self.step_modules:
            lines.add("from symnet.codegen.cache import kernel_module")
        lines.add("")
        for name, (alias, _) in self.step_modules.items():
            lines.add(f'{alias} = kernel_module("{name}")')
        lines.extend(self.constants.definitions())
        if self.env.slices:
            lines.add("from symnet.codegen.cudalib import slice_length")
        for _, source in self.kernel_sources:
            lines.add("")
            lines.add("")
            lines.extend(source)
        lines.add("")
        lines.add("")
        with lines.block(f"def run({', '.join(self.plan.name(v) for v in params)}):"):
            lines.add('"""One call: every check first, then the launches in order (one stream)."""')
            for chunk in self.plan.body:
                lines.extend(chunk[0])
        return lines.text()


__all__ = ["CudaDriver"]
