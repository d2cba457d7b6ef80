"""Benchmarks of compiled graphs: ``sn.bench`` and the standard suite of ../shared/BENCHMARKS.md.

Every figure is a median over repeated calls, printed next to baselines measured in the
same run (the machines are shared and noisy: ratios, not bare times).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class BenchResult:
    median: float  # seconds per call
    min: float
    max: float
    repeat: int
    interp_median: float | None = None  # the NumPy reference interpreter on the same inputs
    flops: int = 0  # per call, from symnet.cost
    bytes: int = 0
    compile_time: dict | None = None

    @property
    def gflops(self) -> float:
        return self.flops / self.median / 1e9

    @property
    def gbps(self) -> float:
        return self.bytes / self.median / 1e9

    def __str__(self) -> str:
        text = f"median {format_time(self.median)} (min {format_time(self.min)}, max {format_time(self.max)}, n={self.repeat})"
        text += f", {self.gflops:.3g} GFLOP/s, {self.gbps:.3g} GB/s"
        if self.interp_median is not None:
            text += f"; interpreter {format_time(self.interp_median)} ({self.interp_median / self.median:.3g}x)"
        return text


def format_time(seconds: float) -> str:
    if seconds != seconds:  # nan: no baseline of its own (the peers are the comparison)
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def timeit(call, repeat: int = 30, warmup: int = 3, number: int | None = None, block: float = 1e-3) -> list:
    """Seconds per call, ``repeat`` samples; each sample averages ``number`` calls
    (chosen so that a sample lasts about ``block`` seconds when not given)."""
    for _ in range(warmup):
        call()
    if number is None:
        start = time.perf_counter()
        call()
        once = time.perf_counter() - start
        number = max(1, int(block / max(once, 1e-9)))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return samples


def bench(f, *args, repeat: int | None = None, warmup: int | None = None, interp: bool = True) -> BenchResult:
    """Time ``f(*args)`` in blocks of calls lasting at least 50 ms each (``repeat`` blocks,
    7 by default, after ``warmup`` calls); with ``interp``, also the reference interpreter
    on the same graph and inputs. The result carries FLOPs and bytes per call (the cost
    model of ``symnet.cost``) and the function's compile time per stage."""
    from symnet.cost import cost

    repeat = 7 if repeat is None else repeat
    warmup = 3 if warmup is None else warmup
    samples = timeit(lambda: f(*args), repeat, warmup, block=0.05)
    work = cost(f, *args)
    result = BenchResult(
        statistics.median(samples), min(samples), max(samples), repeat, None, work.flops, work.bytes, dict(f.compile_time)
    )
    if interp and getattr(f, "target", None) != "interp":
        import symnet as sn

        graph = f.graph
        reference = sn.function(graph.inputs, graph.outputs, target="interp", on_unused_input="ignore")
        result.interp_median = statistics.median(timeit(lambda: reference(*args), max(3, repeat // 2), 1, block=0.05))
    return result


@dataclass
class Profile:
    """Seconds per call of each step of a compiled function, in program order."""

    labels: list
    seconds: list
    repeat: int

    def __str__(self) -> str:
        total = sum(self.seconds) or 1.0
        lines = [f"{'time':>10} {'share':>6}  step (median of {self.repeat} calls)"]
        for k in sorted(range(len(self.labels)), key=lambda k: -self.seconds[k]):
            lines.append(f"{format_time(self.seconds[k]):>10} {self.seconds[k] / total:6.1%}  {self.labels[k]}")
        return "\n".join(lines)


def profile(f, *args, repeat: int = 20) -> Profile:
    """Time every step (kernel, matmul, copy) of ``f(*args)`` with an instrumented build of
    the same program. Each timed step includes a clock read of about a microsecond. The
    calls update shared variables as ``f`` would; their values are restored afterwards."""
    from symnet.codegen.build import PARALLEL_INPUT_ELEMENTS, build_profiled
    from symnet.function import _check_argument
    from symnet.graph import SharedVariable

    if f.program is None:
        raise TypeError("sn.profile needs a compiled function (target='cpu'); the interpreter has no steps")
    if len(args) != len(f.graph.inputs):
        raise TypeError(f"the function takes {len(f.graph.inputs)} arguments, got {len(args)}")
    native = build_profiled(f.program, f.graph.inputs, f.graph.updates, f.native.info.vector_math)
    params = native.info.params
    arrays = [_check_argument(v, a, i) for i, (v, a) in enumerate(zip(f.graph.inputs, args))]
    state = [v for v in params[len(arrays) :] if isinstance(v, SharedVariable)]
    saved = [s.container.copy() for s in state]
    arrays += [v.container if isinstance(v, SharedVariable) else v.data for v in params[len(arrays) :]]
    big = any(a.size >= PARALLEL_INPUT_ELEMENTS for a in arrays)
    run = native.module.run_profiled_parallel if big else native.module.run_profiled_serial
    labels = native.info.step_labels
    samples = []
    try:
        for k in range(repeat + 1):  # the first call compiles
            times = np.zeros(len(labels))
            try:
                run(*arrays, times)
            except ValueError as e:
                raise native.failure(e) from None
            if k:
                samples.append(times)
    finally:
        for s, value in zip(state, saved):
            s.container[...] = value
    return Profile(labels, list(np.median(np.array(samples), axis=0)) if samples else [0.0] * len(labels), repeat)


# -- the standard workloads ---------------------------------------------------------------------


def w1_expression(sn_or_np, x):
    if sn_or_np is np:
        sig = 1 / (1 + np.exp(-(x * np.float32(1.7) + np.float32(0.3))))
        return sig * np.tanh(x) + np.logaddexp(np.float32(0), x - np.float32(1))
    return sn_or_np.sigmoid(x * 1.7 + 0.3) * sn_or_np.tanh(x) + sn_or_np.softplus(x - 1)


def numpy_w2(x):
    """d sum(W1) / dx, written out."""
    z = x * np.float32(1.7) + np.float32(0.3)
    s = 1 / (1 + np.exp(-z))
    t = np.tanh(x)
    return np.float32(1.7) * s * (1 - s) * t + s * (1 - t * t) + 1 / (1 + np.exp(-(x - np.float32(1))))


def w1_w2(n: int, repeat: int) -> list:
    import symnet as sn

    rng = np.random.default_rng(0)
    data = rng.standard_normal(n).astype(np.float32)
    x = sn.vector("x")
    y = w1_expression(sn, x)
    f1 = sn.function([x], y, target="cpu")
    f2 = sn.function([x], sn.grad(sn.sum(y), x), target="cpu")
    rows = []
    for label, f, reference in (("W1", f1, lambda: w1_expression(np, data)), ("W2", f2, lambda: numpy_w2(data))):
        verify(label, [f(data)], [reference()])
        ours = timeit(lambda: f(data), repeat, 2, 1)
        base = statistics.median(timeit(reference, repeat, 2, 1))
        rows.append(row(f"{label} ({n:,} float32)", ours, "numpy", base, key=label))
    return rows


def verify(workload: str, got: list, expected: list, rtol: float = 2e-4, atol: float = 1e-6) -> None:
    """Refuse to time a wrong answer: symnet's results must match the baseline's."""
    for k, (g, e) in enumerate(zip(got, expected)):
        if np.shape(g) != np.shape(e) or not np.allclose(g, e, rtol=rtol, atol=atol):
            error = np.max(np.abs(np.asarray(g, np.float64) - e)) if np.shape(g) == np.shape(e) else "shape"
            raise RuntimeError(f"{workload}: result {k} differs from the baseline (max error {error}); not timing it")


def row(workload: str, ours, baseline_name: str, baseline: float, key: str = "") -> dict:
    """A table row from symnet's samples (seconds) and the baseline's median; ``key`` (W1,
    W3-10, FIT, ...) is what peers' figures are matched by."""
    samples = ours if isinstance(ours, list) else [ours]
    ours = statistics.median(samples)
    return {
        "key": key,
        "workload": workload,
        "symnet": ours,
        "symnet_min": min(samples),
        "symnet_max": max(samples),
        "baseline": baseline_name,
        "baseline_time": baseline,
        "ratio": ours / baseline,
    }


def churn_data(n: int, rng) -> tuple:
    X = rng.standard_normal((n, 11)).astype(np.float32)
    y = (X[:, 0] - X[:, 3] + 0.5 * X[:, 7] > 0).astype(np.float32)
    return X, y


def churn_params(rng) -> list:
    shapes = [(11, 6), (6,), (6, 6), (6,), (6, 1), (1,)]
    return [(rng.uniform(-0.05, 0.05, s) if len(s) == 2 else np.zeros(s)).astype(np.float32) for s in shapes]


def churn_step_symnet(params: list, lr: float = 0.01, target: str = "cpu"):
    """The W3 training step as a symnet graph: 11 → 6 relu → 6 relu → 1 sigmoid, BCE, SGD."""
    import symnet as sn

    x, t = sn.matrix("x"), sn.vector("t")
    shared = [sn.shared(p.copy(), name=f"p{k}") for k, p in enumerate(params)]
    W1, b1, W2, b2, W3, b3 = shared
    h1 = sn.relu(x @ W1 + b1)
    h2 = sn.relu(h1 @ W2 + b2)
    p = sn.sigmoid(h2 @ W3 + b3)[:, 0]
    loss = sn.mean(sn.nn.binary_crossentropy(p, t))
    grads = sn.grad(loss, shared)
    return sn.function([x, t], loss, updates=[(s, s - lr * g) for s, g in zip(shared, grads)], target=target)


def churn_step_handwritten():
    """The same step written by hand as one @njit function (the W3 baseline).

    Activations are stored hidden-major (units × batch) so the inner loops run over the
    batch, which is contiguous: the layout ../shared/BENCHMARKS.md measured fastest.
    """
    import numba

    @numba.njit(cache=True, fastmath=False, error_model="numpy")
    def step(x, t, W1, b1, W2, b2, W3, b3, lr):
        n = x.shape[0]
        h1 = np.empty((6, n), np.float32)
        h2 = np.empty((6, n), np.float32)
        p = np.empty(n, np.float32)
        for j in range(6):
            for i in range(n):
                acc = b1[j]
                for k in range(11):
                    acc += x[i, k] * W1[k, j]
                h1[j, i] = acc if acc > 0 else 0.0
        for j in range(6):
            for i in range(n):
                acc = b2[j]
                for k in range(6):
                    acc += h1[k, i] * W2[k, j]
                h2[j, i] = acc if acc > 0 else 0.0
        loss = 0.0
        for i in range(n):
            acc = b3[0]
            for k in range(6):
                acc += h2[k, i] * W3[k, 0]
            s = 1.0 / (1.0 + np.exp(-acc))
            p[i] = s
            loss += max(acc, 0.0) - acc * t[i] + np.log1p(np.exp(-abs(acc)))
        g3 = np.empty(n, np.float32)
        for i in range(n):
            g3[i] = (p[i] - t[i]) / n
        g2 = np.empty((6, n), np.float32)
        for k in range(6):
            for i in range(n):
                g2[k, i] = g3[i] * W3[k, 0] if h2[k, i] > 0 else 0.0
        g1 = np.empty((6, n), np.float32)
        for k in range(6):
            for i in range(n):
                acc = 0.0
                for j in range(6):
                    acc += g2[j, i] * W2[k, j]
                g1[k, i] = acc if h1[k, i] > 0 else 0.0
        for k in range(6):
            acc = 0.0
            for i in range(n):
                acc += h2[k, i] * g3[i]
            W3[k, 0] -= lr * acc
        acc = 0.0
        for i in range(n):
            acc += g3[i]
        b3[0] -= lr * acc
        for k in range(6):
            for j in range(6):
                acc = 0.0
                for i in range(n):
                    acc += h1[k, i] * g2[j, i]
                W2[k, j] -= lr * acc
        for j in range(6):
            acc = 0.0
            for i in range(n):
                acc += g2[j, i]
            b2[j] -= lr * acc
        for k in range(11):
            for j in range(6):
                acc = 0.0
                for i in range(n):
                    acc += x[i, k] * g1[j, i]
                W1[k, j] -= lr * acc
        for j in range(6):
            acc = 0.0
            for i in range(n):
                acc += g1[j, i]
            b1[j] -= lr * acc
        return loss / n

    return step


def w3_step(batch: int, repeat: int) -> dict:
    rng = np.random.default_rng(0)
    X, y = churn_data(batch, rng)
    params = churn_params(rng)
    f = churn_step_symnet(params)
    hand = churn_step_handwritten()
    hand_params = [p.copy() for p in params]
    lr = np.float32(0.01)
    # one step each from the same parameters: the same loss and the same new parameters
    loss = f(X, y)
    hand_loss = hand(X, y, *hand_params, lr)
    state = {s: s.get_value() for s, _ in f.graph.updates}
    verify(f"W3 (batch {batch})", [loss] + [state[s] for s in sorted(state, key=lambda s: s.name)], [np.float32(hand_loss)] + hand_params)
    ours = timeit(lambda: f(X, y), repeat)
    base = statistics.median(timeit(lambda: hand(X, y, *hand_params, lr), repeat))
    return row(f"W3 step, batch {batch}", ours, "hand-written @njit step", base, key=f"W3-{batch}")


def w3_fit(epochs: int = 50, rows: int = 8000, batch: int = 10) -> dict:
    """``model.fit`` of the churn MLP (SGD, shuffling, loss and accuracy per epoch, no
    progress bar) against the same epochs as a Python loop over the hand-written step."""
    from symnet import nn

    rng = np.random.default_rng(0)
    X, y = churn_data(rows, rng)
    params = churn_params(rng)
    model = nn.Sequential([nn.Dense(6, activation="relu", input_dim=11), nn.Dense(6, activation="relu"),
                           nn.Dense(1, activation="sigmoid")])
    model.set_weights(params)
    model.compile(optimizer=nn.SGD(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)  # compile outside the timing
    hand = churn_step_handwritten()
    hand_params = [p.copy() for p in params]
    lr = np.float32(0.01)

    def hand_fit():
        order_rng = np.random.default_rng(1)
        for _ in range(epochs):
            order = order_rng.permutation(rows)
            xs, ys = X[order], y[order]
            total = 0.0
            for start in range(0, rows, batch):
                total += hand(xs[start : start + batch], ys[start : start + batch], *hand_params, lr) * batch
        return total

    hand_fit()
    ours = timeit(lambda: model.fit(X, y, batch_size=batch, epochs=epochs, verbose=0), 3, warmup=0, number=1)
    base = statistics.median(timeit(hand_fit, 3, warmup=0, number=1))
    return row(f"W3 fit, {epochs} epochs of {rows} rows, batch {batch}", ours, "Python loop over the hand-written step", base,
               key="FIT")


W4_SIZES = (784, 512, 256, 10)


def mlp_params(sizes, rng) -> list:
    """Glorot-uniform kernels and zero biases for an MLP of ``sizes``, float32."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32), np.zeros(fan_out, np.float32)]
    return params


def w4_step_symnet(params: list, lr: float = 0.01, target: str = "cpu"):
    """The W4 step: relu layers, softmax cross-entropy on integer labels, SGD."""
    import symnet as sn

    x, t = sn.matrix("x"), sn.vector("t", dtype="int64")
    shared = [sn.shared(p.copy(), name=f"p{k}") for k, p in enumerate(params)]
    h = x
    for k in range(0, len(shared) - 2, 2):
        h = sn.relu(h @ shared[k] + shared[k + 1])
    loss = sn.mean(sn.nn.sparse_categorical_crossentropy(sn.softmax(h @ shared[-2] + shared[-1]), t))
    grads = sn.grad(loss, shared)
    return sn.function([x, t], loss, updates=[(s, s - lr * g) for s, g in zip(shared, grads)], target=target)


def numpy_mlp_step(x, t, params: list, lr, head: str = "softmax") -> float:
    """An MLP step in NumPy (relu layers; softmax cross-entropy on integer labels, or one
    sigmoid unit with binary cross-entropy; in-place SGD): W4's baseline, W3's for peers."""
    hidden = [x]
    for k in range(0, len(params) - 2, 2):
        hidden.append(np.maximum(hidden[-1] @ params[k] + params[k + 1], 0))
    z = hidden[-1] @ params[-2] + params[-1]
    n = len(x)
    if head == "sigmoid":
        z = z[:, 0]
        loss = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
        g = ((1 / (1 + np.exp(-z)) - t) / np.float32(n))[:, None].astype(np.float32)
    else:
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(n), t].mean()
        g = np.exp(log_p)
        g[np.arange(n), t] -= 1
        g /= np.float32(n)
    grads = []
    for k in range(len(params) - 2, -1, -2):
        h = hidden[k // 2]
        grads.append((k, h.T @ g, g.sum(axis=0)))
        if k:
            g = (g @ params[k].T) * (h > 0)
    for k, gw, gb in grads:
        params[k] -= lr * gw
        params[k + 1] -= lr * gb
    return float(loss)


def w4_data(batch: int, rng) -> tuple:
    return rng.standard_normal((batch, W4_SIZES[0])).astype(np.float32), rng.integers(0, W4_SIZES[-1], batch)


def w4_step(repeat: int, batch: int = 128) -> dict:
    rng = np.random.default_rng(0)
    X, y = w4_data(batch, rng)
    params = mlp_params(W4_SIZES, rng)
    f = w4_step_symnet(params)
    base_params = [p.copy() for p in params]
    lr = np.float32(0.01)
    loss = f(X, y)
    base_loss = numpy_mlp_step(X, y, base_params, lr)
    state = {s: s.get_value() for s, _ in f.graph.updates}
    verify("W4", [loss] + [state[s] for s in sorted(state, key=lambda s: int(s.name[1:]))], [np.float32(base_loss)] + base_params,
           rtol=1e-3, atol=1e-5)
    ours = timeit(lambda: f(X, y), repeat, block=0.05)
    base = statistics.median(timeit(lambda: numpy_mlp_step(X, y, base_params, lr), repeat, block=0.05))
    return row(f"W4 step, MLP 784-512-256-10, batch {batch}", ours, "numpy", base, key="W4")


# -- peers: the same workloads in other frameworks, each in its own process ---------------------

PEERS = {"numpy": "numpy", "jax": "jax", "keras": "keras", "pytensor": "pytensor", "torch": "torch"}
PEER_KEYS = ("W1", "W2", "W3-10", "W3-256", "W4", "FIT", "RNN-EPOCH", "RNN-STEP")


def peer_installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(PEERS[name]) is not None


def run_peers(peers: list, keys: list, quick: bool, size: int | None, say) -> dict:
    """{peer: {key: seconds}} for the peers that are installed, each run by ``python -m
    symnet bench --peer NAME`` in its own process (thread pools do not meet)."""
    figures = {}
    for name in peers:
        if not peer_installed(name):
            say(f"{name}: not installed, skipped")
            continue
        say(f"{name} (its own process)")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "peer.json")
            command = [sys.executable, "-m", "symnet", "bench", "--peer", name, "--json", out, *keys]
            command += ["--quick"] * quick + (["--size", str(size)] if size else [])
            # SYMNET_PEER: symnet's import leaves the thread and allocator settings at the
            # peer's own defaults (PyTorch's step took 3x longer with OMP_WAIT_POLICY=PASSIVE)
            done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, SYMNET_PEER="1"))
            if done.returncode != 0:
                say(f"{name} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
                continue
            with open(out) as f:
                figures[name] = json.load(f)
    return figures


def peer_suite(name: str, keys: list, quick: bool, size: int | None) -> dict:
    """{key: seconds} for one peer, run in this process (``--peer``)."""
    repeat = 7 if quick else 21
    n = size or (1_000_000 if quick else 10_000_000)
    epochs = 5 if quick else 50
    rng = np.random.default_rng(0)
    data = rng.standard_normal(n).astype(np.float32) if {"W1", "W2"} & set(keys) else None
    step_maker = {"numpy": _numpy_peer, "jax": _jax_peer, "keras": _keras_peer, "pytensor": _pytensor_peer, "torch": _torch_peer}.get(name)
    if step_maker is None:
        raise SystemExit(f"no benchmark code for peer {name!r} yet")
    from symnet import bench_rnn

    figures = bench_rnn.peer_figures(name, keys, repeat)  # first: its first epoch needs a fresh process
    figures.update(step_maker(keys, data, repeat, epochs))
    return figures


def _mlp_case(key: str):
    """(x, t, params, head) of W3 (batch 10 or 256) or W4, from the suite's seeds."""
    rng = np.random.default_rng(0)
    if key == "W4":
        x, t = w4_data(128, rng)
        return x, t, mlp_params(W4_SIZES, rng), "softmax"
    x, t = churn_data(int(key.split("-")[1]), rng)
    return x, t, churn_params(rng), "sigmoid"


def _fit_loop(step, epochs: int) -> float:
    """Seconds for ``epochs`` of W3 fit (8,000 rows, batch 10, shuffled) around ``step(x, t)``."""
    X, y = churn_data(8000, np.random.default_rng(0))
    order_rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        xs, ys = X[order], y[order]
        for s in range(0, len(X), 10):
            step(xs[s : s + 10], ys[s : s + 10])
    return time.perf_counter() - start


def _numpy_peer(keys, data, repeat, epochs) -> dict:
    out = {}
    if "W1" in keys:
        out["W1"] = statistics.median(timeit(lambda: w1_expression(np, data), repeat, 2, 1))
    if "W2" in keys:
        out["W2"] = statistics.median(timeit(lambda: numpy_w2(data), repeat, 2, 1))
    for key in ("W3-10", "W3-256", "W4"):
        if key in keys:
            x, t, params, head = _mlp_case(key)
            out[key] = statistics.median(timeit(lambda: numpy_mlp_step(x, t, params, np.float32(0.01), head), repeat))
    if "FIT" in keys:
        params = _mlp_case("W3-10")[2]
        out["FIT"] = _fit_loop(lambda x, t: numpy_mlp_step(x, t, params, np.float32(0.01), "sigmoid"), epochs)
    return out


def _jax_peer(keys, data, repeat, epochs) -> dict:
    import jax
    import jax.numpy as jnp

    def w1(x):
        return jax.nn.sigmoid(x * 1.7 + 0.3) * jnp.tanh(x) + jax.nn.softplus(x - 1)

    def mlp_loss(params, x, t, head):
        h = x
        for k in range(0, len(params) - 2, 2):
            h = jax.nn.relu(h @ params[k] + params[k + 1])
        z = h @ params[-2] + params[-1]
        if head == "sigmoid":
            z = z[:, 0]
            return jnp.mean(jax.nn.softplus(z) - z * t)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), t[:, None], 1))

    def make_step(head):
        @jax.jit
        def step(params, x, t):
            loss, grads = jax.value_and_grad(mlp_loss)(params, x, t, head)
            return loss, [p - 0.01 * g for p, g in zip(params, grads)]

        return step

    out = {}
    device_data = jnp.asarray(data) if data is not None else None
    for key, fn, reference in (("W1", jax.jit(w1), w1_expression), ("W2", jax.jit(jax.grad(lambda x: jnp.sum(w1(x)))), None)):
        if key in keys:
            verify(f"{key} (jax)", [np.asarray(fn(device_data))], [reference(np, data) if reference else numpy_w2(data)], rtol=1e-3, atol=1e-5)
            out[key] = statistics.median(timeit(lambda: fn(device_data).block_until_ready(), repeat, 2, 1))
    for key in ("W3-10", "W3-256", "W4"):
        if key in keys:
            x, t, params, head = _mlp_case(key)
            step = make_step(head)
            jparams, jx, jt = [jnp.asarray(p) for p in params], jnp.asarray(x), jnp.asarray(t)
            loss, _ = step(jparams, jx, jt)
            verify(f"{key} (jax)", [np.asarray(loss)], [np.float32(numpy_mlp_step(x, t, [p.copy() for p in params], np.float32(0.01), head))],
                   rtol=1e-3)
            out[key] = statistics.median(timeit(lambda: jax.block_until_ready(step(jparams, jx, jt)), repeat))
    if "FIT" in keys:
        step = make_step("sigmoid")
        state = {"params": [jnp.asarray(p) for p in _mlp_case("W3-10")[2]]}

        def fit_step(x, t):
            loss, state["params"] = step(state["params"], x, t)

        fit_step(*churn_data(10, np.random.default_rng(0)))  # compile
        out["FIT"] = _fit_loop(fit_step, epochs)
    return out


def _torch_step(params, head):
    """``step(x, t)``: the MLP step in PyTorch on ``params`` (tensors with requires_grad):
    autograd, then SGD in place; returns the loss. On whatever device the tensors are."""
    import torch
    import torch.nn.functional as F

    def step(x, t):
        h = x
        for k in range(0, len(params) - 2, 2):
            h = torch.relu(h @ params[k] + params[k + 1])
        z = h @ params[-2] + params[-1]
        if head == "sigmoid":
            loss = F.binary_cross_entropy_with_logits(z[:, 0], t)
        else:
            loss = F.cross_entropy(z, t)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= 0.01 * g
        return loss.detach()

    return step


def _torch_peer(keys, data, repeat, epochs) -> dict:
    """PyTorch in eager mode on the CPU (its default threads): autograd for W2 and the steps,
    SGD in place without autograd."""
    import torch
    import torch.nn.functional as F

    def w1(x):
        return torch.sigmoid(x * 1.7 + 0.3) * torch.tanh(x) + F.softplus(x - 1)

    def w2(x):
        x = x.detach().requires_grad_(True)
        w1(x).sum().backward()
        return x.grad

    def tensors(x, t, head):
        return torch.from_numpy(x), torch.from_numpy(t.astype(np.float32) if head == "sigmoid" else t.astype(np.int64))

    out = {}
    tdata = torch.from_numpy(data) if data is not None else None
    for key, fn, reference in (("W1", w1, lambda: w1_expression(np, data)), ("W2", w2, lambda: numpy_w2(data))):
        if key in keys:
            verify(f"{key} (torch)", [fn(tdata).detach().numpy()], [reference()], rtol=1e-3, atol=1e-5)
            out[key] = statistics.median(timeit(lambda: fn(tdata), repeat, 2, 1))
    for key in ("W3-10", "W3-256", "W4"):
        if key in keys:
            x, t, params, head = _mlp_case(key)
            expected = numpy_mlp_step(x, t, [p.copy() for p in params], np.float32(0.01), head)
            step = _torch_step([torch.tensor(p, requires_grad=True) for p in params], head)
            tx, tt = tensors(x, t, head)
            verify(f"{key} (torch)", [float(step(tx, tt))], [np.float32(expected)], rtol=1e-3)
            out[key] = statistics.median(timeit(lambda: step(tx, tt), repeat))
    if "FIT" in keys:
        step = _torch_step([torch.tensor(p, requires_grad=True) for p in _mlp_case("W3-10")[2]], "sigmoid")
        out["FIT"] = _fit_loop(lambda x, t: step(*tensors(x, t, "sigmoid")), epochs)
    return out


def _keras_peer(keys, data, repeat, epochs) -> dict:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    def model_for(key):
        x, t, params, head = _mlp_case(key)
        layers = [keras.Input((x.shape[1],))]
        layers += [keras.layers.Dense(p.shape[1], activation="relu") for p in params[0:-2:2]]
        layers.append(keras.layers.Dense(params[-2].shape[1], activation="sigmoid" if head == "sigmoid" else "softmax"))
        model = keras.Sequential(layers)
        model.set_weights(params)
        loss = "binary_crossentropy" if head == "sigmoid" else "sparse_categorical_crossentropy"
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, metrics=["accuracy"])
        return model, x, t

    out = {}
    for key in ("W3-10", "W3-256", "W4"):
        if key in keys:
            model, x, t = model_for(key)
            out[key] = statistics.median(timeit(lambda: model.train_on_batch(x, t), repeat))
    if "FIT" in keys:
        model, _, _ = model_for("W3-10")
        X, y = churn_data(8000, np.random.default_rng(0))
        model.fit(X[:100], y[:100], batch_size=10, epochs=1, verbose=0)  # compile
        start = time.perf_counter()
        model.fit(X, y, batch_size=10, epochs=epochs, verbose=0)
        out["FIT"] = time.perf_counter() - start
    return out


