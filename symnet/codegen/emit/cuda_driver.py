"""The CUDA driver: a Python function that sizes device buffers, launches the kernels in
order, multiplies through symnet/codegen/cudalib.py and writes updates into device state.

It is the CPU driver (numba_driver.py) with other buffers, copies, kernels and single ops:
shapes, checks, buffer reuse and in-place updates are planned by the same code.
"""

from __future__ import annotations

import sympy

from symnet.codegen import cudalib
from symnet.codegen.emit.numba_cpu import HELPERS, NUMPY_DTYPE
from symnet.codegen.emit.numba_cuda import CudaKernelPrinter, splits
from symnet.codegen.emit.numba_driver import DriverPrinter, _escape, _sizes
from symnet.codegen.emit.printer import Lines
from symnet.codegen.loopir import Kernel, Load, Store
from symnet.ops.conv import Conv2d, Conv2dGradInput, Conv2dGradWeight, Pool2d, Pool2dGrad
from symnet.ops.linalg import Matmul
from symnet.ops.nnet import OneHot
from symnet.ops.random import RandomUniform
from symnet.ops.reduction import Argmax, ShapeI
from symnet.ops.shape import (
    Concatenate,
    DimShuffle,
    IncSubtensor,
    Reshape,
    ReshapeLike,
    SplitPart,
    StopGradient,
    Subtensor,
    Take,
    TakeAlongAxis,
    TakeAlongAxisGrad,
    TakeGrad,
)


