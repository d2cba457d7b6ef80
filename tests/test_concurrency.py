"""Processes sharing one cache folder: 8 compile and run the same and different graphs at
once while another keeps pruning and clearing the folder. Every result is right and
nothing is left half-written (a module that does not parse, an entry that does not load)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

WORKER = """
    import json, sys
    import numpy as np, symnet as sn
    k = int(sys.argv[1])
    scale = 1.0 + k % 3  # three different graphs, each compiled by several processes at once
    x = sn.matrix("x", "float64")
    w = sn.shared(np.linspace(-1, 1, 4), name="w")
    loss = sn.mean(sn.tanh(x @ w * scale) ** 2) + sn.sum(sn.softmax(x, axis=1)[:, 0])
    g = sn.grad(loss, w)
    f = sn.function([x], [loss, g], updates=[(w, w - 0.1 * g)])
    X = np.arange(12.0).reshape(3, 4) / 10
    print(json.dumps({"k": k, "values": [np.asarray(v).tolist() for v in f(X)], "w": w.get_value().tolist()}))
"""

PRUNER = """
    import subprocess, sys, time, os
    stop, cycles = sys.argv[1], 0
    while not os.path.exists(stop):
        for action in ("--prune", "--clear"):
            subprocess.run([sys.executable, "-m", "symnet", "cache", action], check=True, capture_output=True)
        cycles += 1
        time.sleep(0.05)
    print(cycles)
"""


def _expected(k: int):
    scale = 1.0 + k % 3
    X = np.arange(12.0).reshape(3, 4) / 10
    w = np.linspace(-1, 1, 4)
    t = np.tanh(X @ w * scale)
    e = np.exp(X - X.max(axis=1, keepdims=True))
    loss = np.mean(t**2) + np.sum(e[:, 0] / e.sum(axis=1))
    g = X.T @ (2 * t * (1 - t**2) * scale) / len(X)
    return loss, g, w - 0.1 * g


def test_eight_processes_and_a_pruner_share_one_cache_folder(tmp_path):
    cache = tmp_path / "cache"
    (tmp_path / "worker.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "pruner.py").write_text(textwrap.dedent(PRUNER))
    stop = tmp_path / "stop"
    env = dict(os.environ, SYMNET_CACHE_DIR=str(cache), SYMNET_CACHE_MAX_MB="0")
    env.pop("NUMBA_CACHE_DIR", None)  # Numba's files sit beside the modules, where the pruner reaches them
    pruner = subprocess.Popen([sys.executable, str(tmp_path / "pruner.py"), str(stop)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        workers = [
            subprocess.Popen([sys.executable, str(tmp_path / "worker.py"), str(k)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=dict(env, SYMNET_COMPILE_WORKERS="1" if k < 2 else "0"))
            for k in range(8)
        ]
        done = [w.communicate(timeout=600) for w in workers]
    finally:
        stop.write_text("")
        cycles = pruner.communicate(timeout=120)[0]
    assert pruner.returncode == 0 and int(cycles) >= 2, "the folder was not cleared while the workers ran"
    for k, (w, (out, err)) in enumerate(zip(workers, done)):
        assert w.returncode == 0, f"worker {k}:\n{err}"
        report = json.loads(out.strip().splitlines()[-1])
        loss, g, w_new = _expected(k)
        np.testing.assert_allclose(report["values"][0], loss, rtol=1e-12)
        np.testing.assert_allclose(report["values"][1], g, rtol=1e-12)
        np.testing.assert_allclose(report["w"], w_new, rtol=1e-12)
    # what the folder holds now was written whole
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".tmp_")]
    for p in files:
        if p.suffix == ".py":
            compile(p.read_text(), str(p), "exec")
        elif p.suffix == ".json":
            assert "key" in json.loads(p.read_text())
