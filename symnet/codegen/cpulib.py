"""The CPU runtime: native routines that generated drivers call (convolution and pooling on
NCHW arrays, gathers, one-hot, argmax, counter-based random numbers), and the NumPy
fallback for an op the CPU back end has no rule for.

Convolutions are im2col + one BLAS product per chunk of images (a chunk's columns stay
under ``CHUNK_ELEMENTS``); pooling is window loops. These are ordinary Numba functions,
compiled once per signature and cached beside this file, so generated modules that use
them do not recompile them (``symnet.codegen.cache`` hashes this file into every key).
Every routine writes into ``out``, which the driver allocated C-contiguous.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np

import symnet.codegen.cache  # noqa: F401  (Numba reads a damaged cache file as missing)
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


# -- gathers, one-hot, argmax, slice lengths --------------------------------------------------

@_jit
def dot_into(x, y, out):
    """out = x @ y by BLAS, for 1-d and 2-d operands: one compile per signature, called by
    address (``symnet.codegen.calls``), where NumPy's dot inlined into every driver cost
    LLVM a quarter of a second per product."""
    np.dot(x, y, out)


@_jit
def copy_into(dst, src):
    """dst[...] = src for arrays of one shape (of at least one dimension) in any layout: a
    buffer copy called by address. Inline copy loops whose outer size is a small literal
    (a (16, batch) LSTM state) were unrolled by LLVM into 16 vectorized loops each, and
    ``dst[...] = src`` takes Numba over a second to compile per signature."""
    for index in np.ndindex(dst.shape[:-1]):
        d, s = dst[index], src[index]
        for j in range(d.shape[0]):
            d[j] = s[j]


@_jit
def add_into(dst, src):
    """dst[...] += src for arrays of one shape (of at least one dimension) in any layout: an
    increment of a subtensor, called by address for the reason ``copy_into`` is."""
    for index in np.ndindex(dst.shape[:-1]):
        d, s = dst[index], src[index]
        for j in range(d.shape[0]):
            d[j] += s[j]


@_jit
def permute_into(dst, src, axes):
    """dst = src with its axes permuted, for a C-contiguous ``dst`` of at least one
    dimension: dst's axis k is src's axis ``axes[k]``, or a new axis of size 1 where that
    is -1 (a dimshuffle). A loop of the driver did this, and LLVM unrolled a literal-size
    loop around its vectorized gathers (a (n, 8, t) transpose: eight copies of them)."""
    flat_src = np.ascontiguousarray(src).reshape(src.size)
    flat_dst = dst.reshape(dst.size)
    strides = np.empty(src.ndim + 1, np.int64)  # C order, in elements; the last is 0 for -1
    strides[src.ndim] = 0
    step = 1
    for k in range(src.ndim - 1, -1, -1):
        strides[k] = step
        step *= src.shape[k]
    steps = np.empty(dst.ndim, np.int64)
    for k in range(dst.ndim):
        steps[k] = strides[axes[k]]  # -1 reads strides[src.ndim]
    last, n = dst.ndim - 1, 0
    for index in np.ndindex(dst.shape[:-1]):
        offset = 0
        for k in range(last):
            offset += index[k] * steps[k]
        for j in range(dst.shape[last]):
            flat_dst[n] = flat_src[offset + j * steps[last]]
            n += 1


@_jit
def slice_length(start, stop, step, n):
    """len(range(n)[start:stop:step]) with Python's rules for None and negatives."""
    if step is None:
        step = 1
    if step > 0:
        lo = 0 if start is None else (max(start + n, 0) if start < 0 else min(start, n))
        hi = n if stop is None else (max(stop + n, 0) if stop < 0 else min(stop, n))
        return max(0, (hi - lo + step - 1) // step)
    lo = n - 1 if start is None else (max(start + n, -1) if start < 0 else min(start, n - 1))
    hi = -1 if stop is None else (max(stop + n, -1) if stop < 0 else min(stop, n - 1))
    return max(0, (lo - hi - step - 1) // (-step))


@_jit
def take_rows(x, idx, out):
    """out = x[idx] along axis 0 (negative indices wrap; out of range raises)."""
    n = x.shape[0]
    rows = np.ascontiguousarray(x).reshape((n, -1))
    flat_idx = np.ascontiguousarray(idx).reshape(-1)
    dest = out.reshape((flat_idx.size, -1))
    for k in range(flat_idx.size):
        i = flat_idx[k]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            raise IndexError("index out of bounds in take")
        dest[k, :] = rows[i, :]


@_jit
def take_rows_grad(idx, g, out):
    """out = zeros; out[idx] += g along axis 0 (repeated indices add up; out of range raises)."""
    n = out.shape[0]
    flat = out.reshape(-1)
    for j in range(flat.size):
        flat[j] = 0
    rows = out.reshape((n, -1))
    flat_idx = np.ascontiguousarray(idx).reshape(-1)
    grads = np.ascontiguousarray(g).reshape((flat_idx.size, -1))
    for k in range(flat_idx.size):
        i = flat_idx[k]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            raise IndexError("index out of bounds in take")
        rows[i, :] += grads[k, :]


@_jit
def take_along(x, idx, before, n, after, m, out):
    """out = take_along_axis(x, idx, axis), with x seen as (before, n, after) and idx and
    out as (before, m, after)."""
    src = np.ascontiguousarray(x).reshape((before, n, after))
    picks = np.ascontiguousarray(idx).reshape((before, m, after))
    dest = out.reshape((before, m, after))
    for b in range(before):
        for c in range(m):
            for a in range(after):
                i = picks[b, c, a]
                if i < 0:
                    i += n
                if i < 0 or i >= n:
                    raise IndexError("index out of bounds in take_along_axis")
                dest[b, c, a] = src[b, i, a]


@_jit
def take_along_grad(idx, g, before, n, after, m, out):
    """out = zeros; then g added at the gathered positions (repeats add up; out of range raises)."""
    flat = out.reshape(-1)
    for j in range(flat.size):
        flat[j] = 0
    dest = out.reshape((before, n, after))
    picks = np.ascontiguousarray(idx).reshape((before, m, after))
    grads = np.ascontiguousarray(g).reshape((before, m, after))
    for b in range(before):
        for c in range(m):
            for a in range(after):
                i = picks[b, c, a]
                if i < 0:
                    i += n
                if i < 0 or i >= n:
                    raise IndexError("index out of bounds in take_along_axis")
                dest[b, i, a] += grads[b, c, a]


@_jit
def one_hot(idx, out):
    n = out.shape[-1]
    flat_idx = np.ascontiguousarray(idx).reshape(-1)
    dest = out.reshape((-1, n))
    for r in range(flat_idx.size):
        for c in range(n):
            dest[r, c] = 1 if flat_idx[r] == c else 0


@_jit
def argmax(x, before, n, after, out):
    """argmax over the middle axis of x viewed as (before, n, after)."""
    v = np.ascontiguousarray(x).reshape((before, n, after))
    dest = out.reshape((before, after))
    for a in range(before):
        for c in range(after):
            best = 0
            for i in range(1, n):
                if v[a, i, c] > v[a, best, c]:
                    best = i
            dest[a, c] = best


@_jit
def cumulate(x, before, n, after, product, out):
    """out = the running sum (or ``product``) of x (of out's dtype) viewed as (before, n,
    after) over n."""
    if n == 0:
        return
    v = np.ascontiguousarray(x).reshape((before, n, after))
    dest = out.reshape((before, n, after))
    for a in range(before):
        for c in range(after):
            acc = v[a, 0, c]
            dest[a, 0, c] = acc
            for i in range(1, n):
                acc = acc * v[a, i, c] if product else acc + v[a, i, c]
                dest[a, i, c] = acc


@_jit
def argsort(x, before, n, after, out):
    """out = the stable ascending order of x viewed as (before, n, after) along n."""
    v = np.ascontiguousarray(x).reshape((before, n, after))
    dest = out.reshape((before, n, after))
    for a in range(before):
        for c in range(after):
            dest[a, :, c] = np.argsort(v[a, :, c].copy(), kind="mergesort")


# -- the fallback: an op without a compiled rule runs its NumPy evaluate ------------------------

_FALLBACKS: dict = {}  # key → (op, output dtypes), for the ops this process printed


def fallback_key(op, dtypes: tuple) -> str:
    """The name generated code calls ``fallback`` with for ``op`` producing ``dtypes``: a
    digest of the op (generated code never holds its text). Registers the op in this process."""
    text = f"{type(op).__module__}.{type(op).__qualname__}|{op!r}|{dtypes}"
    key = "op_" + hashlib.sha256(text.encode()).hexdigest()[:20]
    if _FALLBACKS.setdefault(key, (op, dtypes)) != (op, dtypes):
        raise RuntimeError(f"symnet: two ops print the same fallback key {key}: give {type(op).__name__} a repr that shows its parameters")
    return key


def fallback(key: str, *args) -> tuple:
    """The registered op's ``evaluate`` on NumPy arrays (called from a driver's object-mode
    block); each output a new C-contiguous array of its dtype (the driver owns it)."""
    op, dtypes = _FALLBACKS[key]
    outputs = op.evaluate(*(np.asarray(a) for a in args))
    return tuple(np.array(o, dtype=d, order="C") for o, d in zip(outputs, dtypes))
