"""Fits the polynomial coefficients of symnet/codegen/vecmath.py that are not textbook series (erf),
with mpmath's Chebyshev fits at 40 digits, and prints them for pasting into vecmath.py.

erf(x) = x * A(x*x) for |x| < 1, and 1 - exp(-x*x) * B_j(w) above, with w the position of
|x| in piece j scaled to [-1, 1] (B_j approximates erfcx = exp(x*x) erfc(x) there).

Run: python tools/fit_vecmath.py
"""

import pprint

import mpmath as mp

mp.mp.dps = 40

# per dtype: coefficients of A, then the B pieces (lo, hi) and their coefficient count
ERF = {
    "float32": (8, [(1.0, 4.0)], 13),
    "float64": (13, [(1.0, 2.0), (2.0, 3.5), (3.5, 6.0)], 16),
}


def erf_over_sqrt(t):
    return mp.erf(mp.sqrt(t)) / mp.sqrt(t) if t > 0 else 2 / mp.sqrt(mp.pi)


def erfcx_on(lo, hi):
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    return lambda w: mp.exp((mid + half * w) ** 2) * mp.erfc(mid + half * w)


def fit(f, interval, count):
    """Lowest-order coefficient first, and the fit's largest error on the interval."""
    coefficients, error = mp.chebyfit(f, interval, count, error=True)
    return tuple(float(c) for c in reversed(coefficients)), float(error)


def main():
    fits = {}
    for dtype, (count_a, pieces, count_b) in ERF.items():
        a, error = fit(erf_over_sqrt, [0, 1], count_a)
        print(f"# {dtype}: A error {error:.2g}")
        bs = []
        for lo, hi in pieces:
            b, error = fit(erfcx_on(lo, hi), [-1, 1], count_b)
            print(f"# B on [{lo}, {hi}]: error x exp(-lo**2) {error * float(mp.exp(-lo * lo)):.2g}")
            bs.append(b)
        fits[dtype] = (a, tuple(pieces), tuple(bs))
    print("ERF_FITS = " + pprint.pformat(fits, width=96))


if __name__ == "__main__":
    main()
