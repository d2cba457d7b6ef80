"""symnet/codegen/vecmath.py against higher-precision references: every function and dtype over
dense sweeps (random points across the domain, log-spaced magnitudes, a stride through
all float32 bit patterns of [1/256, 256)) and the special values, within ``ULP_BOUNDS``;
and the generated W1 kernel is vectorized."""

import math

import numba
import numpy as np
import pytest

import symnet as sn
from symnet.codegen import vecmath

LONG = np.finfo(np.longdouble).nmant >= 63  # x86 extended precision: a float64 reference


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(np.longdouble(0), x)


# reference (on long double arrays) and the interval the random sweep covers
FUNCTIONS = {
    "exp": (np.exp, (-750, 720)),
    "expm1": (np.expm1, (-60, 720)),
    "log": (np.log, (0, 1e30)),
    "log1p": (np.log1p, (-1, 1e10)),
    "tanh": (np.tanh, (-25, 25)),
    "sigmoid": (_logistic, (-800, 800)),
    "softplus": (_softplus, (-800, 800)),
    "erf": (None, (-8, 8)),
}
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 2.0, 1e-40, -1e-40, 5e-324, 1e-310, 88.7, -87.3, 709.7, -745.0]


def _kernel(fn):
    @numba.njit(fastmath={"contract"}, error_model="numpy")
    def apply(x, out):
        for i in range(x.shape[0]):
            out[i] = fn(x[i])

    return apply


KERNELS = {name: _kernel(getattr(vecmath, name)) for name in FUNCTIONS}


def sweep(dtype, lo, hi, n=400_000) -> np.ndarray:
    rng = np.random.default_rng(7)
    sign = rng.choice([-1.0, 1.0], n)
    parts = [
        rng.uniform(lo, hi, n),
        rng.uniform(-6, 6, n),
        sign * np.exp(rng.uniform(-745 if dtype == np.float64 else -104, 709 if dtype == np.float64 else 88, n)),
        sign * np.exp(rng.uniform(-20, 4, n)),
        np.array(SPECIAL),
    ]
    with np.errstate(over="ignore", under="ignore"):
        x = np.concatenate(parts).astype(dtype)
    if dtype == np.float32:  # every 61st float32 in ±[1/256, 256): 1.1M points
        bits = np.arange(np.float32(1 / 256).view(np.int32), np.float32(256).view(np.int32), 61, dtype=np.int32)
        x = np.concatenate([x, bits.view(np.float32), -bits.view(np.float32)])
    return x


def reference(name, x):
    if name == "erf":
        if x.dtype == np.float32:
            from scipy.special import erf

            return erf(x.astype(np.float64)).astype(np.longdouble)
        import mpmath

        with mpmath.workdps(30):
            return np.array([np.longdouble(mpmath.nstr(mpmath.erf(float(v)), 25)) if np.isfinite(v) else np.sign(v) * (v == v) or v for v in x])
    with np.errstate(all="ignore"):
        return FUNCTIONS[name][0](x.astype(np.longdouble))


def ulp_errors(got, ref, dtype):
    """|got - ref| in units in the last place of ref rounded to dtype; exact matches
    (including inf and nan where the reference has them) count 0."""
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        err = np.abs(got.astype(np.longdouble) - ref) / np.spacing(np.abs(rounded)).astype(np.longdouble)
        same = (got == rounded) | (np.isnan(got) & np.isnan(rounded))
    err[same] = 0
    err[np.isnan(err)] = np.inf  # a nan or inf where the reference is finite, or vice versa
    return err


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_accuracy_within_bound(name, dtype):
    if dtype == np.float64 and not LONG and name != "erf":
        pytest.skip("no extended-precision long double on this platform for a float64 reference")
    x = sweep(dtype, *FUNCTIONS[name][1])
    if name == "erf" and dtype == np.float64:  # mpmath is slow: a random 20,000 of them
        x = np.concatenate([np.random.default_rng(3).choice(x, 20_000), np.array(SPECIAL)])
    got = np.empty_like(x)
    KERNELS[name](x, got)
    err = ulp_errors(got, reference(name, x), dtype)
    worst = int(np.argmax(err))
    bound = vecmath.ULP_BOUNDS[name][np.dtype(dtype).name]
    assert err[worst] <= bound, f"{name}({x[worst]!r}) = {got[worst]!r}: {err[worst]:.2f} ulp > {bound}"


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_signed_zero_and_integer_arguments(name):
    odd = name in ("expm1", "log1p", "tanh", "erf")
    x = np.array([-0.0], np.float64)
    got = np.empty_like(x)
    KERNELS[name](x, got)
    if odd:  # f(-0) = -0 for the odd functions that start like x
        assert got[0] == 0 and math.copysign(1, got[0]) == -1
    ints = np.array([0, 1, 2, 3], np.int64)
    out = np.empty(4, np.float64)
    KERNELS[name](ints, out)
    with np.errstate(divide="ignore"):
        want = reference(name, ints.astype(np.float64)).astype(np.float64)
    np.testing.assert_allclose(out, want, rtol=1e-15)


def test_w1_kernel_is_vectorized_and_libm_is_a_setting():
    x = sn.vector("x")
    y = sn.sigmoid(x * 1.7 + 0.3) * sn.tanh(x) + sn.softplus(x - 1)
    f = sn.function([x], y)
    assert "vm.sigmoid" in f.source and "math." not in f.kernels[0].source
    v = np.linspace(-30, 30, 1001, dtype=np.float32)
    f(v)
    ir = f.llvm_ir()
    assert " x float>" in ir, "the fused W1 loop did not vectorize"
    sn.config.fast_math = False
    try:
        g = sn.function([x], y)
    finally:
        sn.config.fast_math = True
    assert "vm." not in g.source and "math.exp" in g.source
    np.testing.assert_allclose(f(v), g(v), rtol=1e-6, atol=1e-6)  # W1 cancels near x = -2.2
