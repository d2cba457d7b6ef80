"""Vectorizable transcendental math for generated CPU kernels: exp, expm1, log, log1p, tanh,
sigmoid, softplus and erf for float32 and float64, written as range reduction + polynomial
without branches, so LLVM widens the fused loop to SIMD (the Numba wheels have no SVML: a
``math.exp`` call is a scalar libm call that stops the vectorizer).

Each function is a Numba overload, inlined at its call site and specialized per dtype with
typed constants. Special values (±inf, nan, overflow, underflow, denormals, -0.0) are
selected at the end, not branched on. ``ULP_BOUNDS`` holds the accuracy bounds that
tests/test_vecmath.py enforces. The functions are callable from compiled code only.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from numba import types
from numba.extending import overload

# Bounds on the error in units in the last place of the correctly rounded result, enforced
# by tests/test_vecmath.py over ~6M float32 / 1.6M float64 points each (random across the
# domain, log-spaced magnitudes, a stride through all float32 patterns, special values).
# Largest errors measured there (2026-11-25): exp 0.94/0.85, expm1 1.41/1.77, log 0.80/0.79,
# log1p 1.44/1.42, tanh 2.48/2.50, sigmoid 2.29/2.29, softplus 1.95/1.84, erf 2.41/1.42.
ULP_BOUNDS = {
    "exp": {"float32": 1, "float64": 1},
    "expm1": {"float32": 2, "float64": 2},
    "log": {"float32": 1, "float64": 1},
    "log1p": {"float32": 2, "float64": 2},
    "tanh": {"float32": 3, "float64": 3},
    "sigmoid": {"float32": 3, "float64": 3},
    "softplus": {"float32": 3, "float64": 3},
    "erf": {"float32": 3, "float64": 2},
}
FUNCTIONS = tuple(ULP_BOUNDS)
# ln 2 to 40 digits: float64 ln2_lo needs more than math.log(2) carries
_LN2 = Decimal("0.6931471805599453094172321214581765680755")


# forceinline is LLVM's alwaysinline: every call is inlined into the kernel loop, which
# then vectorizes. (Numba's own inline="always" inlines its IR instead: same result, 8x the
# compile time.) cache: each implementation is compiled once per installation and kept in
# Numba's cache beside this file, so a new function's first call does not recompile it.
_INLINE = {"forceinline": True, "cache": True}


def _taylor(first: int, last: int) -> list:
    """1/k! for k = first..last: the exponential series."""
    return [1.0 / math.factorial(k) for k in range(first, last + 1)]


class _Consts:
    """Typed constants of one dtype: a float64 literal would promote a float32 loop."""

    def __init__(self, dtype):
        f = self.f = np.dtype(dtype).type
        single = dtype == np.float32
        self.int = np.int32 if single else np.int64
        self.mantissa = 23 if single else 52
        self.bias = 127 if single else 1023
        self.log2e = f(1 / math.log(2))
        self.round = f(1.5 * 2.0**self.mantissa)  # (t + R) - R rounds t to an integer
        # Cody-Waite split of ln 2: few bits in the high part, so k * ln2_hi is exact
        hi_bits = 9 if single else 32
        ln2_hi = math.ldexp(math.floor(math.ldexp(math.log(2), hi_bits)), -hi_bits)
        self.ln2_hi, self.ln2_lo = f(ln2_hi), f(float(_LN2 - Decimal(ln2_hi)))
        # beyond these exp(x) overflows / rounds to 0; the clamp keeps 2**k representable
        self.exp_hi, self.exp_lo = (f(89), f(-104)) if single else (f(710), f(-746))
        self.exp_poly = tuple(f(c) for c in _taylor(0, 7 if single else 13))
        self.expm1_poly = tuple(f(c) for c in _taylor(2, 8 if single else 14))
        # above this expm1(x) rounds to exp(x) (and exp's overflow path applies)
        self.expm1_big = f(20 if single else 40)
        self.tiny = f(2.0**-26 if single else 2.0**-55)  # expm1, log1p, tanh: f(x) rounds to x
        # log: series of 2 atanh(s), s = f / (2 + f): R(z) = sum 2 z**k / (2k + 1)
        self.log_poly = tuple(f(2.0 / (2 * k + 1)) for k in range(1, 6 if single else 11))
        self.sqrt2 = f(math.sqrt(2.0))
        self.min_normal = f(np.finfo(dtype).tiny)
        self.denormal_scale = f(2.0**self.mantissa)
        i = self.int
        self.exponent_mask = i((1 << (8 if single else 11)) - 1)
        self.mantissa_mask = i((1 << self.mantissa) - 1)
        self.one_bits = i(self.bias << self.mantissa)
        self.izero, self.ione = i(0), i(1)
        self.tanh_clamp = f(10 if single else 20)
        self.zero, self.half, self.one, self.two = f(0), f(0.5), f(1), f(2)
        self.inf, self.nan = f(np.inf), f(np.nan)
        a, pieces, bs = ERF_FITS[np.dtype(dtype).name]
        self.erf_a = tuple(f(v) for v in a)
        self.erf_b = tuple(tuple(f(v) for v in b) for b in bs)
        self.erf_lo = tuple(f(lo) for lo, hi in pieces)
        self.erf_mid = tuple(f((lo + hi) / 2) for lo, hi in pieces)
        self.erf_inv_half = tuple(f(2 / (hi - lo)) for lo, hi in pieces)
        self.erf_hi = f(pieces[-1][1])


# erf: x A(x*x) below 1, 1 - exp(-x*x) B_j(w) on the pieces (lo, hi) above, w = |x| scaled
# to [-1, 1] in its piece; coefficients lowest order first, from tools/fit_vecmath.py
ERF_FITS = {'float32': ((1.1283791670615435,
              -0.3761263846802871,
              0.11283782495236845,
              -0.026865430727670243,
              0.005221031807858023,
              -0.0008484080405535107,
              0.00011265959025606609,
              -9.667044571486996e-06),
             ((1.0, 4.0),),
             ((0.2108063640611436,
               -0.11152100511306101,
               0.05611048818984676,
               -0.027005716870634796,
               0.01248952041745665,
               -0.005567380322584669,
               0.002402487431083445,
               -0.0010170089408470175,
               0.0004129869220693504,
               -0.00014405779233076188,
               5.6303576556181324e-05,
               -3.6888910916590526e-05,
               1.3365835857927637e-05),)),
 'float64': ((1.1283791670955126,
              -0.3761263890318375,
              0.11283791670954879,
              -0.026866170645076792,
              0.0052239776248180145,
              -0.000854832698083379,
              0.0001205533111164271,
              -1.4925595266831182e-05,
              1.6461000484121368e-06,
              -1.6350312701054695e-07,
              1.4659775274047436e-08,
              -1.1372848856791674e-09,
              5.957176147748911e-11),
             ((1.0, 2.0), (2.0, 3.5), (3.5, 6.0)),
             ((0.3215854164543175,
               -0.08181145886628004,
               0.019037759963870138,
               -0.0041163631624454335,
               0.0008360838095501772,
               -0.00016081117337237463,
               2.9470857585360663e-05,
               -5.171328661078072e-06,
               8.723039535796884e-07,
               -1.4191188983511488e-07,
               2.2329527918697295e-08,
               -3.40590129634009e-09,
               5.033420569164749e-10,
               -7.259519499451313e-11,
               1.100964212179346e-11,
               -1.5053845831299624e-12),
              (0.19366209627906866,
               -0.04742822817047613,
               0.011114208555372547,
               -0.0025035488002965733,
               0.0005440864558202282,
               -0.0001144271539438872,
               2.3347542710787384e-05,
               -4.631705362630414e-06,
               8.950228299200691e-07,
               -1.6874296710210136e-07,
               3.108847874611232e-08,
               -5.602221787184144e-09,
               9.830016377967729e-10,
               -1.7015215137129228e-10,
               3.2417475610132607e-11,
               -5.385460413068287e-12),
              (0.11630270721024713,
               -0.0293793107477039,
               0.007283322451542246,
               -0.001773630658265737,
               0.0004246296480552603,
               -0.0001000237460414767,
               2.319761488732145e-05,
               -5.3003687010150365e-06,
               1.1938181646711683e-06,
               -2.6520596222668634e-07,
               5.8168940800310296e-08,
               -1.2588105380341456e-08,
               2.6522897803391296e-09,
               -5.60488457625219e-10,
               1.4058893079595e-10,
               -2.8909737719322116e-11)))}


_CONSTS = {}


def _consts(x):
    """The constants for a Numba float type, None for other types (no overload then)."""
    if not isinstance(x, types.Float):
        return None
    dtype = np.float32 if x.bitwidth == 32 else np.float64
    if dtype not in _CONSTS:
        _CONSTS[dtype] = _Consts(dtype)
    return _CONSTS[dtype]


def _compiled_only(*args):
    raise TypeError("symnet.codegen.vecmath functions are callable from Numba-compiled code only")


def _vectorized(stub):
    """Registers ``make(consts)`` as the compiled implementation of ``stub`` for a float
    argument; an integer or bool argument is converted to float64 first, as math.* does."""

    def register(make):
        @overload(stub, jit_options=_INLINE)
        def typer(x):
            if isinstance(x, (types.Integer, types.Boolean)):
                return lambda x: stub(np.float64(x))
            c = _consts(x)
            return None if c is None else make(c)

        return make

    return register


def horner(x, coefficients):
    """c0 + x * (c1 + x * (c2 + ...)) for a tuple of coefficients, unrolled when compiled."""
    return _compiled_only()


@overload(horner, jit_options=_INLINE)
def _horner(x, coefficients):
    def impl(x, coefficients):
        acc = coefficients[-1]
        for i in range(len(coefficients) - 2, -1, -1):
            acc = acc * x + coefficients[i]
        return acc

    return impl


def scale(p, k):
    """p * 2**k for an integer-valued float k, built from exponent bits.

    Two factors, because k reaches -150 (float32) / -1075 (float64), below the smallest
    normal exponent: the product rounds once into the denormals.
    """
    return _compiled_only()


@overload(scale, jit_options=_INLINE)
def _scale(p, k):
    c = _consts(p)
    if c is None:
        return None
    INT, BIAS, SHIFT, F = c.int, c.bias, c.mantissa, c.f

    def impl(p, k):
        ki = INT(k)
        h = ki >> 1
        return p * INT((h + BIAS) << SHIFT).view(F) * INT((ki - h + BIAS) << SHIFT).view(F)

    return impl


def reduce_ln2(x):
    """(k, r) with x = k ln2 + r, |r| <= ln2/2 and k integer-valued (Cody-Waite)."""
    return _compiled_only()


@overload(reduce_ln2, jit_options=_INLINE)
def _reduce_ln2(x):
    c = _consts(x)
    if c is None:
        return None
    LOG2E, ROUND, HI, LO = c.log2e, c.round, c.ln2_hi, c.ln2_lo

    def impl(x):
        k = (x * LOG2E + ROUND) - ROUND
        return k, (x - k * HI) - k * LO

    return impl


def exp(x):
    """e**x."""
    return _compiled_only()


@_vectorized(exp)
def _exp(c):
    P, XHI, XLO, ZERO = c.exp_poly, c.exp_hi, c.exp_lo, c.zero

    def impl(x):
        k, r = reduce_ln2(min(max(x, XLO), XHI))
        y = scale(horner(r, P), k)
        y = ZERO if x < XLO else y
        return y if x == x else x

    return impl


def expm1(x):
    """e**x - 1, accurate near 0."""
    return _compiled_only()


@_vectorized(expm1)
def _expm1(c):
    P, XHI, XLO, BIG, TINY, ONE = c.expm1_poly, c.exp_hi, c.exp_lo, c.expm1_big, c.tiny, c.one

    def impl(x):
        k, r = reduce_ln2(min(max(x, XLO), XHI))
        p = r + r * r * horner(r, P)  # expm1(r)
        s = scale(ONE, k)  # 2**k, finite below BIG
        y = s * p + (s - ONE)  # 2**k (expm1(r) + 1) - 1
        y = scale(p + ONE, k) if x > BIG else y
        y = x if abs(x) < TINY else y
        return y if x == x else x

    return impl


def log(x):
    """Natural logarithm: nan below 0, -inf at 0."""
    return _compiled_only()


@_vectorized(log)
def _log(c):
    INT, F, SHIFT, BIAS = c.int, c.f, c.mantissa, c.int(c.bias)
    EMASK, MMASK, ONE_BITS = c.exponent_mask, c.mantissa_mask, c.one_bits
    MIN_NORMAL, DSCALE, DSHIFT, IZERO, IONE = c.min_normal, c.denormal_scale, INT(SHIFT), c.izero, c.ione
    P, SQRT2, HI, LO = c.log_poly, c.sqrt2, c.ln2_hi, c.ln2_lo
    ZERO, HALF, ONE, TWO, INF, NAN = c.zero, c.half, c.one, c.two, c.inf, c.nan

    def impl(x):
        denormal = x < MIN_NORMAL
        bits = F(x * DSCALE if denormal else x).view(INT)
        e = ((bits >> SHIFT) & EMASK) - BIAS - (DSHIFT if denormal else IZERO)
        m = INT((bits & MMASK) | ONE_BITS).view(F)  # x = m 2**e, m in [1, 2)
        big = m > SQRT2
        m = m * HALF if big else m  # m in [sqrt(1/2), sqrt(2)]
        k = F(e + (IONE if big else IZERO))
        f = m - ONE  # exact
        s = f / (TWO + f)
        z = s * s
        hfsq = HALF * f * f
        # log(1 + f) = 2 atanh(s) = f - s f + s R(z), with s f = hfsq - s hfsq
        y = k * HI + (f - (hfsq - (s * (hfsq + z * horner(z, P)) + k * LO)))
        y = INF if x == INF else y
        y = -INF if x == ZERO else y
        return NAN if (x < ZERO) | (x != x) else y

    return impl


def log1p(x):
    """log(1 + x), accurate near 0."""
    return _compiled_only()


@_vectorized(log1p)
def _log1p(c):
    ZERO, ONE, TINY = c.zero, c.one, c.tiny

    def impl(x):
        u = ONE + x
        # the rounding of 1 + x, corrected to first order: log(u) + (x - (u - 1)) / u
        lu = log(u)
        y = lu + (x - (u - ONE)) / u
        # u == x: |x| huge, where the correction would be inf - inf; u == 0: x = -1
        y = lu if (u == x) | (u == ZERO) else y
        return x if abs(x) < TINY else y

    return impl


def tanh(x):
    """Hyperbolic tangent as expm1(2x) / (expm1(2x) + 2)."""
    return _compiled_only()


@_vectorized(tanh)
def _tanh(c):
    CLAMP, TWO, TINY = c.tanh_clamp, c.two, c.tiny

    def impl(x):
        em = expm1(TWO * min(max(x, -CLAMP), CLAMP))
        y = em / (em + TWO)
        return x if (abs(x) < TINY) | (x != x) else y

    return impl


def sigmoid(x):
    """1 / (1 + e**-x), without overflow: e**x / (1 + e**x) for x < 0."""
    return _compiled_only()


@_vectorized(sigmoid)
def _sigmoid(c):
    ZERO, ONE = c.zero, c.one

    def impl(x):
        e = exp(-abs(x))
        return (ONE if x >= ZERO else e) / (ONE + e)

    return impl


def softplus(x):
    """log(1 + e**x) as max(x, 0) + log1p(e**-|x|)."""
    return _compiled_only()


@_vectorized(softplus)
def _softplus(c):
    ZERO = c.zero

    def impl(x):
        return max(x, ZERO) + log1p(exp(-abs(x)))

    return impl


def erf(x):
    """The error function."""
    return _compiled_only()


@_vectorized(erf)
def _erf(c):
    A, B, LO, MID, INV_HALF, HI = c.erf_a, c.erf_b, c.erf_lo, c.erf_mid, c.erf_inv_half, c.erf_hi
    ZERO, ONE = c.zero, c.one

    def impl(x):
        a = min(abs(x), HI)
        q = ZERO
        for j in range(len(B)):  # every piece is evaluated and the right one kept (no branch)
            qj = horner((a - MID[j]) * INV_HALF[j], B[j])
            q = qj if a >= LO[j] else q
        big = ONE - exp(-a * a) * q  # erfc(x) = exp(-x*x) erfcx(x); x*x's rounding is harmless
        small = x * horner(x * x, A)
        y = small if a < LO[0] else (big if x > ZERO else -big)
        return x if x != x else y

    return impl