def _pytensor_peer(keys, data, repeat, epochs) -> dict:
    """PyTensor 3 with its Numba backend (``mode="NUMBA"``), float32 throughout."""
    os.environ.setdefault("PYTENSOR_FLAGS", "floatX=float32")
    import pytensor
    import pytensor.tensor as pt

    def w1(x):
        return pt.sigmoid(x * 1.7 + 0.3) * pt.tanh(x) + pt.softplus(x - 1)

    def compile_step(params, head):
        shared = [pytensor.shared(p.copy()) for p in params]
        x = pt.matrix("x", dtype="float32")
        t = pt.vector("t", dtype="int64" if head == "softmax" else "float32")
        h = x
        for k in range(0, len(shared) - 2, 2):
            h = pt.maximum(h @ shared[k] + shared[k + 1], 0)
        z = h @ shared[-2] + shared[-1]
        if head == "sigmoid":
            z = z[:, 0]
            loss = pt.mean(pt.softplus(z) - z * t)
        else:
            log_p = z - pt.logsumexp(z, axis=1, keepdims=True)
            loss = -pt.mean(log_p[pt.arange(t.shape[0]), t])
        grads = pytensor.grad(loss, shared)
        updates = [(s, s - np.float32(0.01) * g) for s, g in zip(shared, grads)]
        return pytensor.function([x, t], loss, updates=updates, mode="NUMBA")

    out = {}
    x = pt.vector("x", dtype="float32")
    for key, expr, reference in (("W1", w1(x), lambda: w1_expression(np, data)), ("W2", pytensor.grad(pt.sum(w1(x)), x), lambda: numpy_w2(data))):
        if key in keys:
            fn = pytensor.function([x], expr, mode="NUMBA")
            verify(f"{key} (pytensor)", [fn(data)], [reference()], rtol=1e-3, atol=1e-5)
            out[key] = statistics.median(timeit(lambda: fn(data), repeat, 2, 1))
    for key in ("W3-10", "W3-256", "W4"):
        if key in keys:
            x_, t, params, head = _mlp_case(key)
            step = compile_step(params, head)
            expected = numpy_mlp_step(x_, t, [p.copy() for p in params], np.float32(0.01), head)
            verify(f"{key} (pytensor)", [step(x_, t)], [np.float32(expected)], rtol=1e-3)
            out[key] = statistics.median(timeit(lambda: step(x_, t), repeat))
    if "FIT" in keys:
        step = compile_step(_mlp_case("W3-10")[2], "sigmoid")
        step(*churn_data(10, np.random.default_rng(0)))  # compile
        out["FIT"] = _fit_loop(step, epochs)
    return out


