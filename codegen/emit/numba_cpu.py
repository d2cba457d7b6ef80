"""Numba CPU printer: kernels as ``@njit`` loop nests and one ``@njit`` driver per program.

The module it prints is self-contained (Numba's cache does not follow calls into other
modules): typed constants, the helpers the program uses, each kernel in a serial and (where
a loop can be parallel) a ``prange`` version, and two drivers. ``run_serial`` calls serial
kernels only; ``run_parallel`` picks per kernel by the amount of work. Numba compiles a
driver on its first call, so a program that only ever sees small inputs never pays for
compiling the parallel one.
"""

from __future__ import annotations

from codegen.emit.printer import Lines
from codegen.emit.scalar import ScalarPrinter
from codegen.loopir import Kernel
from codegen.schedule import Schedule

NUMPY_DTYPE = {"bool": "np.bool_", "int32": "np.int32", "int64": "np.int64", "float32": "np.float32", "float64": "np.float64"}

INIT = {
    ("sum", True): "0.0",
    ("sum", False): "0",
    ("max", True): "-np.inf",
    ("min", True): "np.inf",
    ("max", False): "np.iinfo(np.int64).min",
    ("min", False): "np.iinfo(np.int64).max",
}


def convert(value: str, dtype: str) -> str:
    """Code converting a scalar to ``dtype`` on store (bool: nonzero)."""
    if dtype == "bool":
        return f"({value}) != 0"
    return f"{NUMPY_DTYPE[dtype]}({value})"


def index(axes, rank_names=None) -> str:
    return ", ".join("0" if a is None else f"i{a}" for a in axes) if axes else "()"


class KernelPrinter:
    """Prints one Kernel; ``constants`` is the module's typed-constant table."""

    def __init__(self, constants, fastmath):
        self.constants = constants
        self.fastmath = fastmath

    def print(self, kernel: Kernel, sched: Schedule, parallel: bool, comment: list) -> str:
        lines = Lines()
        for c in comment:
            lines.add(f"# {c}")
        fastmath = "{" + ", ".join(repr(f) for f in sorted(self.fastmath)) + "}" if self.fastmath else "False"
        flags = f"cache=True, fastmath={fastmath}" + (", parallel=True" if parallel else "")
        lines.add(f"@numba.njit({flags})")
        suffix = "parallel" if parallel else "serial"
        with lines.block(f"def {kernel.name}_{suffix}({', '.join(kernel.params)}):"):
            scalar = ScalarPrinter(self.constants, kernel.compute_dtype, _symbol_names(kernel))
            r = kernel.reduction
            if r is None:
                self.loops(lines, kernel, range(kernel.rank), sched if parallel else None, scalar, None)
            elif r.reduced == tuple(range(kernel.rank - len(r.reduced), kernel.rank)):
                self.register_reduction(lines, kernel, sched if parallel else None, scalar)
            else:
                self.memory_reduction(lines, kernel, sched if parallel else None, scalar)
        return lines.text()

    def loops(self, lines, kernel, axes, sched, scalar, innermost) -> None:
        """Nested loops over ``axes``; the body (or ``innermost``) inside the last one."""
        axes = list(axes)
        if not axes:
            (innermost or self.body)(lines, kernel, scalar)
            return
        k = axes[0]
        loop = "prange" if sched is not None and sched.parallel_axis == k else "range"
        with lines.block(f"for i{k} in {loop}(n{k}):"):
            self.loops(lines, kernel, axes[1:], sched, scalar, innermost)

    def body(self, lines, kernel, scalar) -> None:
        for ld in kernel.loads:
            lines.add(f"{ld.name} = {ld.array}[{index(ld.axes)}]")
        for name, expr in kernel.temporaries:
            lines.add(f"{name} = {scalar.doprint(expr)}")
        for st in kernel.stores:
            lines.add(f"{st.array}[{index(st.axes)}] = {convert(scalar.doprint(st.value), st.dtype)}")

    def register_reduction(self, lines, kernel, sched, scalar) -> None:
        """Reduced axes innermost: accumulate in a register, store once per output element."""
        r = kernel.reduction
        kept = [k for k in range(kernel.rank) if k not in r.reduced]
        is_float = r.dtype.startswith("float")
        acc_dtype = "np.float64" if is_float else "np.int64"

        def inner(lines, kernel, scalar):
            lines.add(f"acc = {acc_dtype}({INIT[(r.kind, is_float)]})")

            def accumulate(lines, kernel, scalar):
                self.body(lines, kernel, scalar)
                value = scalar.doprint(r.value)
                lines.add("acc += " + value if r.kind == "sum" else f"acc = {r.kind}(acc, {value})")

            self.loops(lines, kernel, r.reduced, None, scalar, accumulate)
            out_axes = [k if k in kept else None for k in range(kernel.rank)] if r.keepdims else kept
            lines.add(f"{r.array}[{index(out_axes)}] = {convert('acc', r.dtype)}")

        self.loops(lines, kernel, kept, sched, scalar, inner)

    def memory_reduction(self, lines, kernel, sched, scalar) -> None:
        """Reduced axes outside kept ones: initialize the output, then accumulate in place."""
        r = kernel.reduction
        is_float = r.dtype.startswith("float")
        lines.add(f"flat = {r.array}.reshape(-1)")
        with lines.block("for j in range(flat.size):"):
            lines.add(f"flat[j] = {INIT[(r.kind, is_float)]}")
        kept = [k for k in range(kernel.rank) if k not in r.reduced]
        out_axes = [k if k in kept else None for k in range(kernel.rank)] if r.keepdims else kept
        target = f"{r.array}[{index(out_axes)}]"

        def accumulate(lines, kernel, scalar):
            self.body(lines, kernel, scalar)
            value = scalar.doprint(r.value)
            lines.add(f"{target} += {value}" if r.kind == "sum" else f"{target} = {r.kind}({target}, {value})")

        self.loops(lines, kernel, range(kernel.rank), sched, scalar, accumulate)


