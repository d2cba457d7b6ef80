"""PTX of generated CUDA kernels, compiled without a GPU where NVVM is installed (the CUDA
toolkit, or ``pip install "cuda-toolkit[nvvm]==13.*"``): float32 graphs stay float32, and
reductions use shared memory and barriers; sn.config.cuda_fast_math switches division to
the approximate instruction. ``compile_ptx`` does not work under the
simulator, so the check runs in its own process."""

import os
import subprocess
import sys
import textwrap

import pytest

# Every check starts here: without NVVM and NVRTC it prints SKIP and stops.
PROBE = textwrap.dedent(
    """
    from numba import cuda, types

    def probe(a):
        a[0] = 1.0

    try:
        cuda.compile_ptx(probe, (types.float32[:],), cc=(8, 0))
    except Exception as error:
        print("SKIP", type(error).__name__, str(error).splitlines()[0][:150])
        raise SystemExit(0)
    """
)


def run_check(script: str) -> None:
    """Run ``PROBE + script`` with the simulator off; skip where PTX cannot be made."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    done = subprocess.run([sys.executable, "-c", PROBE + script], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    if done.stdout.startswith("SKIP"):
        pytest.skip(f"no NVVM here: {done.stdout.strip()[:200]}")
    assert done.stdout.startswith("OK")


CHECK = textwrap.dedent(
    """
    import numpy as np
    import symnet as sn
    from symnet.bench import mlp_params, w4_step_symnet

    step = w4_step_symnet(mlp_params([12, 10, 4], np.random.default_rng(0)), target="cuda")
    ptx = step.asm()
    kernels = ptx.count("// ---- ")
    assert kernels == len(step.kernels) >= 4, kernels
    assert ".f64" not in ptx, "a float32 train step has float64 instructions"
    reduction = next(k.name for k in step.kernels if k.kind == "reduction")
    text = ptx.split("// ---- " + reduction)[1].split("// ---- ")[0]
    assert ".shared" in text and "bar.sync" in text
    a, b = sn.vector("a"), sn.vector("b")
    precise = sn.function([a, b], a / b, target="cuda").asm()
    sn.config.cuda_fast_math = True
    fast = sn.function([a, b], a / b, target="cuda").asm()
    assert "div.rn.f32" in precise and "div.rn.f32" not in fast and "div.approx" in fast, fast
    print("OK", kernels)
    """
)


def test_ptx_of_a_float32_train_step():
    run_check(CHECK)


LIBRARY = textwrap.dedent(
    """
    import types as pytypes
    from numba import types as T
    import numba.cuda.api as api
    import numba.cuda.dispatcher as dispatcher
    from symnet.codegen import cudalib as L

    # kernels that call device functions ask for the current device's compute capability
    device = pytypes.SimpleNamespace(compute_capability=(8, 0))
    for module in (api, dispatcher):
        if hasattr(module, "get_current_device"):
            module.get_current_device = lambda: device
    A = lambda dt, nd: T.Array(dt, nd, "A")
    f, i = T.float32, T.int64
    conv = (A(f, 4), A(f, 4), i, i, i, i, f, A(f, 4))
    kernels = {
        "_take_rows_kernel": (A(f, 2), A(i, 1), A(f, 2), A(T.int32, 1)),
        "_take_rows_grad_kernel": (A(i, 1), A(f, 2), A(f, 2)),
        "_take_along_kernel": (A(f, 3), A(i, 3), A(f, 3), A(T.int32, 1)),
        "_take_along_grad_kernel": (A(i, 3), A(f, 3), A(f, 3)),
        "_one_hot_kernel": (A(i, 1), A(f, 2)),
        "_argmax_kernel": (A(f, 3), A(i, 2)),
        "_zero_kernel": (A(f, 1),),
        "_conv2d_kernel": conv,
        "_conv2d_grad_input_kernel": conv,
        "_conv2d_grad_weight_kernel": conv,
        "_pool2d_kernel": (A(f, 4), i, i, i, i, T.boolean, f, A(f, 4)),
        "_pool2d_grad_kernel": (A(f, 4), A(f, 4), i, i, i, i, T.boolean, f, A(f, 4)),
    }
    for name, signature in kernels.items():
        ptx = cuda.compile_ptx(getattr(L, name).py_func, signature, cc=(8, 0))[0]
        assert ".f64" not in ptx, name
    matmul = L._matmul_kernel(__import__("numpy").float32)
    assert ".shared" in cuda.compile_ptx(matmul.py_func, (A(f, 2), A(f, 2), A(f, 2)), cc=(8, 0))[0]
    cuda.compile_ptx(L._random_uniform_kernel.py_func, (T.uint64, A(i, 1), T.boolean, A(f, 1)), cc=(8, 0))
    print("OK", len(kernels) + 2)
    """
)


def test_ptx_of_the_cuda_library():
    run_check(LIBRARY)