def call_overhead(repeat: int) -> dict:
    import symnet as sn

    x = sn.vector("x")
    f = sn.function([x], x + 1, target="cpu")
    a = np.ones(4, np.float32)
    ours = timeit(lambda: f(a), repeat)
    driver = f.native.module.run_serial
    base = statistics.median(timeit(lambda: driver(a), repeat))
    return row("call overhead (x + 1, 4 floats)", ours, "the generated driver called directly", base, key="CALL")


W5_SCRIPT = """
import time
start = time.perf_counter()
import numpy as np
from symnet.bench import churn_data, churn_params, churn_step_symnet
rng = np.random.default_rng(0)
X, y = churn_data(10, rng)
f = churn_step_symnet(churn_params(rng))
f(X, y)
print(time.perf_counter() - start)
"""


def w5_cold_warm() -> list:
    """First call of the W3 step in a fresh process: as after a fresh install (symnet's and
    Numba's caches empty), cold (a new graph: symnet's cache empty, Numba's filled by the
    first run, so symnet's own library routines are compiled), then warm (both filled)."""
    with tempfile.TemporaryDirectory() as install, tempfile.TemporaryDirectory() as cache:
        numba_cache = os.path.join(install, "numba")
        runs = [(install, numba_cache), (cache, numba_cache), (cache, numba_cache)]
        times = []
        for symnet_cache, numba_dir in runs:
            env = dict(os.environ, SYMNET_CACHE_DIR=symnet_cache, NUMBA_CACHE_DIR=numba_dir)
            done = subprocess.run([sys.executable, "-c", W5_SCRIPT], env=env, capture_output=True, text=True, check=True)
            times.append(float(done.stdout.strip().splitlines()[-1]))
    rows = []
    for key, label, seconds, target in (
        ("W5-install", "W5 first run after install (all caches empty)", times[0], 4.0),
        ("W5-cold", "W5 cold (fresh process, empty cache)", times[1], 1.5),
        ("W5-warm", "W5 warm (fresh process, cache filled)", times[2], 0.4),
    ):
        rows.append({"key": key, "workload": label, "symnet": seconds, "baseline": f"target {target} s", "baseline_time": target, "ratio": seconds / target})
    return rows


