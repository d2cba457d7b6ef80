"""Numba CUDA printer: a Kernel as a ``@cuda.jit`` function, the same IR the CPU prints.

Elementwise kernels run a grid-stride loop over the flattened index space, the last loop
axis fastest (neighbouring threads touch neighbouring elements of a C-ordered array).
Reductions give each output element one block: its threads stride over the reduced
elements, then halve a shared-memory array to one value.
Numbers are typed constants (scalar.py): a float32 kernel has no float64 instructions
unless its graph asks for float64 (tests/test_cuda_ptx.py checks the PTX).
"""

from __future__ import annotations

import sympy

from symnet.codegen.emit.numba_cpu import _SymbolMap, convert
from symnet.codegen.emit.printer import Lines
from symnet.codegen.emit.scalar import ScalarPrinter
from symnet.codegen.loopir import Kernel, index_code
from symnet.codegen.schedule import splits_reduction


def _accumulator(kernel: Kernel) -> str:
    """Floats accumulate in the kernel's float type (a block's tree of partial sums keeps
    float32 sums close to NumPy's pairwise ones; float64 costs a GPU far more than a CPU),
    integers and booleans in int64."""
    return kernel.compute_dtype if kernel.compute_dtype.startswith("float") else "int64"


def _initial(kind: str, acc: str) -> str:
    if kind in ("sum", "prod"):
        one = "1" if kind == "prod" else "0"
        value = f"{one}.0" if acc.startswith("float") else one
    elif acc.startswith("float"):
        value = "-math.inf" if kind == "max" else "math.inf"
    else:
        value = str(-(2**63)) if kind == "max" else str(2**63 - 1)
    return f"np.{acc}({value})"


def parameters(kernel: Kernel) -> list:
    """The kernel's parameters: the IR's, then ``k_splits, k_flat`` where it ``splits_reduction``."""
    return kernel.params + (["k_splits", "k_flat"] if splits_reduction(kernel) else [])