def _symbol_names(kernel: Kernel) -> dict:
    import sympy

    names = {}
    for ld in kernel.loads:
        names[sympy.Symbol(ld.name, real=True)] = ld.name
    for s in kernel.scalar_inputs:
        names[sympy.Symbol(s, real=True)] = s
    for name, _ in kernel.temporaries:
        names[sympy.Symbol(name, real=True)] = name
    return _NameMap(names)


class _NameMap(dict):
    """Symbols not listed (typed-constant symbols) print as their own name."""

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
    "_copy_into": '''
@numba.njit(cache=True)
def _copy_into(dst, src):
    if dst.ndim == 0:
        dst[()] = src[()]
    else:
        dst[...] = src
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
    "_take_last": '''
@numba.njit(cache=True)
def _take_last(x, idx, out):
    """out = take_along_axis(x, idx, axis=-1)."""
    n = x.shape[-1]
    rows = np.ascontiguousarray(x).reshape((-1, n))
    m = idx.shape[-1]
    picks = np.ascontiguousarray(idx).reshape((-1, m))
    dest = out.reshape((-1, m))
    for r in range(rows.shape[0]):
        for c in range(m):
            i = picks[r, c]
            if i < 0:
                i += n
            if i < 0 or i >= n:
                raise IndexError("index out of bounds in take_along_axis")
            dest[r, c] = rows[r, i]
''',
    "_take_last_grad": '''
@numba.njit(cache=True)
def _take_last_grad(idx, g, out):
    n = out.shape[-1]
    flat = out.reshape(-1)
    for j in range(flat.size):
        flat[j] = 0
    rows = out.reshape((-1, n))
    m = idx.shape[-1]
    picks = np.ascontiguousarray(idx).reshape((-1, m))
    grads = np.ascontiguousarray(g).reshape((-1, m))
    for r in range(rows.shape[0]):
        for c in range(m):
            i = picks[r, c]
            if i < 0:
                i += n
            rows[r, i] += grads[r, c]
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