COMPILE_SCRIPT = """
import sys, time
import numpy as np
from symnet.bench import compile_model
model, X, y = compile_model(sys.argv[1])
start = time.perf_counter()
model.fit(X, y, batch_size=100, epochs=1, verbose=0)
print(time.perf_counter() - start)
"""


def compile_model(which: str) -> tuple:
    """(compiled model, X, y) for a COMPILE workload: ``mlp<L>`` (L tanh layers of width 32),
    ``lstm<T>`` (LSTM(16), a scan over T timesteps), ``keras_lstm`` (LSTM(64) → LSTM(32) →
    Dense(16) → Dense(2), 8 timesteps), ``lenet`` (LeNet-5 on 28×28 images);
    600 rows each, trained at batch 100."""
    from symnet import nn

    rng = np.random.default_rng(0)
    if which.startswith("mlp"):
        layers = [nn.Dense(32, activation="tanh", input_shape=(32,))]
        layers += [nn.Dense(32, activation="tanh") for _ in range(int(which[3:]) - 1)]
        model = nn.Sequential(layers + [nn.Dense(1, activation="sigmoid")])
        X = rng.standard_normal((600, 32)).astype(np.float32)
        y, loss = (X[:, 0] > 0).astype(np.float32), "binary_crossentropy"
    elif which.startswith("lstm"):
        steps = int(which[4:])
        model = nn.Sequential([nn.LSTM(16, input_shape=(steps, 8)), nn.Dense(1, activation="sigmoid")])
        X = rng.standard_normal((600, steps, 8)).astype(np.float32)
        y, loss = (X[:, 0, 0] > 0).astype(np.float32), "binary_crossentropy"
    elif which == "keras_lstm":
        # the keras-io LSTM model of BENCHMARKS.md's RNN workload (8 features: the example's
        # input width is not recorded)
        model = nn.Sequential([
            nn.LSTM(64, return_sequences=True, input_shape=(8, 8)), nn.LSTM(32),
            nn.Dense(16, activation="relu"), nn.Dense(2, activation="softmax"),
        ])
        X = rng.standard_normal((600, 8, 8)).astype(np.float32)
        y, loss = rng.integers(0, 2, 600), "sparse_categorical_crossentropy"
    elif which == "lenet":
        model = nn.Sequential([
            # channels first, as the figures recorded before Keras' channels-last default were
            nn.Conv2D(20, 5, activation="relu", input_shape=(1, 28, 28), data_format="channels_first"),
            nn.MaxPooling2D(2, data_format="channels_first"),
            nn.Conv2D(50, 5, activation="relu", data_format="channels_first"),
            nn.MaxPooling2D(2, data_format="channels_first"), nn.Flatten(),
            nn.Dense(500, activation="relu"), nn.Dense(10, activation="softmax"),
        ])
        X = rng.standard_normal((600, 1, 28, 28)).astype(np.float32)
        y, loss = rng.integers(0, 10, 600), "sparse_categorical_crossentropy"
    else:
        raise ValueError(f"unknown COMPILE model {which!r}: mlp<layers>, lstm<timesteps>, keras_lstm or lenet")
    model.compile(optimizer="sgd", loss=loss)
    return model, X, y