class CudaDriverPrinter(DriverPrinter):
    def __init__(self, program, inputs, updates, single: bool, fast_math: bool = False):
        super().__init__(program, inputs, updates, frozenset(), single, 0, vector_math=False)
        self.cuda_printer = CudaKernelPrinter(self.constants, cudalib.THREADS, fast_math)
        self.kernel_sources: list = []  # module-level kernels, in order
        self.helper_kernels: dict = {}  # source text → name, for copies and accumulations
        self.signatures: dict = {}  # fused kernel → its parameters' (dtype, ndim), for f.asm()

    def print(self):
        module = super().print()
        module.kernel_names = [name for name, _ in self.kernel_sources]
        module.signatures = self.signatures
        return module

    def returns_number(self, v) -> bool:
        return False  # outputs stay device arrays (read one back only when asked to)

    # -- buffers and copies ---------------------------------------------------------------------
    def new_buffer(self, sizes, dtype: str) -> str:
        return f"cudalib.empty({_sizes(sizes)}, {dtype})"

    def copy_of(self, v, copy: str) -> str:
        sizes = self.env.of(v)
        self.emit(f"{copy} = {self.new_buffer(sizes, NUMPY_DTYPE[v.dtype])}")
        self.copy_into(copy, self.name(v), sizes, v.dtype)
        return copy

    def copy_into(self, dst: str, src: str, sizes, dtype: str | None = None) -> None:
        """dst[...] = src[...] (converted to dst's dtype ``dtype``) by a copy kernel."""
        rank = len(sizes)
        dtype = dtype or self.dtype_of(dst)
        self.elementwise_call("copy", rank, [tuple(range(rank))], lambda x: x[0], dtype, [src], dst, sizes)

    def dtype_of(self, name: str) -> str:
        return next(v.dtype for v, n in self.names.items() if n == name)

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
        return f"{name}[cudalib.blocks({work}), {cudalib.THREADS}]({', '.join(list(sizes) + list(arrays) + [out])})"

    # -- regions ----------------------------------------------------------------------------------
    def kernel_constants(self):
        return self.constants  # one module holds every kernel and its constants

    def print_kernel(self, kernel, names: dict, sizes: list, header: list, sched, arguments: list, constants) -> str:
        source = self.cuda_printer.kernel(kernel, header)
        # (dtype, ndim) per parameter, ndim None for a scalar: sizes and driver scalars are int64
        self.signatures[kernel.name] = [("int64", None)] * kernel.rank + [
            ("int64", None) if v in self.scalars else (v.dtype, v.ndim) for v in arguments
        ]
        self.kernel_sources.append((kernel.name, source))
        args = [names[p] for p in kernel.params]
        if kernel.reduction is None:
            grid = f"cudalib.blocks({self.count(sizes)})"
        else:
            r = kernel.reduction
            outputs = self.count([names[f"n{k}"] for k in range(kernel.rank) if k not in r.reduced])
            grid = f"cudalib.reduction_blocks({outputs})"
            if splits(kernel):
                out = names[r.array]
                parts = f"{out}_parts"
                self.emit(f"{parts} = cudalib.splits({outputs}, {self.count([names[f'n{k}'] for k in r.reduced])})")
                self.emit(f"{out}_flat = {out}.reshape({outputs})")
                self.emit(f"if {parts} > 1: cudalib.zero({out}_flat)")
                grid = f"cudalib.reduction_blocks({outputs} * {parts})"
                args += [parts, f"{out}_flat"]
                self.signatures[kernel.name] += [("int64", None), (r.dtype, 1)]
        self.emit(f"{kernel.name}[{grid}, {cudalib.THREADS}]({', '.join(args)})")
        return "\n".join(source) + "\n"

    # -- single ops -------------------------------------------------------------------------------
    def single(self, node) -> None:
        op, ins, out = node.op, node.inputs, node.outputs[0]
        o, a = self.name(out), [self.name(v) for v in ins]
        sizes = self.env.of(out)
        self.emit(f"# {_escape(self.describe(node))}")
        match op:
            case ShapeI():
                self.emit(f"{o} = np.int64({self.env.of(ins[0])[op.i]})")
                self.scalars.add(out)
                return
            case StopGradient():
                self.emit(f"{o} = {a[0]}")
                return
            case DimShuffle():
                self.emit(f"{o} = cudalib.dimshuffle({a[0]}, {tuple(op.order)!r})")
                return
            case Subtensor():
                self.emit(f"{o} = cudalib.index({a[0]}, {_key(op.spec)})")
                return
            case SplitPart():
                parts = [self.env.of(v)[op.axis] for v in ins[1:]]
                start = " + ".join(parts[: op.k]) or "0"
                key = ["slice(None)"] * out.ndim
                key[op.axis] = f"slice({start}, {start} + {parts[op.k]})"
                self.emit(f"{o} = cudalib.index({a[0]}, ({', '.join(key)},))")
                return
            case Reshape() | ReshapeLike():
                self.reshape(o, a[0], ins[0], sizes)
                return
            case Matmul():
                self.matmul(node, o, a, sizes)
            case IncSubtensor():
                (target,) = Subtensor(op.spec).output_types(ins[0].type)
                self.emit(f"{o} = {self.new_buffer(sizes, NUMPY_DTYPE[out.dtype])}")
                self.copy_into(o, a[0], sizes, out.dtype)
                self.emit(f"{o}_view = cudalib.index({o}, {_key(op.spec)})")
                view_sizes = [f"{o}_view.shape[{k}]" for k in range(target.ndim)]
                y = ins[1]
                lead = target.ndim - y.ndim
                y_axes = tuple(None if y.type.broadcastable[j] and not target.broadcastable[lead + j] else lead + j for j in range(y.ndim))
                rank = target.ndim
                self.elementwise_call(
                    "add", rank, [tuple(range(rank)), y_axes], lambda x: x[0] + x[1], out.dtype, [f"{o}_view", a[1]], f"{o}_view", view_sizes
                )
            case Concatenate():
                self.emit(f"{o} = {self.new_buffer(sizes, NUMPY_DTYPE[out.dtype])}")
                start = "0"
                for name, v in zip(a, ins):
                    width = self.env.of(v)[op.axis]
                    key = ["slice(None)"] * out.ndim
                    key[op.axis] = f"slice({start}, {start} + {width})"
                    self.emit(f"{o}_part = cudalib.index({o}, ({', '.join(key)},))")
                    self.copy_into(f"{o}_part", name, self.env.of(v), out.dtype)
                    start = f"{start} + {width}" if start != "0" else width
            case Take() if op.axis == 0:
                x, idx = ins
                n, width, m = self.env.of(x)[0], self.count(self.env.of(x)[1:]), self.count(self.env.of(idx))
                xs, ids = self.contiguous(a[0], x), self.contiguous(a[1], idx)
                self.allocate_out(o, out)
                self.emit(f"cudalib.take_rows({xs}.reshape(({n}, {width})), {ids}.reshape(({m},)), {o}.reshape(({m}, {width})))")
            case TakeGrad() if op.axis == 0:
                idx, g = ins[1], ins[2]
                n, width, m = sizes[0], self.count(sizes[1:]), self.count(self.env.of(idx))
                ids, gs = self.contiguous(a[1], idx), self.contiguous(a[2], g)
                self.allocate_out(o, out)
                self.emit(f"cudalib.take_rows_grad({ids}.reshape(({m},)), {gs}.reshape(({m}, {width})), {o}.reshape(({n}, {width})))")
            case TakeAlongAxis():
                x, idx = ins
                frame = self.along(out, x, idx, op.axis)
                xs = self.broadcast_except_copy(a[0], x, self.env.of(out), op.axis)
                ids = self.broadcast_except_copy(a[1], idx, self.env.of(out), op.axis)
                self.allocate_out(o, out)
                before, n, after, m = frame
                self.emit(f"cudalib.take_along({xs}.reshape(({before}, {n}, {after})), {ids}.reshape(({before}, {m}, {after})), {o}.reshape(({before}, {m}, {after})))")
            case TakeAlongAxisGrad():
                x, idx, g = ins
                before, n, after, m = self.along(g, x, idx, op.axis)
                ids = self.broadcast_except_copy(a[1], idx, self.env.of(g), op.axis)
                gs = self.contiguous(a[2], g)
                self.allocate_out(o, out)
                self.emit(f"cudalib.take_along_grad({ids}.reshape(({before}, {m}, {after})), {gs}.reshape(({before}, {m}, {after})), {o}.reshape(({before}, {n}, {after})))")
            case OneHot():
                self.allocate_out(o, out)
                idx = self.contiguous(a[0], ins[0])
                rows = self.count(self.env.of(ins[0]))
                self.emit(f"cudalib.one_hot({idx}.reshape(({rows},)), {o}.reshape(({rows}, {sizes[-1]})))")
            case Argmax():
                x = self.env.of(ins[0])
                axis_sizes = x if op.axis is None else (x[op.axis],)
                before = x[: op.axis] if op.axis is not None else ()
                after = x[op.axis + 1 :] if op.axis is not None else ()
                extents = [" * ".join(p) or "1" for p in (before, axis_sizes, after)]
                xs = self.contiguous(a[0], ins[0])
                self.allocate_out(o, out)
                self.emit(f"cudalib.argmax({xs}.reshape(({', '.join(extents)})), {o}.reshape(({extents[0]}, {extents[2]})))")
            case Conv2d() | Conv2dGradInput() | Conv2dGradWeight():
                operands = [self.contiguous(self.converted(n, v, out.dtype), v) for n, v in zip(a, ins) if v in op.value_inputs(node)]
                self.allocate_out(o, out)
                params = [str(p) for p in op.stride + op.padding]
                self.emit(f"cudalib.{op.name}({', '.join(operands + params)}, {o})")
            case Pool2d() | Pool2dGrad():
                average = op.kind == "avg"
                values = [self.contiguous(self.converted(n, v, out.dtype) if average else n, v) for n, v in zip(a, ins)]
                if isinstance(op, Pool2dGrad) and average:
                    values = [values[1], values[1]]  # x is not read: g stands in for it
                self.allocate_out(o, out)
                params = [str(p) for p in op.size + op.stride] + [str(average)]
                routine = "pool2d_grad" if isinstance(op, Pool2dGrad) else "pool2d"
                self.emit(f"cudalib.{routine}({', '.join(values + params)}, {o})")
            case RandomUniform():
                counter = a[0]  # a driver scalar, or the stream's 0-d state on the device
                self.allocate_out(o, out)
                self.emit(f"cudalib.random_uniform({op.seed}, {counter}, {out.dtype == 'float32'}, {o})")
            case _:
                raise NotImplementedError(f"the CUDA backend cannot compile {op} yet (target='cpu' and 'interp' can)")
        self.fresh.add(out)

    def allocate_out(self, o: str, out) -> None:
        self.emit(f"{o} = {self.new_buffer(self.env.of(out), NUMPY_DTYPE[out.dtype])}")

    @staticmethod
    def count(sizes) -> str:
        return " * ".join(sizes) or "1"

    def contiguous(self, name: str, v) -> str:
        """``name`` itself where C-contiguous at run time, else a C-contiguous copy."""
        self.reshape(f"{name}_c", name, v, self.env.of(v))
        return f"{name}_c"

    def broadcast_except_copy(self, name: str, v, sizes, axis: int) -> str:
        """``v`` broadcast to ``sizes`` on every axis but ``axis``, C-contiguous (a copy
        where it broadcasts)."""
        if not any(v.type.broadcastable[k] and sizes[k] != "1" for k in range(v.ndim) if k != axis):
            return self.contiguous(name, v)
        full = tuple(self.env.of(v)[k] if k == axis else sizes[k] for k in range(v.ndim))
        axes = tuple(k if k == axis or not v.type.broadcastable[k] else None for k in range(v.ndim))
        self.emit(f"{name}_b = {self.new_buffer(full, NUMPY_DTYPE[v.dtype])}")
        self.elementwise_call("copy", v.ndim, [axes], lambda x: x[0], v.dtype, [name], f"{name}_b", full)
        return f"{name}_b"

    def reshape(self, o: str, x: str, v, sizes) -> None:
        """A view where ``x`` is C-contiguous, else a view of a contiguous copy."""
        lines = Lines()
        with lines.block(f"if {x}.is_c_contiguous():"):
            lines.add(f"{o} = {x}.reshape({_sizes(sizes)})")
        with lines.block("else:"):
            lines.add(f"{o}_c = {self.new_buffer(self.env.of(v), NUMPY_DTYPE[v.dtype])}")
            rank = v.ndim
            lines.add(self.helper_launch("copy", rank, [tuple(range(rank))], lambda x: x[0], v.dtype, [x], f"{o}_c", self.env.of(v)))
            lines.add(f"{o} = {o}_c.reshape({_sizes(sizes)})")
        self.flush_shapes()
        self.body.append((lines.lines, lines.lines))

    def matmul(self, node, o: str, a: list, sizes) -> None:
        """The tiled kernel in cudalib; integer operands are multiplied in float64."""
        out = node.outputs[0]
        if out.dtype.startswith("float"):
            operands = [self.converted(n, v, out.dtype) for n, v in zip(a, node.inputs)]
            self.emit(f"{o} = {self.new_buffer(sizes, NUMPY_DTYPE[out.dtype])}")
            self.emit(f"cudalib.matmul_nd({operands[0]}, {operands[1]}, {o})")
            return
        operands = [self.converted(n, v, "float64") for n, v in zip(a, node.inputs)]
        self.emit(f"{o}_f64 = {self.new_buffer(sizes, 'np.float64')}")
        self.emit(f"cudalib.matmul_nd({operands[0]}, {operands[1]}, {o}_f64)")
        self.emit(f"{o} = {self.new_buffer(sizes, NUMPY_DTYPE[out.dtype])}")
        self.copy_into(o, f"{o}_f64", sizes, out.dtype)

    def converted(self, name: str, v, dtype: str) -> str:
        if v.dtype == dtype:
            return name
        self.emit(f"{name}_{dtype} = {self.new_buffer(self.env.of(v), NUMPY_DTYPE[dtype])}")
        self.copy_into(f"{name}_{dtype}", name, self.env.of(v), dtype)
        return f"{name}_{dtype}"

    # -- the module -------------------------------------------------------------------------------
    def module_source(self, params) -> str:
        lines = Lines()
        lines.add('"""Generated by symnet: CUDA kernels and a host driver for one compiled function."""')
        lines.add("import math")
        lines.add("import numpy as np")
        lines.add("import numba")
        lines.add("from numba import cuda")
        lines.add("from symnet.codegen import cudalib")
        lines.add("")
        lines.extend(self.constants.definitions())
        for helper in sorted(self.helpers):
            lines.extend(HELPERS[helper].strip("\n").splitlines())
            lines.add("")
        for _, source in self.kernel_sources:
            lines.add("")
            lines.add("")
            lines.extend(source)
        lines.add("")
        lines.add("")
        with lines.block(f"def run({', '.join(self.name(v) for v in params)}):"):
            lines.add('"""One call: every check first, then the launches in order (one stream)."""')
            for chunk in self.body:
                lines.extend(chunk[0])
        return lines.text()

    def profiled_source(self, params) -> str:
        raise NotImplementedError("sn.profile times CPU drivers; time a CUDA function with sn.bench")


def _key(spec) -> str:
    """A basic index as Python code: ints, slice(...) and None (symnet's own values)."""
    parts = []
    for e in spec:
        if e is None:
            parts.append("None")
        elif isinstance(e, tuple):
            parts.append("slice(" + ", ".join("None" if p is None else str(int(p)) for p in e) + ")")
        else:
            parts.append(str(int(e)))
    return "(" + "".join(f"{p}, " for p in parts) + ")"


__all__ = ["CudaDriverPrinter"]
