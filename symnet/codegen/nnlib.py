"""Native routines that generated drivers call: convolution and pooling on NCHW arrays, and
counter-based random numbers.

Convolutions are im2col + one BLAS product per chunk of images (a chunk's columns stay
under ``CHUNK_ELEMENTS``); pooling is window loops. These are ordinary Numba functions,
compiled once per signature and cached beside this file, so generated modules that use
them do not recompile them (``symnet.codegen.cache`` hashes this file into every key).
Every routine writes into ``out``, which the driver allocated C-contiguous.
"""

from __future__ import annotations

import numba
import numpy as np

from symnet.ops import random as random_ops

CHUNK_ELEMENTS = 1 << 20  # im2col columns per BLAS product (4 MB of float32)


def _jit(fn):
    return numba.njit(cache=True, error_model="numpy")(fn)


@_jit
def _chunk(n, per_image):
    """Images per BLAS product: all of them when they fit, else as many as fit (≥ 1)."""
    return max(1, min(n, CHUNK_ELEMENTS // max(per_image, 1)))


@_jit
def _padded(x, ph, pw):
    """x zero-padded by (ph, pw) on the last two axes, C-contiguous (x itself if it already is)."""
    if ph == 0 and pw == 0:
        return np.ascontiguousarray(x)
    n, channels, h, w = x.shape
    xp = np.zeros((n, channels, h + 2 * ph, w + 2 * pw), x.dtype)
    for b in range(n):
        for c in range(channels):
            for y in range(h):
                for z in range(w):
                    xp[b, c, y + ph, z + pw] = x[b, c, y, z]
    return xp


@_jit
def _im2col(xp, b0, m, kh, kw, sh, sw, ho, wo, cols):
    """cols[(c·kh + i)·kw + j, b·ho·wo + y·wo + z] = xp[b0 + b, c, y·sh + i, z·sw + j] for
    the m images from b0 of the padded input xp."""
    channels = xp.shape[1]
    hw = ho * wo
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                for b in range(m):
                    for y in range(ho):
                        base = b * hw + y * wo
                        for z in range(wo):
                            cols[r, base + z] = xp[b0 + b, c, y * sh + i, z * sw + j]


@_jit
def _col2im_add(cols, b0, m, kh, kw, sh, sw, ho, wo, dxp):
    """The adjoint of ``_im2col``: each column entry added back into the padded dxp."""
    channels = dxp.shape[1]
    hw = ho * wo
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                for b in range(m):
                    for y in range(ho):
                        base = b * hw + y * wo
                        for z in range(wo):
                            dxp[b0 + b, c, y * sh + i, z * sw + j] += cols[r, base + z]


@_jit
def _gather_images(g, b0, m, gm):
    """gm[f, b·hw + p] = g[b0 + b, f, p] for a C-contiguous g viewed as (N, F, hw)."""
    for b in range(m):
        for f in range(g.shape[1]):
            for p in range(g.shape[2]):
                gm[f, b * g.shape[2] + p] = g[b0 + b, f, p]


@_jit
def _zero(out):
    flat = out.reshape(-1)
    for k in range(flat.size):
        flat[k] = 0


@_jit
def conv2d(x, w, sh, sw, ph, pw, out):
    """out = conv2d(x, w) (cross-correlation), out (N, F, ho, wo)."""
    n, features, ho, wo = out.shape
    kh, kw = w.shape[2], w.shape[3]
    k, hw = w.shape[1] * kh * kw, ho * wo
    if k == 0:
        _zero(out)
        return
    if n * features * hw == 0:
        return
    wmat = np.ascontiguousarray(w).reshape((features, k))
    xp = _padded(x, ph, pw)
    flat = out.reshape((n, features, hw))
    step = _chunk(n, k * hw)
    for b0 in range(0, n, step):
        m = min(step, n - b0)
        cols = np.empty((k, m * hw), out.dtype)
        _im2col(xp, b0, m, kh, kw, sh, sw, ho, wo, cols)
        product = np.dot(wmat, cols)
        for b in range(m):
            for f in range(features):
                for p in range(hw):
                    flat[b0 + b, f, p] = product[f, b * hw + p]


@_jit
def conv2d_grad_input(w, g, sh, sw, ph, pw, out):
    """out = d conv2d / dx applied to g, out shaped like x."""
    _zero(out)
    n, features, ho, wo = g.shape
    kh, kw = w.shape[2], w.shape[3]
    k, hw = w.shape[1] * kh * kw, ho * wo
    if k == 0 or n * features * hw == 0:
        return
    w_t = np.ascontiguousarray(np.ascontiguousarray(w).reshape((features, k)).T)
    g3 = np.ascontiguousarray(g).reshape((n, features, hw))
    h, w_ = out.shape[2], out.shape[3]
    dxp = out if ph == 0 and pw == 0 else np.zeros((n, out.shape[1], h + 2 * ph, w_ + 2 * pw), out.dtype)
    step = _chunk(n, max(k, features) * hw)
    for b0 in range(0, n, step):
        m = min(step, n - b0)
        gm = np.empty((features, m * hw), out.dtype)
        _gather_images(g3, b0, m, gm)
        _col2im_add(np.dot(w_t, gm), b0, m, kh, kw, sh, sw, ho, wo, dxp)
    if ph or pw:
        for b in range(n):
            for c in range(out.shape[1]):
                for y in range(h):
                    for z in range(w_):
                        out[b, c, y, z] = dxp[b, c, y + ph, z + pw]


@_jit
def conv2d_grad_weight(x, g, sh, sw, ph, pw, out):
    """out = d conv2d / dw applied to g, out (F, C, kh, kw)."""
    _zero(out)
    n, features, ho, wo = g.shape
    kh, kw = out.shape[2], out.shape[3]
    k, hw = out.shape[1] * kh * kw, ho * wo
    if k == 0 or n * features * hw == 0:
        return
    acc = out.reshape((features, k))
    xp = _padded(x, ph, pw)
    g3 = np.ascontiguousarray(g).reshape((n, features, hw))
    step = _chunk(n, max(k, features) * hw)
    for b0 in range(0, n, step):
        m = min(step, n - b0)
        cols = np.empty((k, m * hw), out.dtype)
        _im2col(xp, b0, m, kh, kw, sh, sw, ho, wo, cols)
        gm = np.empty((features, m * hw), out.dtype)
        _gather_images(g3, b0, m, gm)
        acc += np.dot(gm, cols.T)


@_jit
def max_pool2d(x, kh, kw, sh, sw, out):
    """out[n, c, y, z] = the maximum of x over the window at (y·sh, z·sw) (nan wins, as in NumPy)."""
    n, channels, ho, wo = out.shape
    for b in range(n):
        for c in range(channels):
            for y in range(ho):
                for z in range(wo):
                    best = x[b, c, y * sh, z * sw]
                    for i in range(kh):
                        for j in range(kw):
                            v = x[b, c, y * sh + i, z * sw + j]
                            if v > best or (v != v and best == best):
                                best = v
                    out[b, c, y, z] = best


@_jit
def avg_pool2d(x, kh, kw, sh, sw, out):
    """out[n, c, y, z] = the mean of x over the window at (y·sh, z·sw)."""
    n, channels, ho, wo = out.shape
    scale = 1.0 / (kh * kw)
    for b in range(n):
        for c in range(channels):
            for y in range(ho):
                for z in range(wo):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            total += x[b, c, y * sh + i, z * sw + j]
                    out[b, c, y, z] = total * scale


@_jit
def max_pool2d_grad(x, g, kh, kw, sh, sw, out):
    """out = zeros, then each window's g added at the window's first maximum (row-major)."""
    _zero(out)
    n, channels, ho, wo = g.shape
    for b in range(n):
        for c in range(channels):
            for y in range(ho):
                for z in range(wo):
                    bi, bj = 0, 0
                    best = x[b, c, y * sh, z * sw]
                    for i in range(kh):
                        for j in range(kw):
                            v = x[b, c, y * sh + i, z * sw + j]
                            if v > best or (v != v and best == best):
                                best, bi, bj = v, i, j
                    out[b, c, y * sh + bi, z * sw + bj] += g[b, c, y, z]


@_jit
def avg_pool2d_grad(g, kh, kw, sh, sw, out):
    """out = zeros, then each window's g / (kh·kw) added over the window."""
    _zero(out)
    n, channels, ho, wo = g.shape
    scale = 1.0 / (kh * kw)
    for b in range(n):
        for c in range(channels):
            for y in range(ho):
                for z in range(wo):
                    share = g[b, c, y, z] * scale
                    for i in range(kh):
                        for j in range(kw):
                            out[b, c, y * sh + i, z * sw + j] += share


# -- counter-based uniform noise: bit for bit symnet.ops.random's NumPy reference -------------

_GOLDEN, _MIX1, _MIX2 = np.uint64(random_ops.GOLDEN), np.uint64(random_ops.MIX1), np.uint64(random_ops.MIX2)
_SCALE32, _SCALE64 = np.float32(2.0**-24), 2.0**-53


@_jit
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@_jit
def random_uniform(seed, counter, single, out):
    """out = U[0, 1) noise for (seed, counter): 24 random bits per float32 (``single``), 53 per float64."""
    key = _mix(np.uint64(seed) ^ _mix(np.uint64(counter)))
    flat = out.reshape(-1)
    z = key
    for i in range(flat.size):
        z += _GOLDEN
        bits = _mix(z)
        if single:
            flat[i] = np.float32(bits >> np.uint64(40)) * _SCALE32
        else:
            flat[i] = np.float64(bits >> np.uint64(11)) * _SCALE64
