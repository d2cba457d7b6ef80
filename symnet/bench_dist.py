"""The DIST workload of ``python -m symnet bench``: data-parallel training of a W4-sized MLP
(784-512-256-10, global batch 1024) on a Dask ``LocalCluster(n_workers=2,
threads_per_worker=1)`` against one process, synchronous and local SGD, the synchronous
losses against one process's, and ``map_blocks`` inference over 10⁷ rows against one
process. The one-process baselines run in fresh processes: one of a worker's size (one
thread: the unit that 2 workers double) and one using every core."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

ROWS, BATCH, EPOCHS = 65536, 1024, 3
INFER_ROWS, INFER_CHUNK = 10_000_000, 250_000

TRAIN_SCRIPT = """
from symnet import bench_dist
print(bench_dist.one_process_epoch())
"""

INFER_SCRIPT = """
from symnet import bench_dist
print(bench_dist.one_process_inference())
"""


def data(rows: int = ROWS) -> tuple:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 784)).astype(np.float32)
    return x, (x[:, :10].argmax(axis=1)).astype(np.int64)


def model(sizes=(784, 512, 256, 10)):
    from symnet import nn

    m = nn.Sequential([nn.Input((sizes[0],)), *[nn.Dense(n, activation="relu") for n in sizes[1:-1]],
                       nn.Dense(sizes[-1], activation="softmax")], seed=0)
    m.compile(optimizer=nn.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    return m


def _epoch_seconds(fit) -> float:
    """The median of the epochs' seconds after the first (which compiles, shards, warms)."""
    from symnet.nn.callbacks import Callback

    class Clock(Callback):
        ends: list = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    clock = Clock()
    fit(1 + EPOCHS, [clock])
    return float(np.median(np.diff(clock.ends)))


def one_process_epoch() -> float:
    x, y = data()
    m = model()
    return _epoch_seconds(lambda e, cbs: m.fit(x, y, batch_size=BATCH, epochs=e, verbose=0, callbacks=cbs))


def _fresh(script: str, threads: int | None) -> float:
    env = dict(os.environ)
    if threads is not None:
        env.update(NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def infer_model():
    return model((16, 64, 64, 4))


def _inference_graph(f):
    import dask.array as da

    from symnet.distributed import map_blocks

    x = da.random.default_rng(0).standard_normal((INFER_ROWS, 16), chunks=(INFER_CHUNK, 16), dtype=np.float32)
    return map_blocks(f, x).sum()


def one_process_inference() -> float:
    import dask

    f = infer_model().predict_function
    graph = _inference_graph(f)
    f(np.zeros((2, 16), np.float32))
    start = time.perf_counter()
    dask.compute(graph, scheduler="synchronous")
    return time.perf_counter() - start


def rows() -> list:
    """The DIST rows: seconds per epoch (or per pass) and the ratio to one process (below 1:
    faster; 1/1.6 = 0.625 and 1/1.7 = 0.59 are the targets), the synchronous loss error."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError("the DIST workload needs Dask: pip install 'symnet[distributed]'") from None

    one = _fresh(TRAIN_SCRIPT, 1)
    every = _fresh(TRAIN_SCRIPT, None)
    infer_one = _fresh(INFER_SCRIPT, 1)
    infer_every = _fresh(INFER_SCRIPT, None)
    out = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:
        x, y = data()
        for sync_every in (1, 8):
            m = model()
            seconds = _epoch_seconds(lambda e, cbs: m.fit(x, y, batch_size=BATCH, epochs=e, verbose=0, distribute=client,
                                                          sync_every=sync_every, callbacks=cbs))
            dp = m._data_parallel[id(client), False, sync_every]
            spent = [r.timings().result() for r in dp.replicas]
            mode = "synchronous" if sync_every == 1 else f"local SGD, sync_every={sync_every}"
            r = _row(f"DIST W4 MLP fit, global batch {BATCH}, 2 workers, {mode}", seconds, one, every, 0.625,
                     "one process of 1 thread", f"DIST-FIT-{sync_every}")
            steps = spent[0]["steps"]
            r["baseline"] += (f"; per step and worker: compute {1e3 * np.mean([t['compute'] for t in spent]) / steps:.1f} ms, "
                              f"exchange {1e3 * np.mean([t['exchange'] for t in spent]) / steps:.1f} ms")
            out.append(r)
        out.append(_equality(client))
        f = infer_model().predict_function
        graph = _inference_graph(f)
        graph.compute()  # every worker builds f
        start = time.perf_counter()
        graph.compute()
        seconds = time.perf_counter() - start
        out.append(_row(f"DIST map_blocks predict, {INFER_ROWS:,} rows of 16 (MLP 16-64-64-4), 2 workers", seconds, infer_one,
                        infer_every, 1 / 1.7, "one process of 1 thread", "DIST-INFER"))
    return out


def _row(workload, seconds, one, every, target, name, key) -> dict:
    return {"key": key, "workload": workload, "symnet": seconds, "baseline": f"{name} (every core: {every:.3g} s, "
            f"ratio {seconds / every:.2f}); target ratio {target:.3g}", "baseline_time": one, "ratio": seconds / one}


def _equality(client) -> dict:
    """Synchronous training's losses against one process on the same batches, 5 epochs."""
    x, y = data(4096)
    m, single = model(), model()
    h = m.fit(x, y, batch_size=BATCH, epochs=5, shuffle=False, verbose=0, distribute=client)
    half, local = len(x) // 2, BATCH // 2
    order = np.concatenate([np.r_[t * local : (t + 1) * local, half + t * local : half + (t + 1) * local] for t in range(half // local)])
    h1 = single.fit(x[order], y[order], batch_size=BATCH, epochs=5, shuffle=False, verbose=0)
    error = float(np.max(np.abs(np.subtract(h.history["loss"], h1.history["loss"])) / np.abs(h1.history["loss"])))
    return {"key": "DIST-EQUAL", "workload": "DIST synchronous losses vs one process, 5 epochs (relative error)",
            "symnet": error, "baseline": "target 1e-5", "baseline_time": 1e-5, "ratio": error / 1e-5}