def first_epoch(which: str) -> float:
    """Seconds of the first epoch of ``which`` in a fresh process with empty symnet and
    Numba caches (compilation included)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SYMNET_CACHE_DIR=cache, NUMBA_CACHE_DIR=os.path.join(cache, "numba"))
        done = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT, which], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


# (model, the smaller model its growth is measured against, target ratio)
COMPILE_MODELS = (("mlp16", "mlp4", 1.5), ("lstm64", "lstm4", 1.2))


# LeNet-5's first epoch against 2× Keras 3 on JAX (3.2 s), the keras-io LSTM's against 3×
# Keras-JAX (3.3 s): BENCHMARKS.md, 2026-12-01; with Keras installed, run `--compare keras`
# for a same-run figure
LENET_TARGET = 2 * 3.2
KERAS_LSTM_TARGET = 3 * 3.3


def compile_growth(models=COMPILE_MODELS, quick: bool = False) -> list:
    """COMPILE: how the first epoch's time (almost all compilation) grows with the graph,
    and LeNet-5's first epoch against its target."""
    rows = []
    if not quick:
        lenet = first_epoch("lenet")
        rows.append({
            "key": "COMPILE-lenet", "workload": "COMPILE lenet first epoch, empty caches", "symnet": lenet,
            "baseline": "target: 2x Keras-JAX's 3.2 s", "baseline_time": LENET_TARGET, "ratio": lenet / LENET_TARGET,
        })
        lstm = first_epoch("keras_lstm")
        rows.append({
            "key": "COMPILE-keras_lstm", "workload": "COMPILE keras-io LSTM first epoch, empty caches", "symnet": lstm,
            "baseline": "target: 3x Keras-JAX's 3.3 s", "baseline_time": KERAS_LSTM_TARGET, "ratio": lstm / KERAS_LSTM_TARGET,
        })
    for big, small, target in models:
        if quick and big.startswith("lstm"):
            continue
        base, ours = first_epoch(small), first_epoch(big)
        rows.append({
            "key": f"COMPILE-{big}", "workload": f"COMPILE {big} first epoch, empty caches", "symnet": ours,
            "baseline": f"{small} in the same run (target ratio {target})", "baseline_time": base, "ratio": ours / base,
        })
    return rows


