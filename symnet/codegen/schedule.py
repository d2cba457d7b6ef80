"""How kernels run: on CPU, which loop axis is parallel and from what amount of work; on
CUDA, threads per block, blocks per launch and how a sum splits over blocks.

A schedule never changes results, only speed: tests run one kernel under several.
"""

from __future__ import annotations

from dataclasses import dataclass

from numba.core import config

# -- CPU ----------------------------------------------------------------------------------------
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


# -- CUDA ---------------------------------------------------------------------------------------
# Under Numba's simulator (NUMBA_ENABLE_CUDASIM=1, read when numba was imported) every CUDA
# thread is a Python thread, so blocks are small there (../shared/NUMBA_NOTES.md: 8 blocks
# of 128 threads take seconds). Read from numba's config: no need to import numba.cuda.
SIMULATOR = bool(config.ENABLE_CUDASIM)

# Threads per block (a power of two: reductions halve it) and the most blocks a launch uses
# (grid-stride loops cover the rest). Printed into generated kernels as literals.
THREADS = 8 if SIMULATOR else 256
MAX_BLOCKS = 2 if SIMULATOR else 4 * 1024
TILE = 4 if SIMULATOR else 16  # matmul tile edge: a block is TILE x TILE threads


def blocks(work: int) -> int:
    """Blocks for ``work`` items (grid-stride loops take the rest); at least one."""
    return max(1, min((work + THREADS - 1) // THREADS, MAX_BLOCKS))


def reduction_blocks(outputs: int) -> int:
    """One block per output element, up to MAX_BLOCKS (blocks stride over the rest)."""
    return max(1, min(outputs, MAX_BLOCKS))


def splits(outputs: int, reduced: int) -> int:
    """Blocks per output element of a float sum: one where there are outputs enough to fill
    the grid, else as many as keep each thread busy with at least 8 elements."""
    if outputs >= MAX_BLOCKS // 4 or reduced <= THREADS * 8:
        return 1
    return max(1, min(reduced // (THREADS * 8), MAX_BLOCKS // max(outputs, 1)))


def splits_reduction(kernel) -> bool:
    """Whether a CUDA kernel may split each output's reduced elements over several blocks
    (``splits`` says how many at run time): float sums, added atomically; other kinds and
    integer outputs use one block per output."""
    r = kernel.reduction
    return r is not None and r.kind == "sum" and r.dtype.startswith("float")
