"""A compiled function applied to Dask arrays block by block on the workers: each worker
builds the function once (from its graph, compiled or loaded from its cache) and reuses it
for every block; the outputs' chunks, dtypes and shapes are declared to Dask."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np

# the functions a worker has built, by the digest of their pickled graphs
_BUILT: dict = {}


def map_blocks(f, *arrays):
    """``f`` (an ``sn.function`` taking and returning arrays of rows, such as a model's
    ``predict_function``) over Dask arrays that share their row chunks: a Dask array per
    output of ``f`` (a list for several), computed lazily, block by block, on the workers.
    Chunks along the other axes are joined (a block holds whole rows)."""
    import dask
    import dask.array as da

    from symnet.function import Function

    if not isinstance(f, Function):
        raise TypeError(f"map_blocks: f must be a function made by sn.function, got {type(f).__name__}")
    if len(arrays) != len(f.inputs):
        raise TypeError(f"map_blocks: {f.name or 'f'} takes {len(f.inputs)} arrays, got {len(arrays)}")
    for k, (a, v) in enumerate(zip(arrays, f.inputs)):
        if not isinstance(a, da.Array):
            raise TypeError(f"map_blocks: argument {k} ({v.label()}) must be a Dask array, got {type(a).__name__}")
        if a.ndim != v.ndim or a.ndim == 0:
            raise ValueError(f"map_blocks: argument {k} ({v.label()}) must have {v.ndim} axes (rows first), got shape {a.shape}")
        if np.isnan(a.shape[0]) or a.shape[0] != arrays[0].shape[0]:
            raise ValueError(f"map_blocks: the arrays must have the same known number of rows, got {[b.shape[0] for b in arrays]}")
    shapes = _probe(f, arrays)
    rows = arrays[0].chunks[0]
    arrays = [a.rechunk({0: rows, **{k: -1 for k in range(1, a.ndim)}}) for a in arrays]
    payload = dask.delayed(pickle.dumps(f), pure=True)  # one copy in the graph, not one per block
    several, ndim = len(shapes) > 1, arrays[0].ndim
    if not several and 1 + len(shapes[0][1]) == ndim:  # the blocks of the output are f's results
        dtype, trailing = shapes[0]
        return da.map_blocks(_run_block, payload, *arrays, dtype=dtype, chunks=(rows, *((n,) for n in trailing)),
                             meta=np.empty((0,) * ndim, dtype))
    # f's results per block as one object per row block, then each output picked from them
    joined = da.map_blocks(_run_block, payload, *arrays, dtype=object, chunks=(rows,), meta=np.empty((0,), object),
                           drop_axis=list(range(1, ndim)) or None)
    outs = [joined.map_blocks(_pick, k if several else None, dtype=dtype, chunks=(rows, *((n,) for n in trailing)),
                              meta=np.empty((0,) * (1 + len(trailing)), dtype), new_axis=list(range(1, 1 + len(trailing))) or None)
            for k, (dtype, trailing) in enumerate(shapes)]
    return outs if several else outs[0]


def _probe(f, arrays) -> list:
    """[(dtype, shape of one row), …] per output, from f on 1 and 2 rows of zeros; an error
    unless every output has a row per input row."""
    results = []
    for n in (1, 2):
        outs = f(*[np.zeros((n, *a.shape[1:]), v.dtype) for a, v in zip(arrays, f.inputs)])
        results.append(outs if isinstance(outs, list) else [outs])
    shapes = []
    for k, (one, two) in enumerate(zip(*results)):
        one, two = np.asarray(one), np.asarray(two)
        if one.ndim == 0 or one.shape[0] != 1 or two.shape[0] != 2 or one.shape[1:] != two.shape[1:]:
            raise ValueError(f"map_blocks: output {k} of {f.name or 'f'} is not row-wise (shape {one.shape} for 1 row, "
                             f"{two.shape} for 2): each output must have one row per input row")
        shapes.append((one.dtype, one.shape[1:]))
    return shapes


def _run_block(payload: bytes, *blocks):
    import numba

    from distributed import get_worker

    try:
        get_worker()
        # a Dask worker's parallelism is its threads: one Numba thread each (the count is per calling thread)
        numba.set_num_threads(1)
    except ValueError:
        pass  # not on a worker (a graph computed in this process keeps every core)
    key = hashlib.sha256(payload).hexdigest()
    f = _BUILT.get(key)
    if f is None:
        from symnet.distributed.replica import keep_freed_memory

        keep_freed_memory()
        f = _BUILT[key] = pickle.loads(payload)
    outs = f(*blocks)
    return tuple(outs) if isinstance(outs, list) else outs


def _pick(results, k):
    return results if k is None else results[k]
