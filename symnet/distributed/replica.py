"""One Dask worker's copy of a data-parallel step (a Dask actor): its compiled functions, its
shard of the rows, its optimizer state, and the allreduce it runs with its peers."""

from __future__ import annotations

import threading
import time

import numpy as np

# a worker's random streams count from rank * this, so no two workers draw the same noise
COUNTER_STRIDE = 1 << 40


class Aborted(RuntimeError):
    """The client stopped the run (a peer was lost)."""


class Replica:
    """Built on its worker from a ``Program`` (the step's functions, pickled as their graphs
    and compiled there) and the shard's row blocks; the client calls ``run`` on every replica
    at once and the replicas exchange their sums among themselves, not through the scheduler."""

    def __init__(self, program, rank: int, sizes: list, threads: int, timeout: float, *blocks):
        keep_freed_memory()
        self.threads = threads
        self.program, self.rank, self.sizes, self.timeout = program, rank, list(sizes), timeout
        columns = program.columns
        self.data = [np.concatenate([b[k] for b in blocks]) if len(blocks) > 1 else blocks[0][k] for k in range(columns)]
        if len(self.data[0]) != sizes[rank]:
            raise ValueError(f"replica {rank}: its blocks hold {len(self.data[0])} rows, expected {sizes[rank]}")
        self.peers: list = []
        self.inbox: dict = {}
        self.arrived = threading.Condition()
        self.aborted = False
        self.seconds = {"compute": 0.0, "exchange": 0.0, "steps": 0}  # where this replica's time went

    def connect(self, peers: list) -> None:
        self.peers = peers

    def set_state(self, arrays: list, counters: list) -> None:
        """The client's values of the synchronized state, and its random streams' counters."""
        for v, a in zip(self.program.state, arrays):
            v.set_value(a)
        for v, c in zip(self.program.counters, counters):
            v.set_value(np.int64(c + self.rank * COUNTER_STRIDE))
        self.program.rebase()
        self.aborted = False
        self.inbox.clear()

    def get_state(self) -> tuple:
        return [v.get_value() for v in self.program.state], [int(v.get_value()) - self.rank * COUNTER_STRIDE
                                                               for v in self.program.counters]

    def _own_threads(self) -> None:
        """Parallel kernels use the worker's threads, not every core (Numba's count is per
        calling thread, and an actor's methods run on a thread of their own)."""
        import numba

        numba.set_num_threads(max(1, min(self.threads, numba.config.NUMBA_NUM_THREADS)))

    def compile(self) -> float:
        """Compile (or load from the cache) every function now; the seconds it took."""
        self._own_threads()
        start = time.perf_counter()
        self.program.warm(self.data)
        return time.perf_counter() - start

    # -- the steps ---------------------------------------------------------------------------
    def run(self, epoch: int, first: int, count: int, batch_size: int, shuffle: bool, seed: int) -> np.ndarray:
        """Steps ``first`` … ``first + count - 1`` of the epoch; the sum over them of this
        replica's rows times its outputs (the client adds the replicas' and divides)."""
        self._own_threads()
        p = self.program
        steps = -(-sum(self.sizes) // batch_size)
        local = [-(-n // steps) for n in self.sizes]  # every replica's rows per step
        if first == 0 or getattr(self, "_epoch", None) != epoch:
            order = np.random.default_rng([seed, epoch, self.rank]).permutation(self.sizes[self.rank]) if shuffle else None
            self.epoch_data = self.data if order is None else [a[order] for a in self.data]
            self._epoch = epoch
        totals = np.zeros(p.n_outputs)
        pending, exchanged = 0, self.seconds["exchange"]
        for t in range(first, first + count):
            b = local[self.rank]
            batch = [a[t * b : (t + 1) * b] for a in self.epoch_data]
            rows = len(batch[0])
            everyone = sum(max(0, min(n, (t + 1) * m) - t * m) for n, m in zip(self.sizes, local))  # DataParallel.step_rows
            start = time.perf_counter()
            if p.sync_every == 1:
                outs, *parts = p.gradients(batch, rows / everyone) if rows else (np.zeros(p.n_outputs), *p.zero_parts())
                exchange = time.perf_counter()
                summed = self.allreduce((epoch, t), parts)
                self.seconds["exchange"] += time.perf_counter() - exchange
                p.apply(*summed)
                totals += rows * outs
            else:
                if rows:
                    totals += rows * p.local_step(batch)
                pending += 1
                if pending == p.sync_every or t == first + count - 1:
                    exchange = time.perf_counter()
                    share = self.sizes[self.rank] / sum(self.sizes)
                    averaged, counts = self.allreduce((epoch, t), [p.flat_state() * share, p.count_moves()])
                    self.seconds["exchange"] += time.perf_counter() - exchange
                    p.set_flat_state(averaged)
                    p.add_counts(counts)
                    pending = 0
            self.seconds["compute"] += time.perf_counter() - start
            self.seconds["steps"] += 1
        self.seconds["compute"] -= self.seconds["exchange"] - exchanged
        return totals

    def timings(self) -> dict:
        """Seconds of computing and of exchanging (waiting included) over the steps run."""
        return dict(self.seconds)

    # -- the allreduce -----------------------------------------------------------------------
    async def deliver(self, tag, source: int, arrays: list) -> None:
        """A peer's partial sums (runs on the worker's event loop while ``run`` waits)."""
        with self.arrived:
            self.inbox[tag, source] = arrays
            self.arrived.notify_all()

    async def abort(self) -> None:
        with self.arrived:
            self.aborted = True
            self.arrived.notify_all()

    def _send(self, peer: int, tag, arrays: list) -> None:
        self.peers[peer].deliver(tag, self.rank, arrays)

    def _receive(self, peer: int, tag) -> list:
        deadline = time.monotonic() + self.timeout
        with self.arrived:
            while (tag, peer) not in self.inbox:
                if self.aborted:
                    raise Aborted(f"replica {self.rank}: stopped by the client")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"replica {self.rank}: nothing from replica {peer} for {self.timeout:g} s")
                self.arrived.wait(min(left, 1.0))
            return self.inbox.pop((tag, peer))

    def allreduce(self, tag, arrays: list) -> list:
        """Every replica's ``arrays`` summed, the same on every replica to the bit: recursive
        doubling over the largest power of two of replicas (the others fold into it first),
        each pair adding the lower rank's partial first."""
        n, r = len(self.peers), self.rank
        if n == 1:
            return arrays
        power = 1 << (n.bit_length() - 1)
        if r >= power:
            self._send(r - power, (tag, "fold"), arrays)
            return self._receive(r - power, (tag, "back"))
        if r + power < n:
            arrays = _added(arrays, self._receive(r + power, (tag, "fold")))
        step = 1
        while step < power:
            peer = r ^ step
            self._send(peer, (tag, step), arrays)
            other = self._receive(peer, (tag, step))
            arrays = _added(arrays, other) if r < peer else _added(other, arrays)
            step <<= 1
        if r + power < n:
            self._send(r + power, (tag, "back"), arrays)
        return arrays


def keep_freed_memory() -> None:
    """Let glibc keep freed memory for the next step's buffers. A Dask nanny starts workers
    with MALLOC_TRIM_THRESHOLD_=65536, which also fixes the mmap threshold: every buffer of a
    step above it is then mapped and unmapped per call, page faults and zeroing included (a
    W4 step took 1.3x as long). Elsewhere than glibc nothing is done."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest
    mallopt(m_trim_threshold, 256 << 20)


def _added(first: list, second: list) -> list:
    return [a + b for a, b in zip(first, second)]
