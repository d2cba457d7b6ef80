"""How a kernel runs: which loop axis is parallel, and from what amount of work.

A schedule never changes results, only speed: tests run one kernel under several.
"""

from __future__ import annotations

from dataclasses import dataclass

# A parallel region costs microseconds (and up to milliseconds when the thread pool has
# been idle, ../shared/NUMBA_NOTES.md): below this many loop iterations, run serially.
PARALLEL_THRESHOLD = 1 << 15


@dataclass(frozen=True)
class Schedule:
    parallel_axis: int | None  # loop axis run with prange, or None: serial only
    threshold: int = PARALLEL_THRESHOLD


def schedule(kernel, threshold: int = PARALLEL_THRESHOLD) -> Schedule:
    """prange on the outermost loop unless that loop reduces (threads would race on the sum)."""
    reduced = kernel.reduction.reduced if kernel.reduction is not None else ()
    if kernel.rank == 0 or 0 in reduced:
        return Schedule(None, threshold)
    return Schedule(0, threshold)
