"""Data-parallel training on a Dask cluster, the client's side: shard the rows across the
workers, start one ``Replica`` actor per worker, run epochs on all of them at once, keep the
client's shared variables in step with theirs, and start again on the workers left when one
is lost."""

from __future__ import annotations

import time

import numpy as np

from symnet.distributed.program import Program
from symnet.distributed.replica import Replica


class WorkerLost(RuntimeError):
    """A replica's worker went away (or failed) during a run."""


class DataParallel:
    """Train ``params`` on rows sharded across a Dask cluster's workers::

        dp = DataParallel(client, [x, y], [loss, accuracy], params,
                          lambda grads: [(p, p - 0.1 * g) for p, g in zip(params, grads)])
        dp.shard(X, Y)                       # NumPy arrays (scattered) or Dask arrays (left where they are)
        for epoch in range(5):
            means = dp.epoch(epoch, batch_size=1024)   # the outputs' means over the epoch

    Synchronous (``sync_every=1``): each global batch is split across the replicas in
    proportion to their rows, the gradients of their shares are summed by an allreduce among
    the workers and every replica applies the same update: the training of one process with
    the same batches, to float rounding. ``sync_every=k``: local SGD, each replica steps on its
    own rows and the replicas' states are averaged every k steps. ``averaged``: updates of
    state averaged by rows (batch-norm statistics); ``counted``: updates of counts that every
    replica's moves are added to (a metric's true positives). After ``epoch`` the client's
    shared variables hold the trained values."""

    def __init__(self, client, inputs, outputs, params, updates, averaged=(), sync_every: int = 1, target=None,
                 timeout: float = 120.0, retries: int = 2, counted=()):
        if isinstance(sync_every, bool) or not isinstance(sync_every, (int, np.integer)) or sync_every < 1:
            raise ValueError(f"DataParallel: sync_every must be a positive integer, got {sync_every!r}")
        self.client = client
        self.program = Program(inputs, outputs, params, updates, averaged, int(sync_every), target, counted)
        self.timeout, self.retries = timeout, retries
        self.events: list = []  # what happened: workers lost, epochs retried
        self.replicas: list = []
        self.sources = None
        self.compile_seconds = None

    # -- data --------------------------------------------------------------------------------
    def shard(self, *arrays) -> None:
        """The columns (one per input, rows first): NumPy arrays are split in contiguous
        parts, one per worker; Dask arrays stay where their chunks are."""
        if len(arrays) != self.program.columns:
            raise ValueError(f"DataParallel.shard: the step takes {self.program.columns} arrays, got {len(arrays)}")
        rows = {len(a) if not _is_dask(a) else a.shape[0] for a in arrays}
        if len(rows) != 1 or any(isinstance(r, float) for r in rows):
            raise ValueError(f"DataParallel.shard: the arrays must have the same, known number of rows, got "
                             f"{[a.shape[0] for a in arrays]}")
        for k, (a, v) in enumerate(zip(arrays, self.program_inputs)):
            if a.ndim != v.ndim:
                raise ValueError(f"DataParallel.shard: array {k} ({v.label()}) must have {v.ndim} axes, got shape {a.shape}")
            if np.dtype(a.dtype).kind != np.dtype(v.dtype).kind:
                raise TypeError(f"DataParallel.shard: array {k} ({v.label()}) must be {v.dtype}, got {a.dtype}")
        self.sources = arrays
        self._start()

    @property
    def program_inputs(self) -> list:
        f = self.program.gradients_fn if self.program.sync_every == 1 else self.program.step_fn
        return f.inputs[: self.program.columns]

    def _workers(self) -> dict:
        workers = self.client.scheduler_info()["workers"]
        if not workers:
            raise RuntimeError("DataParallel: the Dask client has no workers")
        return workers

    def _placed(self, workers: dict) -> list:
        """[(worker address, [block, …]), …]: each block one tuple of columns' rows."""
        arrays = [a if _is_dask(a) else np.ascontiguousarray(a, dtype=v.dtype) for a, v in zip(self.sources, self.program_inputs)]
        if not any(_is_dask(a) for a in arrays):
            parts = np.array_split(np.arange(len(arrays[0])), len(workers))
            return [(w, [self.client.scatter([a[p[0] : p[-1] + 1] if len(p) else a[:0] for a in arrays], workers=[w], direct=True)])
                    for w, p in zip(workers, parts) if len(p)]
        import dask.array as da
        from distributed import futures_of

        first = next(a for a in arrays if _is_dask(a))
        rows = first.chunks[0]
        columns = [(a if _is_dask(a) else da.from_array(a)).rechunk({0: rows, **{k: -1 for k in range(1, a.ndim)}}).astype(v.dtype)
                   for a, v in zip(arrays, self.program_inputs)]
        persisted = self.client.persist(columns)
        blocks = [[f for f in futures_of(c)] for c in persisted]
        blocks = [sorted(b, key=lambda f: f.key) for b in blocks]  # the chunks in row order
        who = self.client.who_has(blocks[0])
        placed: dict = {}
        for i in range(len(rows)):
            holder = (who.get(blocks[0][i].key) or list(workers))[0]
            placed.setdefault(holder, []).append([b[i] for b in blocks])
        return list(placed.items())

    def _start(self) -> None:
        self.close()
        workers = self._workers()
        placed = self._placed(workers)
        sizes = self.client.gather([self.client.submit(_rows, blocks, workers=[w], pure=False) for w, blocks in placed])
        if sum(sizes) == 0:
            raise ValueError("DataParallel.shard: no rows")
        futures = [self.client.submit(Replica, self.program, rank, sizes, workers[w]["nthreads"], self.timeout, *blocks,
                                      workers=[w], allow_other_workers=False, actor=True, pure=False)
                   for rank, (w, blocks) in enumerate(placed)]
        self.replicas = self.client.gather(futures)
        self.addresses = [w for w, _ in placed]
        self.sizes = sizes
        for r in self.replicas:
            r.connect(self.replicas).result()
        self.compile_seconds = max(r.compile().result() for r in self.replicas)

    def close(self) -> None:
        self.replicas = []

    def abort(self) -> None:
        """Stop every replica's run (each raises ``Aborted`` at its next exchange)."""
        for r in self.replicas:
            try:
                r.abort()
            except Exception:  # noqa: BLE001  (a lost worker's replica cannot be reached)
                pass

    # -- state -------------------------------------------------------------------------------
    def push(self) -> None:
        """The client's shared values to every replica."""
        state = [v.get_value(borrow=True) for v in self.program.state]
        counters = [int(v.get_value()) for v in self.program.counters]
        for f in [r.set_state(state, counters) for r in self.replicas]:
            f.result()

    def pull(self) -> None:
        """The replicas' shared values (the same on every one) to the client's variables."""
        state, counters = self.replicas[0].get_state().result()
        for v, a in zip(self.program.state, state):
            v.set_value(a, borrow=True)
        for v, c in zip(self.program.counters, counters):
            v.set_value(np.int64(c))

    # -- running -----------------------------------------------------------------------------
    def steps(self, batch_size: int) -> int:
        return -(-sum(self.sizes) // batch_size)

    def run(self, epoch: int, first: int, count: int, batch_size: int, shuffle: bool = True, seed: int = 0) -> np.ndarray:
        """Steps first … first + count - 1 on every replica: the sums over their rows of the
        outputs (divide by the rows for the means). Raises ``WorkerLost``."""
        futures = [r.run(epoch, first, count, batch_size, shuffle, seed) for r in self.replicas]
        totals, failure, waiting = np.zeros(self.program.n_outputs), None, set(range(len(futures)))
        deadline = time.monotonic() + self.timeout + 30
        while waiting and failure is None:
            for k in [k for k in waiting if futures[k].done()]:
                waiting.discard(k)
                try:
                    totals += futures[k].result()
                except Exception as e:  # noqa: BLE001  (a lost worker shows as any of Dask's comm errors)
                    failure = (k, e)
            if waiting and time.monotonic() > deadline:
                failure = (min(waiting), TimeoutError(f"no answer for {self.timeout + 30:g} s"))
            time.sleep(0.01 if waiting else 0)  # a 2-core machine has no core to spare for a busy client
        if failure is not None:
            self.abort()  # the others wait for the lost one's sums
        if failure is not None:
            k, e = failure
            raise WorkerLost(f"replica {k} on {self.addresses[k]}: {type(e).__name__}: {e}")
        return totals

    @property
    def total_rows(self) -> int:
        return sum(self.sizes)

    def step_rows(self, batch_size: int, t: int) -> int:
        """The rows of global step t: each replica's share of it, added."""
        steps = self.steps(batch_size)
        return sum(max(0, min(n, (t + 1) * -(-n // steps)) - t * -(-n // steps)) for n in self.sizes)

    def epoch(self, epoch: int, batch_size: int, shuffle: bool = True, seed: int = 0, per_call: int | None = None,
              on_progress=None, on_begin=None, on_retry=None) -> np.ndarray:
        """One epoch on the cluster from the client's state (retried from it on the workers
        left when one is lost, ``on_retry()`` told); the outputs' means. ``on_begin(first)``
        before and ``on_progress(first, count, totals)`` after each call of ``per_call`` steps."""
        for attempt in range(self.retries + 1):
            try:
                self.push()
                steps = self.steps(batch_size)
                per = steps if per_call is None else max(1, per_call)
                if self.program.sync_every > 1 and per_call is not None:
                    per = -(-per // self.program.sync_every) * self.program.sync_every
                totals = np.zeros(self.program.n_outputs)
                for first in range(0, steps, per):
                    if on_begin is not None:
                        on_begin(first)
                    part = self.run(epoch, first, min(per, steps - first), batch_size, shuffle, seed)
                    totals += part
                    if on_progress is not None:
                        on_progress(first, min(per, steps - first), part)
                self.pull()
                return totals / sum(self.sizes)
            except WorkerLost as e:
                if attempt == self.retries:
                    raise
                self.events.append(f"epoch {epoch + 1}: {e}; retried on the workers left")
                self._start()
                if on_retry is not None:
                    on_retry()
        raise AssertionError("unreachable")


def _is_dask(a) -> bool:
    return type(a).__module__.startswith("dask.")


def _rows(blocks: list) -> int:
    return sum(len(b[0]) for b in blocks)
