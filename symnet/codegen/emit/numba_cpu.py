"""Numba CPU printer: a fused kernel as a loop nest, the body of its module's ``serial``
function (``numba_driver.CpuDriver.kernel`` writes the module around it)."""

from __future__ import annotations

from symnet.codegen.emit.printer import Lines
from symnet.codegen.emit.scalar import ScalarPrinter
from symnet.codegen.loopir import Kernel

NUMPY_DTYPE = {"bool": "np.bool_", "int32": "np.int32", "int64": "np.int64", "float32": "np.float32", "float64": "np.float64"}

def initial(kind: str, dtype: str) -> str:
    """The identity of a reduction in ``dtype`` (the smallest value for max, …)."""
    if kind in ("sum", "prod"):
        one = "1" if kind == "prod" else "0"
        return f"{one}.0" if dtype.startswith("float") else one
    if dtype.startswith("float"):
        return "-np.inf" if kind == "max" else "np.inf"
    if dtype == "bool":
        return "0" if kind == "max" else "1"
    return f"np.iinfo({NUMPY_DTYPE[dtype]}).{'min' if kind == 'max' else 'max'}"


def accumulated(kind: str, target: str, value: str) -> str:
    """The statement adding ``value`` into the running ``kind`` reduction ``target``."""
    if kind in ("sum", "prod"):
        return f"{target} {'+' if kind == 'sum' else '*'}= {value}"
    return f"{target} = {kind}({target}, {value})"


def convert(value: str, dtype: str) -> str:
    """Code converting a scalar to ``dtype`` on store (bool: nonzero)."""
    if dtype == "bool":
        return f"({value}) != 0"
    return f"{NUMPY_DTYPE[dtype]}({value})"


class KernelPrinter:
    """Prints a Kernel as a loop nest, the body of its module's ``serial`` function.

    Names are the kernel IR's own (``n0``, ``a0``, ``out0``, ``x0``, ``i0``): its module's
    parameters and locals. Only static sizes are printed as their literals.
    """

    def __init__(self, constants, vector_math: bool):
        self.constants = constants
        self.vector_math = vector_math
        self.uses_vecmath = False  # whether a printed kernel calls symnet.codegen.vecmath

    def section(self, lines: Lines, kernel: Kernel, literals: dict, values=()) -> None:
        """The kernel's loops; ``literals`` gives static sizes (``n1`` → ``"32"``), and array
        inputs in ``values`` are 0-d arrays passed as their value."""
        self.names = _NameMap(literals)
        import sympy

        symbols = {}
        for ld in kernel.loads:
            symbols[sympy.Symbol(ld.name, real=True)] = self.names[ld.name]
        for name in kernel.scalar_inputs:
            symbols[sympy.Symbol(name, real=True)] = self.names[name]
        for name, _ in kernel.temporaries:
            symbols[sympy.Symbol(name, real=True)] = self.names[name]
        self.scalar = ScalarPrinter(self.constants, kernel.compute_dtype, _SymbolMap(symbols), self.vector_math)
        # Loop-invariant loads (0-d values, fully broadcast arrays) happen once, before the
        # loops.
        self.invariant = [ld for ld in kernel.loads if all(a is None for a in ld.axes)]
        for ld in self.invariant:
            index = "" if ld.array in values else f"[{self.index(ld.axes)}]"
            lines.add(f"{self.names[ld.name]} = {self.names[ld.array]}{index}")
        r = kernel.reduction
        if r is None:
            self.loops(lines, kernel, range(kernel.rank), self.body)
        elif r.reduced == tuple(range(kernel.rank - len(r.reduced), kernel.rank)):
            self.register_reduction(lines, kernel)
        else:
            self.memory_reduction(lines, kernel)
        self.uses_vecmath |= self.scalar.used_vecmath

    def index(self, axes) -> str:
        return ", ".join("0" if a is None else f"i{a}" for a in axes) if axes else "()"

    def loops(self, lines, kernel, axes, innermost) -> None:
        """Nested loops over ``axes`` with ``innermost`` inside the last one."""
        axes = list(axes)
        if not axes:
            innermost(lines, kernel)
            return
        k = axes[0]
        with lines.block(f"for i{k} in range({self.names[f'n{k}']}):"):
            self.loops(lines, kernel, axes[1:], innermost)

    def body(self, lines, kernel) -> None:
        for ld in kernel.loads:
            if ld in self.invariant:
                continue
            lines.add(f"{self.names[ld.name]} = {self.names[ld.array]}[{self.index(ld.axes)}]")
        for name, expr in kernel.temporaries:
            lines.add(f"{self.names[name]} = {self.scalar.doprint(expr)}")
        for st in kernel.stores:
            value = convert(self.scalar.doprint(st.value), st.dtype)
            lines.add(f"{self.names[st.array]}[{self.index(st.axes)}] = {value}")

    def register_reduction(self, lines, kernel) -> None:
        """Reduced axes innermost: accumulate in a register, store once per output element."""
        r = kernel.reduction
        kept = [k for k in range(kernel.rank) if k not in r.reduced]
        is_float = r.dtype.startswith("float")
        acc = "acc"
        out_axes = [k if k in kept else None for k in range(kernel.rank)] if r.keepdims else kept

        def accumulate(lines, kernel):
            self.body(lines, kernel)
            value = self.scalar.doprint(r.value)
            lines.add(accumulated(r.kind, acc, value))

        def per_output(lines, kernel):
            # float32 sums accumulate in float64: a long sum keeps its precision
            lines.add(f"{acc} = {'np.float64' if is_float else 'np.int64'}({initial(r.kind, r.dtype)})")
            self.loops(lines, kernel, r.reduced, accumulate)
            lines.add(f"{self.names[r.array]}[{self.index(out_axes)}] = {convert(acc, r.dtype)}")

        self.loops(lines, kernel, kept, per_output)

    def memory_reduction(self, lines, kernel) -> None:
        """Reduced axes outside kept ones: initialize the output, then accumulate in place."""
        r = kernel.reduction
        out = self.names[r.array]
        flat = "flat"
        lines.add(f"{flat} = {out}.reshape(-1)")
        with lines.block(f"for j in range({flat}.size):"):
            lines.add(f"{flat}[j] = {initial(r.kind, r.dtype)}")
        kept = [k for k in range(kernel.rank) if k not in r.reduced]
        out_axes = [k if k in kept else None for k in range(kernel.rank)] if r.keepdims else kept
        target = f"{out}[{self.index(out_axes)}]"

        def accumulate(lines, kernel):
            self.body(lines, kernel)
            value = self.scalar.doprint(r.value)
            lines.add(accumulated(r.kind, target, value))

        self.loops(lines, kernel, range(kernel.rank), accumulate)


class _NameMap(dict):
    """Kernel name → code: the literals given, every other name as itself."""

    def __missing__(self, name):
        return name


class _SymbolMap(dict):
    """Sympy symbol → code; typed-constant symbols print as their own (global) name."""

    def __missing__(self, symbol):
        return str(symbol)
