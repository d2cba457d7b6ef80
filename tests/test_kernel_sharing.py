"""Kernels are the unit of compilation: a kernel's module depends on the kernel alone, so
identical kernels (in one graph, in two graphs, in two processes) are compiled once."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

import symnet as sn

# two different graphs that both contain the region tanh(x * W + b) over a (?, 3) space
LAYER = """
    import numpy as np, symnet as sn
    x = sn.matrix("x")
    W = sn.shared(np.full((3,), 0.5, "float32"), name="W")
    b = sn.shared(np.zeros(3, "float32"), name="b")
    h = sn.tanh(x * W + b)
"""


def _layer():
    x = sn.matrix("x")
    W = sn.shared(np.full((3,), 0.5, "float32"), name="W")
    b = sn.shared(np.zeros(3, "float32"), name="b")
    return x, W, b, sn.tanh(x * W + b)


def _modules(f) -> dict:
    return {m.__name__: m for m in f.native.module.KERNEL_MODULES}


def _run(script: str, cache) -> str:
    """The stdout of ``script`` in a fresh process whose symnet and Numba caches are in ``cache``
    (a warm cache would load the kernels instead of compiling them)."""
    env = dict(os.environ, SYMNET_CACHE_DIR=str(cache))
    env.pop("NUMBA_CACHE_DIR", None)  # Numba's files beside the modules, in that folder
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_kernel_two_graphs_share_is_compiled_once(tmp_path):
    script = LAYER + """
    f = sn.function([x], h)
    M = sn.shared(np.ones((3, 2), "float32"))
    g = sn.function([x], [h, sn.sum(h @ M)])
    (name,) = {m.__name__ for m in f.native.module.KERNEL_MODULES} & {m.__name__ for m in g.native.module.KERNEL_MODULES}
    (kernel,) = [m for m in g.native.module.KERNEL_MODULES if m.__name__ == name]
    X = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
    f(X)
    after_f = len(kernel.serial.overloads)
    out = g(X)
    assert np.allclose(out[0], np.tanh(X * 0.5), rtol=1e-6)
    print(after_f, len(kernel.serial.overloads))
    """
    # one module (the name is the text's hash), compiled for f; g's driver used that compilation
    assert _run(script, tmp_path).split() == ["1", "1"]


def test_repeated_layers_add_no_kernel_modules():
    def step(layers: int):
        x = sn.matrix("x")
        h, params = x, []
        for k in range(layers):
            W = sn.shared(np.full((4, 4), 0.1 * (k + 1), "float32"), name=f"W{k}")
            b = sn.shared(np.zeros(4, "float32"), name=f"b{k}")
            params += [W, b]
            h = sn.tanh(h @ W + b)
        loss = sn.mean(h)
        grads = sn.grad(loss, params)
        return sn.function([x], loss, updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)])

    small, big = step(2), step(6)
    assert len(big.kernels) > len(small.kernels) + 8
    # the third and later layers repeat the second layer's kernels
    assert set(_modules(big)) == set(_modules(small))
    X = np.ones((5, 4), "float32")
    assert np.isfinite(big(X)) and np.isfinite(small(X))


def test_kernels_cached_in_one_process_are_loaded_by_another(tmp_path):
    first = LAYER + """
    f = sn.function([x], h)
    f(np.ones((2, 3), "float32"))
    """
    second = LAYER + """
    import json
    M = sn.shared(np.ones((3, 2), "float32"))
    g = sn.function([x], [h, h @ M])  # another graph: its driver is new, the tanh kernel is not
    g(np.ones((2, 3), "float32"))
    stats = {m.__name__: (sum(m.serial.stats.cache_hits.values()), sum(m.serial.stats.cache_misses.values()))
             for m in g.native.module.KERNEL_MODULES}
    print(json.dumps(stats))
    """
    _run(first, tmp_path)
    stats = json.loads(_run(second, tmp_path))
    assert list(stats.values()) == [[1, 0]]  # the tanh kernel came from Numba's cache
