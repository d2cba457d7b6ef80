"""Numba CPU printer: kernels as loop nests inside the driver, and the module's helpers.

Kernels are printed inline, as sections of the driver: Numba compiles one function instead
of one per kernel, and LLVM sees the whole step. Measured on W5 (2026-11-25): a cold first
call took 4.2 s inline and 5.3 s with one ``@njit`` function per kernel (each function
brings its own wrappers and pass pipeline).
"""

from __future__ import annotations

from symnet.codegen.emit.printer import Lines
from symnet.codegen.emit.scalar import ScalarPrinter
from symnet.codegen.loopir import Kernel

NUMPY_DTYPE = {"bool": "np.bool_", "int32": "np.int32", "int64": "np.int64", "float32": "np.float32", "float64": "np.float64"}

def initial(kind: str, dtype: str) -> str:
    """The identity of a reduction in ``dtype`` (the smallest value for max, …)."""
    if kind == "sum":
        return "0.0" if dtype.startswith("float") else "0"
    if dtype.startswith("float"):
        return "-np.inf" if kind == "max" else "np.inf"
    if dtype == "bool":
        return "0" if kind == "max" else "1"
    return f"np.iinfo({NUMPY_DTYPE[dtype]}).{'min' if kind == 'max' else 'max'}"


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
            lines.add(f"{acc} += {value}" if r.kind == "sum" else f"{acc} = {r.kind}({acc}, {value})")

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
            lines.add(f"{target} += {value}" if r.kind == "sum" else f"{target} = {r.kind}({target}, {value})")

        self.loops(lines, kernel, range(kernel.rank), accumulate)


class _NameMap(dict):
    """Kernel name → code: the literals given, every other name as itself."""

    def __missing__(self, name):
        return name


class _SymbolMap(dict):
    """Sympy symbol → code; typed-constant symbols print as their own (global) name."""

    def __missing__(self, symbol):
        return str(symbol)


HELPERS = {
    "_slice_length": '''
@numba.njit(cache=True)
def _slice_length(start, stop, step, n):
    """len(range(n)[start:stop:step]) with Python's rules for None and negatives."""
    if step is None:
        step = 1
    if step > 0:
        lo = 0 if start is None else (max(start + n, 0) if start < 0 else min(start, n))
        hi = n if stop is None else (max(stop + n, 0) if stop < 0 else min(stop, n))
        return max(0, (hi - lo + step - 1) // step)
    lo = n - 1 if start is None else (max(start + n, -1) if start < 0 else min(start, n - 1))
    hi = -1 if stop is None else (max(stop + n, -1) if stop < 0 else min(stop, n - 1))
    return max(0, (lo - hi - step - 1) // (-step))
''',
    "_take_rows": '''
@numba.njit(cache=True)
def _take_rows(x, idx, out):
    """out = x[idx] along axis 0 (negative indices wrap; out of range raises)."""
    n = x.shape[0]
    rows = np.ascontiguousarray(x).reshape((n, -1))
    flat_idx = np.ascontiguousarray(idx).reshape(-1)
    dest = out.reshape((flat_idx.size, -1))
    for k in range(flat_idx.size):
        i = flat_idx[k]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            raise IndexError("index out of bounds in take")
        dest[k, :] = rows[i, :]
''',
    "_take_rows_grad": '''
@numba.njit(cache=True)
def _take_rows_grad(idx, g, out):
    """out = zeros; out[idx] += g along axis 0 (repeated indices add up)."""
    n = out.shape[0]
    flat = out.reshape(-1)
    for j in range(flat.size):
        flat[j] = 0
    rows = out.reshape((n, -1))
    flat_idx = np.ascontiguousarray(idx).reshape(-1)
    grads = np.ascontiguousarray(g).reshape((flat_idx.size, -1))
    for k in range(flat_idx.size):
        i = flat_idx[k]
        if i < 0:
            i += n
        rows[i, :] += grads[k, :]
''',
    "_take_along": '''
@numba.njit(cache=True)
def _take_along(x, idx, before, n, after, m, out):
    """out = take_along_axis(x, idx, axis), with x seen as (before, n, after) and idx and
    out as (before, m, after)."""
    src = np.ascontiguousarray(x).reshape((before, n, after))
    picks = np.ascontiguousarray(idx).reshape((before, m, after))
    dest = out.reshape((before, m, after))
    for b in range(before):
        for c in range(m):
            for a in range(after):
                i = picks[b, c, a]
                if i < 0:
                    i += n
                if i < 0 or i >= n:
                    raise IndexError("index out of bounds in take_along_axis")
                dest[b, c, a] = src[b, i, a]
''',
    "_take_along_grad": '''
@numba.njit(cache=True)
def _take_along_grad(idx, g, before, n, after, m, out):
    """out = zeros; then g added at the gathered positions (repeats add up)."""
    flat = out.reshape(-1)
    for j in range(flat.size):
        flat[j] = 0
    dest = out.reshape((before, n, after))
    picks = np.ascontiguousarray(idx).reshape((before, m, after))
    grads = np.ascontiguousarray(g).reshape((before, m, after))
    for b in range(before):
        for c in range(m):
            for a in range(after):
                i = picks[b, c, a]
                if i < 0:
                    i += n
                dest[b, i, a] += grads[b, c, a]
''',
    "_one_hot": '''
@numba.njit(cache=True)
def _one_hot(idx, out):
    n = out.shape[-1]
    flat_idx = np.ascontiguousarray(idx).reshape(-1)
    dest = out.reshape((-1, n))
    for r in range(flat_idx.size):
        for c in range(n):
            dest[r, c] = 1 if flat_idx[r] == c else 0
''',
    "_argmax": '''
@numba.njit(cache=True)
def _argmax(x, before, n, after, out):
    """argmax over the middle axis of x viewed as (before, n, after)."""
    v = np.ascontiguousarray(x).reshape((before, n, after))
    dest = out.reshape((before, after))
    for a in range(before):
        for c in range(after):
            best = 0
            for i in range(1, n):
                if v[a, i, c] > v[a, best, c]:
                    best = i
            dest[a, c] = best
''',
}
