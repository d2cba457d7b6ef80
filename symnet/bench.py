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
        reference = sn.function(graph.inputs, graph.outputs, target="interp")
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
    from codegen.build import PARALLEL_INPUT_ELEMENTS, build_profiled
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


def w1_w2(n: int, repeat: int) -> list:
    import symnet as sn

    rng = np.random.default_rng(0)
    data = rng.standard_normal(n).astype(np.float32)
    x = sn.vector("x")
    y = w1_expression(sn, x)
    f1 = sn.function([x], y, target="cpu")
    f2 = sn.function([x], sn.grad(sn.sum(y), x), target="cpu")

    def numpy_w2(x):
        z = x * np.float32(1.7) + np.float32(0.3)
        s = 1 / (1 + np.exp(-z))
        t = np.tanh(x)
        return np.float32(1.7) * s * (1 - s) * t + s * (1 - t * t) + 1 / (1 + np.exp(-(x - np.float32(1))))

    rows = []
    for label, f, reference in (("W1", f1, lambda: w1_expression(np, data)), ("W2", f2, lambda: numpy_w2(data))):
        verify(label, [f(data)], [reference()])
        ours = statistics.median(timeit(lambda: f(data), repeat, 2, 1))
        base = statistics.median(timeit(reference, repeat, 2, 1))
        rows.append(row(f"{label} ({n:,} float32)", ours, "numpy", base))
    return rows


def verify(workload: str, got: list, expected: list, rtol: float = 2e-4, atol: float = 1e-6) -> None:
    """Refuse to time a wrong answer: symnet's results must match the baseline's."""
    for k, (g, e) in enumerate(zip(got, expected)):
        if np.shape(g) != np.shape(e) or not np.allclose(g, e, rtol=rtol, atol=atol):
            error = np.max(np.abs(np.asarray(g, np.float64) - e)) if np.shape(g) == np.shape(e) else "shape"
            raise RuntimeError(f"{workload}: result {k} differs from the baseline (max error {error}); not timing it")


def row(workload: str, ours: float, baseline_name: str, baseline: float) -> dict:
    return {
        "workload": workload,
        "symnet": ours,
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


def churn_step_symnet(params: list, lr: float = 0.01):
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
    return sn.function([x, t], loss, updates=[(s, s - lr * g) for s, g in zip(shared, grads)], target="cpu")


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
    ours = statistics.median(timeit(lambda: f(X, y), repeat))
    base = statistics.median(timeit(lambda: hand(X, y, *hand_params, lr), repeat))
    return row(f"W3 step, batch {batch}", ours, "hand-written @njit step", base)


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
    ours = statistics.median(timeit(lambda: model.fit(X, y, batch_size=batch, epochs=epochs, verbose=0), 3, warmup=0, number=1))
    base = statistics.median(timeit(hand_fit, 3, warmup=0, number=1))
    return row(f"W3 fit, {epochs} epochs of {rows} rows, batch {batch}", ours, "Python loop over the hand-written step", base)


def call_overhead(repeat: int) -> dict:
    import symnet as sn

    x = sn.vector("x")
    f = sn.function([x], x + 1, target="cpu")
    a = np.ones(4, np.float32)
    ours = statistics.median(timeit(lambda: f(a), repeat))
    driver = f.native.module.run_serial
    base = statistics.median(timeit(lambda: driver(a), repeat))
    return row("call overhead (x + 1, 4 floats)", ours, "the generated driver called directly", base)


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
    """First call of the W3 step in a fresh process: empty cache, then filled cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SYMNET_CACHE_DIR=cache)
        times = []
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", W5_SCRIPT], env=env, capture_output=True, text=True, check=True)
            times.append(float(done.stdout.strip().splitlines()[-1]))
    return [
        {"workload": "W5 cold (fresh process, empty cache)", "symnet": times[0], "baseline": "target 1.5 s", "baseline_time": 1.5, "ratio": times[0] / 1.5},
        {"workload": "W5 warm (fresh process, cache filled)", "symnet": times[1], "baseline": "target 0.4 s", "baseline_time": 0.4, "ratio": times[1] / 0.4},
    ]


WORKLOADS = ("W1", "W2", "W3", "FIT", "CALL", "W5")


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
    if "FIT" in workloads:
        say("W3 fit")
        rows.append(w3_fit(epochs=5 if quick else 50))
    if "CALL" in workloads:
        say("call overhead")
        rows.append(call_overhead(repeat))
    if "W5" in workloads:
        say("W5 (two fresh processes)")
        rows += w5_cold_warm()
    return rows


def print_table(rows: list) -> None:
    print(f"{'workload':44} {'symnet':>10} {'baseline':>10}  {'ratio':>6}  baseline")
    for r in rows:
        print(
            f"{r['workload']:44} {format_time(r['symnet']):>10} {format_time(r['baseline_time']):>10}  "
            f"{r['ratio']:6.2f}  {r['baseline']}"
        )


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m symnet bench", description=__doc__)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help=f"any of {' '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller W1/W2 and fewer repeats")
    parser.add_argument("--size", type=int, help="W1/W2 length (default 10,000,000; 1,000,000 with --quick)")
    parser.add_argument("--json", metavar="FILE", help="also save the rows and the machine as JSON")
    args = parser.parse_args(argv)
    chosen = [w.upper() for w in args.workloads] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {' '.join(WORKLOADS)}")
    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), file=sys.stderr)
    rows = suite(args.quick, chosen, args.size, progress=lambda text: print(f"running {text} ...", file=sys.stderr))
    print_table(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "rows": rows}, f, indent=2)
    return 0


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
    }


__all__ = ["BenchResult", "Profile", "WORKLOADS", "bench", "main", "profile", "suite"]
