"""Helper processes compile launched routines into Numba's cache while the driver compiles;
the driver loads what they made, and compiles here whatever they cannot."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from numba import types

from symnet.codegen.compile_pool import decode, encode

# a module as the cache holds generated ones: one routine writing its output
SOURCE = """import numba


@numba.njit(cache=True)
def serial(x, out):
    for i in range(x.shape[0]):
        out[i] = x[i] * 2.0
"""
PRELUDE = f"""
    import json, time
    import numpy as np
    from numba import types
    from symnet.codegen import cache, compile_pool
    from symnet.codegen.compile_pool import _POOL

    module, _ = cache.load({SOURCE!r}, "cpu")
    argtypes = (types.float64[::1], types.float64[::1])
    key = (module.__name__, "serial", argtypes)
"""


def _run(script: str, cache, workers: str = "1") -> dict:
    env = dict(os.environ, SYMNET_CACHE_DIR=str(cache), SYMNET_COMPILE_WORKERS=workers)
    env.pop("NUMBA_CACHE_DIR", None)  # Numba's files beside the modules, in that folder
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(PRELUDE + script)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_helper_compiles_a_launched_routine_into_the_cache_this_process_loads(tmp_path):
    out = _run("""
    compile_pool.prefetch(module.serial, argtypes)
    while key in _POOL.queue:  # until a helper has taken it (else the caller would compile it)
        time.sleep(0.01)
    compile_pool.wait(*key)
    module.serial.compile(argtypes)
    x = np.arange(3.0)
    y = np.empty(3)
    module.serial(x, y)
    print(json.dumps({"hits": sum(module.serial.stats.cache_hits.values()), "y": y.tolist(), "helpers": len(_POOL.helpers)}))
    """, tmp_path)
    assert out == {"hits": 1, "y": [0.0, 2.0, 4.0], "helpers": 1}  # a hit in a fresh cache: the helper's


def test_a_dead_helper_leaves_compiling_here(tmp_path):
    out = _run("""
    assert _POOL.start()
    for helper in _POOL.helpers:
        helper.process.kill()
        helper.process.wait()
    compile_pool.prefetch(module.serial, argtypes)
    while not _POOL.broken:  # the pool finds out when it hands the routine over
        time.sleep(0.01)
    compile_pool.wait(*key)
    y = np.empty(2)
    module.serial(np.ones(2), y)
    print(json.dumps({"y": y.tolist(), "misses": sum(module.serial.stats.cache_misses.values())}))
    """, tmp_path)
    assert out == {"y": [2.0, 2.0], "misses": 1}


def test_no_helpers_when_workers_is_zero(tmp_path):
    out = _run("""
    compile_pool.prefetch(module.serial, argtypes)
    print(json.dumps({"helpers": len(_POOL.helpers), "queued": len(_POOL.queue)}))
    """, tmp_path, workers="0")
    assert out == {"helpers": 0, "queued": 0}


@pytest.mark.parametrize("t", [
    types.float32[:, ::1], types.int64[::1], types.Array(types.boolean, 3, "A", readonly=True), types.int64,
    types.float64, types.UniTuple(types.int64, 3), types.uint8,
])
def test_argument_types_go_to_helpers_as_json_and_back(t):
    assert decode(json.loads(json.dumps(encode(t)))) == t


def test_types_helpers_cannot_take_are_not_sent():
    assert encode(types.pyobject) is None and encode(types.Tuple((types.int64, types.float32))) is None