WORKLOADS = ("W1", "W2", "W3", "W4", "FIT", "CALL", "W5", "COMPILE", "RNN", "THEANO", "DIST")


def suite(quick: bool = False, workloads=WORKLOADS, size: int | None = None, progress=None) -> list:
    """Rows for ``workloads`` (W1 and W2 run together); ``size`` overrides W1/W2's length."""
    repeat = 7 if quick else 21
    n = size or (1_000_000 if quick else 10_000_000)
    say = progress or (lambda text: None)
    rows = []
    if "W1" in workloads or "W2" in workloads:
        say("W1/W2")
        rows += [r for r in w1_w2(n, repeat) if r["workload"].split()[0] in workloads]
    if "W3" in workloads:
        say("W3")
        rows += [w3_step(10, repeat), w3_step(256, repeat)]
    if "W4" in workloads:
        say("W4")
        rows.append(w4_step(repeat))
    if "FIT" in workloads:
        say("W3 fit")
        rows.append(w3_fit(epochs=5 if quick else 50))
    if "CALL" in workloads:
        say("call overhead")
        rows.append(call_overhead(repeat))
    if "W5" in workloads:
        say("W5 (two fresh processes)")
        rows += w5_cold_warm()
    if "COMPILE" in workloads:
        say("COMPILE (fresh processes, empty caches; minutes)")
        rows += compile_growth(quick=quick)
    if "RNN" in workloads:
        from symnet import bench_rnn

        say("RNN (a fresh process, then the step)")
        rows += bench_rnn.rows(repeat)
    if "THEANO" in workloads:
        from symnet import bench_theano

        say("THEANO (fresh processes, symnet.theano and pytensor)")
        rows += bench_theano.rows()
    if "DIST" in workloads:
        from symnet import bench_dist

        say("DIST (a Dask LocalCluster of 2 workers; one-process baselines in fresh processes)")
        rows += bench_dist.rows()
    return rows