class CudaKernelPrinter:
    """Prints each Kernel as a standalone CUDA kernel with the kernel's own parameter names
    (``Kernel.params``); locals this printer adds start with ``k_``."""

    def __init__(self, constants, threads: int, fast_math: bool = False):
        self.constants = constants
        self.threads = threads  # block size the launches use (a power of two)
        self.fast_math = fast_math  # sn.config.cuda_fast_math: the GPU's fast intrinsics

    def kernel(self, kernel: Kernel, header: list) -> list:
        lines = Lines()
        lines.add("@cuda.jit(fastmath=True)" if self.fast_math else "@cuda.jit")
        with lines.block(f"def {kernel.name}({', '.join(parameters(kernel))}):"):
            lines.extend(header)
            symbols = {sympy.Symbol(n, real=True): n for n in self.symbol_names(kernel)}
            self.scalar = ScalarPrinter(self.constants, kernel.compute_dtype, _SymbolMap(symbols), vector_math=False)
            self.invariant = [ld for ld in kernel.loads if all(a is None for a in ld.axes)]
            for ld in self.invariant:
                lines.add(f"{ld.name} = {ld.array}[{index_code(ld.axes)}]")
            if kernel.compute_dtype.startswith("float"):
                # sizes arrive as int64: int64 * float32 would compute in float64
                for name in kernel.scalar_inputs:
                    lines.add(f"{name} = np.{kernel.compute_dtype}({name})")
            if kernel.reduction is None:
                self.elementwise(lines, kernel)
            else:
                self.reduction(lines, kernel)
        return lines.lines

    @staticmethod
    def symbol_names(kernel: Kernel) -> list:
        return [ld.name for ld in kernel.loads] + list(kernel.scalar_inputs) + [n for n, _ in kernel.temporaries]

    def elementwise(self, lines: Lines, kernel: Kernel) -> None:
        if kernel.rank == 0:
            with lines.block("if cuda.grid(1) == 0:"):
                self.body(lines, kernel)
            return
        lines.add(f"k_total = {' * '.join(kernel.sizes)}")
        with lines.block("for k_flat in range(cuda.grid(1), k_total, cuda.gridsize(1)):"):
            self.unflatten(lines, "k_flat", range(kernel.rank))
            self.body(lines, kernel)

    def reduction(self, lines: Lines, kernel: Kernel) -> None:
        """One block per (output element, part of its reduced elements); with ``k_splits``
        parts (float sums only, see ``splits_reduction``), each part's sum is added atomically into
        ``k_flat`` (the output, flat, zeroed by the driver)."""
        r = kernel.reduction
        kept = [k for k in range(kernel.rank) if k not in r.reduced]
        acc = _accumulator(kernel)
        out_axes = tuple(k if k in kept else None for k in range(kernel.rank)) if r.keepdims else tuple(kept)
        combine = {"sum": "{a} + {b}", "prod": "{a} * {b}"}.get(r.kind, f"{r.kind}({{a}}, {{b}})")
        parts = "k_splits" if splits_reduction(kernel) else "1"
        lines.add(f"k_partial = cuda.shared.array({self.threads}, np.{acc})")
        lines.add("k_tid = cuda.threadIdx.x")
        lines.add(f"k_outputs = {' * '.join(f'n{k}' for k in kept) or '1'}")
        lines.add(f"k_reduced = {' * '.join(f'n{k}' for k in r.reduced) or '1'}")
        # every thread of a block runs the same iterations: the barriers inside are safe
        with lines.block(f"for k_block in range(cuda.blockIdx.x, k_outputs * {parts}, cuda.gridDim.x):"):
            lines.add(f"k_out = k_block // {parts}")
            self.unflatten(lines, "k_out", kept)
            lines.add(f"k_acc = {_initial(r.kind, acc)}")
            start = f"(k_block % {parts}) * cuda.blockDim.x + k_tid"
            with lines.block(f"for k_red in range({start}, k_reduced, cuda.blockDim.x * {parts}):"):
                self.unflatten(lines, "k_red", r.reduced)
                self.body(lines, kernel)
                value = self.scalar.doprint(r.value)
                if acc == "int64":
                    value = f"np.int64({value})"  # bool and int32 values: one type for max/min
                lines.add(f"k_acc = {combine.format(a='k_acc', b=value)}")
            lines.add("k_partial[k_tid] = k_acc")
            lines.add("cuda.syncthreads()")
            lines.add(f"k_half = {self.threads // 2}")
            with lines.block("while k_half > 0:"):
                with lines.block("if k_tid < k_half:"):
                    lines.add(f"k_partial[k_tid] = {combine.format(a='k_partial[k_tid]', b='k_partial[k_tid + k_half]')}")
                lines.add("cuda.syncthreads()")
                lines.add("k_half //= 2")
            with lines.block("if k_tid == 0:"):
                store = f"{r.array}[{index_code(out_axes)}] = {convert('k_partial[0]', r.dtype)}"
                if parts == "1":
                    lines.add(store)
                else:
                    with lines.block("if k_splits == 1:"):
                        lines.add(store)
                    with lines.block("else:"):
                        lines.add(f"cuda.atomic.add(k_flat, k_out, {convert('k_partial[0]', r.dtype)})")
            lines.add("cuda.syncthreads()  # k_partial is reused by the next output")

    @staticmethod
    def unflatten(lines: Lines, flat: str, axes) -> None:
        """Loop indices ``i<k>`` for ``axes`` from a flat index, the last axis fastest."""
        axes = list(axes)
        if not axes:
            return
        lines.add(f"k_rest = {flat}")
        for k in reversed(axes[1:]):
            lines.add(f"i{k} = k_rest % n{k}")
            lines.add(f"k_rest //= n{k}")
        lines.add(f"i{axes[0]} = k_rest")

    def body(self, lines: Lines, kernel: Kernel) -> None:
        for ld in kernel.loads:
            if ld not in self.invariant:
                lines.add(f"{ld.name} = {ld.array}[{index_code(ld.axes)}]")
        for name, expr in kernel.temporaries:
            lines.add(f"{name} = {self.scalar.doprint(expr)}")
        for st in kernel.stores:
            lines.add(f"{st.array}[{index_code(st.axes)}] = {convert(self.scalar.doprint(st.value), st.dtype)}")


__all__ = ["CudaKernelPrinter", "parameters"]
