"""The kernel IR: one loop nest over an index space, loads, scalar expressions, stores.

Target-neutral: a ``Kernel`` says *what* each output element is (the algorithm); a
``Schedule`` (schedule.py) says how the loops run. ``Kernel.text()`` prints one line per
item, for golden tests and error messages; ``verify()`` checks the invariants.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Load:
    """``name = array[index]``; ``axes[j]`` is the loop axis indexing array axis j, or None
    for a broadcast axis (index 0)."""

    name: str
    array: str
    axes: tuple


@dataclass(frozen=True)
class Store:
    """``array[index] = value`` at every point of the index space."""

    array: str
    axes: tuple
    value: object  # sympy expression over load names and temporaries
    dtype: str


@dataclass(frozen=True)
class Reduction:
    """``array[kept axes] = kind(value over the reduced loop axes)``."""

    array: str
    kind: str  # sum, max, min
    reduced: tuple  # loop axes summed over
    keepdims: bool
    value: object
    dtype: str


@dataclass
class Kernel:
    name: str
    kind: str  # "elementwise" or "reduction"
    rank: int  # loop depth; loop axis k runs over range(n{k})
    array_inputs: list  # parameter names
    scalar_inputs: list  # parameter names (values the driver holds as scalars)
    outputs: list  # parameter names of the arrays written
    loads: list
    temporaries: list  # (name, sympy expression), in order (sympy.cse of the stores' values)
    stores: list
    reduction: Reduction | None
    compute_dtype: str
    nodes: list = field(default_factory=list)  # graph nodes fused here, for f.kernels
    constants: list = field(default_factory=list)  # names of typed module constants used

    @property
    def sizes(self) -> list:
        return [f"n{k}" for k in range(self.rank)]

    @property
    def params(self) -> list:
        return self.sizes + self.array_inputs + self.scalar_inputs + self.outputs

    def text(self) -> str:
        lines = [f"kernel {self.name}({', '.join(self.params)})  # {self.kind}, rank {self.rank}"]
        for ld in self.loads:
            lines.append(f"  load {ld.name} = {ld.array}[{index_code(ld.axes)}]")
        for name, expr in self.temporaries:
            lines.append(f"  {name} = {expr}")
        for st in self.stores:
            lines.append(f"  store {st.array}[{index_code(st.axes)}] = {st.value}")
        if self.reduction is not None:
            r = self.reduction
            lines.append(f"  reduce {r.kind} over {r.reduced} into {r.array} = {r.value}")
        return "\n".join(lines)

    def verify(self) -> None:
        defined = set(self.scalar_inputs) | set(self.constants) | {ld.name for ld in self.loads}
        for name, expr in self.temporaries:
            _check_free(expr, defined, name)
            defined.add(name)
        for item in self.stores + ([self.reduction] if self.reduction else []):
            _check_free(item.value, defined, item.array)
        for ld in self.loads:
            assert ld.array in self.array_inputs, f"{ld.name} loads from unknown array {ld.array}"
            assert all(a is None or 0 <= a < self.rank for a in ld.axes), f"bad axes in {ld}"


def index_code(axes) -> str:
    """An array index from loop axes: ``i<k>`` per axis, 0 for a broadcast one."""
    return ", ".join("0" if a is None else f"i{a}" for a in axes) or "()"


def _check_free(expr, defined: set, where: str) -> None:
    free = {str(s) for s in getattr(expr, "free_symbols", ())}
    missing = free - defined
    assert not missing, f"{where} uses undefined {sorted(missing)}"