def cuda_suite(quick: bool = False, size: int | None = None, workloads=("W1", "W2", "W4"), progress=None) -> list:
    """GPU rows: W1 and W2 on device arrays against the device's own copy bandwidth (a fused
    elementwise kernel reads and writes as much as a copy: ratio 1.25 is 80% of it), the W4
    step at batch 128 and 2048 against NumPy on the CPU and, where installed, PyTorch on the
    GPU. Under the simulator, shapes are tiny and times mean nothing (a smoke test)."""
    import symnet as sn
    from symnet.codegen import cudalib
    from numba import cuda

    say = progress or (lambda text: None)
    tiny = cudalib.SIMULATOR
    repeat = 3 if tiny else (7 if quick else 21)
    n = size or (256 if tiny else 1 << (24 if quick else 26))
    sync = cuda.synchronize
    rng = np.random.default_rng(0)
    data = rng.standard_normal(n).astype(np.float32)
    device_data, copy = cuda.to_device(data), cuda.device_array(n, np.float32)
    say("device copy bandwidth")
    copy_time = statistics.median(timeit(lambda: (copy.copy_to_device(device_data), sync()), repeat, 2, 1))
    rows = []
    x = sn.vector("x")
    y = w1_expression(sn, x)
    for label, out, reference in (("W1", y, lambda: w1_expression(np, data)), ("W2", sn.grad(sn.sum(y), x), lambda: numpy_w2(data))):
        if label not in workloads:
            continue
        say(f"GPU {label}")
        f = sn.function([x], out, target="cuda")
        f.device_outputs = True
        verify(f"GPU {label}", [f(device_data).copy_to_host()], [reference()], rtol=1e-3, atol=1e-5)
        ours = timeit(lambda: (f(device_data), sync()), repeat, 2, 1)
        gbps = 2 * data.nbytes / copy_time / 1e9
        rows.append(row(f"GPU {label} ({n:,} float32) vs device copy ({gbps:.0f} GB/s)", ours, "copy", copy_time, key=f"GPU-{label}"))
    sizes = (12, 8, 4) if tiny else W4_SIZES
    for batch in () if "W4" not in workloads else (8,) if tiny else (128, 2048):
        say(f"GPU W4 batch {batch}")
        rng = np.random.default_rng(0)
        X, t = rng.standard_normal((batch, sizes[0])).astype(np.float32), rng.integers(0, sizes[-1], batch)
        params = mlp_params(sizes, rng)
        f = w4_step_symnet(params, target="cuda")
        f.device_outputs = True
        base_params = [p.copy() for p in params]
        loss = f(X, t).copy_to_host()
        verify(f"GPU W4 batch {batch}", [loss], [np.float32(numpy_mlp_step(X, t, base_params, np.float32(0.01)))], rtol=1e-3)
        dX, dt = cuda.to_device(X), cuda.to_device(t)
        ours = timeit(lambda: (f(dX, dt), sync()), repeat, block=0.05)
        base = statistics.median(timeit(lambda: numpy_mlp_step(X, t, base_params, np.float32(0.01)), repeat, block=0.05))
        shape = "-".join(map(str, sizes))
        r = row(f"GPU W4 step, MLP {shape}, batch {batch}", ours, "numpy (CPU)", base, key=f"GPU-W4-{batch}")
        torch_time = _torch_cuda_step(X, t, params, repeat)
        if torch_time:
            r["baseline"] += f"; torch CUDA {format_time(torch_time)} (ratio {r['symnet'] / torch_time:.2f}, target 1.5)"
        rows.append(r)
    return rows


def _torch_cuda_step(x, t, params, repeat: int) -> float | None:
    """Median seconds of the W4 step in PyTorch on the GPU, or None without torch or CUDA."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    step = _torch_step([torch.tensor(p, device="cuda", requires_grad=True) for p in params], "softmax")
    tx, tt = torch.tensor(x, device="cuda"), torch.tensor(t, device="cuda")
    return statistics.median(timeit(lambda: (step(tx, tt), torch.cuda.synchronize()), repeat, block=0.05))


def print_table(rows: list, peers: dict | None = None) -> None:
    """The table; with ``peers`` ({peer: {key: seconds}}), a column per peer with its time
    and symnet's ratio to it."""
    peers = peers or {}
    head = f"{'workload':44} {'symnet':>10} {'min-max':>19} {'baseline':>10}  {'ratio':>6}"
    head += "".join(f"  {name + ' (ratio)':>18}" for name in peers)
    print(head + "  baseline")
    for r in rows:
        spread = f"{format_time(r['symnet_min'])}-{format_time(r['symnet_max'])}" if "symnet_min" in r else ""
        line = f"{r['workload']:44} {format_time(r['symnet']):>10} {spread:>19} {format_time(r['baseline_time']):>10}  {r['ratio']:6.2f}"
        for figures in peers.values():
            t = figures.get(r.get("key", ""))
            cell = f"{format_time(t)} ({r['symnet'] / t:.2f})" if t else "-"
            line += f"  {cell:>18}"
        print(line + f"  {r['baseline']}")


def plot(rows: list, peers: dict, path: str) -> None:
    """A bar chart of symnet's time over each baseline and peer (below 1: symnet is faster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["baseline", *peers]
    fig, ax = plt.subplots(figsize=(max(6, len(rows) * 1.1), 4))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        ratios = [r["ratio"] if name == "baseline" else r["symnet"] / peers[name].get(r.get("key", ""), float("nan")) for r in rows]
        ax.bar([i + k * width for i in range(len(rows))], ratios, width, label=name if name != "baseline" else "same-run baseline")
    ax.axhline(1, color="black", linewidth=0.8)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))])
    ax.set_xticklabels([r.get("key") or r["workload"].split()[0] for r in rows])
    ax.set_yscale("log")
    ax.set_ylabel("symnet time / other time")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m symnet bench", description=__doc__)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help=f"any of {' '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller W1/W2 and fewer repeats")
    parser.add_argument("--size", type=int, help="W1/W2 length (default 10,000,000; 1,000,000 with --quick)")
    parser.add_argument("--compare", metavar="PEERS", default="",
                        help=f"comma-separated peers, each timed in its own process where installed: {','.join(PEERS)}")
    parser.add_argument("--json", metavar="FILE", help="also save the rows and the machine as JSON")
    parser.add_argument("--plot", metavar="FILE", help="save a bar chart of the ratios (needs matplotlib)")
    parser.add_argument("--target", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: the GPU workloads (W1, W2 against the device's copy bandwidth; W4 steps)")
    parser.add_argument("--peer", help=argparse.SUPPRESS)  # internal: run one peer in this process
    args = parser.parse_args(argv)
    if args.peer:
        keys = args.workloads or list(PEER_KEYS)
        figures = peer_suite(args.peer, keys, args.quick, args.size)
        with open(args.json, "w") as f:
            json.dump(figures, f)
        return 0
    chosen = [w.upper() for w in args.workloads] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    peers = [p.strip() for p in args.compare.split(",") if p.strip()]
    unknown += [p for p in peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown workload or peer {', '.join(unknown)}; workloads: {' '.join(WORKLOADS)}; peers: {','.join(PEERS)}")
    say = lambda text: print(f"running {text} ...", file=sys.stderr)  # noqa: E731
    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), file=sys.stderr)
    if args.target == "cuda":
        rows = cuda_suite(args.quick, args.size, [w for w in chosen if w in ("W1", "W2", "W4")], progress=say)
    else:
        rows = suite(args.quick, chosen, args.size, progress=say)
    keys = [r["key"] for r in rows if r.get("key") in PEER_KEYS]
    figures = run_peers(peers, keys, args.quick, args.size, say) if peers and keys else {}
    print_table(rows, figures)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "rows": rows, "peers": figures}, f, indent=2)
    if args.plot:
        plot(rows, figures, args.plot)
        print(f"plot saved to {args.plot}", file=sys.stderr)
    return 0


def roofline() -> dict:
    """What this machine can do, measured with NumPy: memory bandwidth (a 64 MB copy, read
    and write counted) and BLAS float32 GFLOP/s (a 1024² matrix product)."""
    a = np.ones(16 << 20, np.float32)
    b = np.empty_like(a)
    copy = statistics.median(timeit(lambda: np.copyto(b, a), 5, 1, 1))
    m = np.ones((1024, 1024), np.float32)
    product = statistics.median(timeit(lambda: m @ m, 5, 1, 1))
    return {"memory GB/s": round(2 * a.nbytes / copy / 1e9, 1), "BLAS GFLOP/s": round(2 * 1024**3 / product / 1e9, 1)}


def machine() -> dict:
    import numba

    cpu, simd = "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        cpu = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), cpu)
        flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
        simd = [name for name in ("avx512f", "avx2", "neon") if name in flags]
    except OSError:
        import platform

        cpu = platform.processor() or cpu
    return {
        "cpu": cpu,
        "simd": " ".join(simd) or "-",
        "python": sys.version.split()[0],
        "numba": numba.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "threads": numba.get_num_threads(),
        **roofline(),
    }


__all__ = ["BenchResult", "Profile", "WORKLOADS", "bench", "main", "profile", "suite"]
