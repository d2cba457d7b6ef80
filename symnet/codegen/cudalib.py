"""CUDA runtime for generated drivers: device buffers and views, a tiled matmul, gathers,
the NumPy fallback. Launch sizes are the schedule's (``symnet.codegen.schedule``)."""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from symnet.codegen import cpulib

from symnet.codegen.schedule import MAX_BLOCKS, SIMULATOR, THREADS, TILE, blocks


# -- arguments and views ------------------------------------------------------------------------
def is_device_array(a) -> bool:
    """Anything with ``__cuda_array_interface__`` (Numba, CuPy, PyTorch), or a simulated array."""
    if SIMULATOR:
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        return isinstance(a, FakeCUDAArray)
    return hasattr(a, "__cuda_array_interface__")


def to_device(a):
    """A device array for ``a``: NumPy arrays are copied over, device arrays are used in place."""
    if isinstance(a, np.ndarray):
        return cuda.to_device(np.ascontiguousarray(a) if a.ndim else a)
    return a if SIMULATOR else cuda.as_cuda_array(a)


def scalar(a):
    """The number in a 0-d device array (an index or slice bound the driver sizes with)."""
    return a.copy_to_host()[()] if is_device_array(a) else a[()]


def fallback(key: str, *args) -> tuple:
    """``cpulib.fallback`` (an op's NumPy evaluate) on host copies of C-contiguous device
    arrays (numbers as they are); the outputs copied to the device."""
    host = [a.copy_to_host() if is_device_array(a) else a for a in args]
    return tuple(to_device(r) for r in cpulib.fallback(key, *host))


# the driver's size code runs on the host: the Python function, not Numba's
slice_length = cpulib.slice_length.py_func


def empty(shape, dtype):
    return cuda.device_array(shape, dtype)


def _strided(x, view: np.ndarray):
    """A device array sharing ``x``'s memory laid out as ``view``, a NumPy view of a stand-in
    for ``x`` (same shape and strides, no data)."""
    if SIMULATOR:
        raise AssertionError("the simulator takes views of its arrays directly")
    from numba.cuda.cudadrv.devicearray import DeviceNDArray

    if view.size == 0:
        return cuda.device_array(view.shape, x.dtype)
    offset = view.__array_interface__["data"][0] - _stand_in(x).__array_interface__["data"][0]
    data = x.gpu_data if offset == 0 else x.gpu_data.view(offset)
    return DeviceNDArray(view.shape, view.strides, x.dtype, gpu_data=data)


def _stand_in(x) -> np.ndarray:
    return np.lib.stride_tricks.as_strided(_STAND_IN[np.dtype(x.dtype).char], x.shape, x.strides)


_STAND_IN = {c: np.zeros(1, np.dtype(c)) for c in "?bhilqBHILQefdg"}


def view(x, how):
    """``how(x)`` for a NumPy view function ``how`` (indexing, transposing, new axes),
    as a device array sharing ``x``'s memory."""
    if SIMULATOR:
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        return FakeCUDAArray(how(x._ary))
    base = _stand_in(x)
    return _strided(x, how(base))


def index(x, key):
    """``x[key]`` for a basic index (ints, slices, None) as a device view (0-d included)."""
    key = key if isinstance(key, tuple) else (key,)
    # an Ellipsis keeps an all-integer index a 0-d view rather than a scalar
    key = key if Ellipsis in key else key + (Ellipsis,)
    return view(x, lambda a: a[key])


def dimshuffle(x, order):
    """x with axes dropped (size 1), permuted and added ('x') as in DimShuffle, as a view."""
    kept = [k for k in order if k != "x"]
    dropped = tuple(0 if k not in kept else slice(None) for k in range(x.ndim))

    def how(a):
        a = a[dropped + (Ellipsis,)]
        rank = {k: r for r, k in enumerate(sorted(kept))}
        a = a.transpose([rank[k] for k in kept])
        return a[tuple(None if k == "x" else slice(None) for k in order) + (Ellipsis,)]

    return view(x, how)


def as_matrix(x, row: bool):
    """A 1-d vector as a one-row (``row``) or one-column matrix view; matrices as they are."""
    if x.ndim == 2:
        return x
    return view(x, (lambda a: a[None, :]) if row else (lambda a: a[:, None]))


# -- matmul -------------------------------------------------------------------------------------
def _matmul_kernel(dtype):
    tile = TILE

    @cuda.jit
    def matmul(a, b, out):
        """out = a @ b, one TILE x TILE block of out per thread block, through shared memory."""
        sa = cuda.shared.array((tile, tile), dtype)
        sb = cuda.shared.array((tile, tile), dtype)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        m, k = a.shape
        n = b.shape[1]
        zero = dtype(0)
        for row0 in range(cuda.blockIdx.y * tile, m, cuda.gridDim.y * tile):
            for col0 in range(cuda.blockIdx.x * tile, n, cuda.gridDim.x * tile):
                row = row0 + ty
                col = col0 + tx
                acc = zero
                for t in range(0, k, tile):
                    sa[ty, tx] = a[row, t + tx] if row < m and t + tx < k else zero
                    sb[ty, tx] = b[t + ty, col] if t + ty < k and col < n else zero
                    cuda.syncthreads()
                    for j in range(tile):
                        acc += sa[ty, j] * sb[j, tx]
                    cuda.syncthreads()
                if row < m and col < n:
                    out[row, col] = acc

    return matmul


_MATMUL: dict = {}


def matmul(a, b, out) -> None:
    """out (m, n) = a (m, k) @ b (k, n) for float32 or float64 device arrays (any strides)."""
    dtype = np.dtype(out.dtype)
    if dtype not in _MATMUL:
        _MATMUL[dtype] = _matmul_kernel(np.float32 if dtype == np.float32 else np.float64)
    m, n = out.shape
    grid = (max(1, min(math.ceil(n / TILE), MAX_BLOCKS)), max(1, min(math.ceil(m / TILE), MAX_BLOCKS)))
    _MATMUL[dtype][grid, (TILE, TILE)](a, b, out)


def matmul_nd(x, y, out) -> None:
    """out = x @ y with NumPy's rules: vectors as one-row/one-column matrices, leading batch
    axes broadcast (size 1 repeats), one tiled product per batch element."""
    if x.ndim <= 2 and y.ndim <= 2:
        if x.ndim == 1 and y.ndim == 1:
            target = view(out, lambda a: a[None, None])
        elif x.ndim == 1:
            target = view(out, lambda a: a[None, :])
        elif y.ndim == 1:
            target = view(out, lambda a: a[:, None])
        else:
            target = out
        matmul(as_matrix(x, row=True), as_matrix(y, row=False), target)
        return
    batch = out.ndim - (x.ndim > 1) - (y.ndim > 1)

    def part(a, b):
        k = max(a.ndim - 2, 0)
        return index(a, tuple(0 if a.shape[j] == 1 else b[batch - k + j] for j in range(k))) if k else a

    for b in np.ndindex(*out.shape[:batch]):
        matmul_nd(part(x, b), part(y, b), index(out, b))


def ptx(kernel, signature: list) -> str:
    """PTX of a ``@cuda.jit`` kernel for parameters ``(dtype, ndim)`` (ndim None: a scalar;
    arrays of any layout), for this GPU's compute capability, or 8.0 without one. Needs
    NVVM (a CUDA toolkit, or the ``cuda-toolkit[nvvm]`` wheels), not a GPU."""
    from numba import types

    def numba_type(dtype):
        return types.boolean if dtype == "bool" else getattr(types, dtype)

    args = tuple(numba_type(d) if ndim is None else types.Array(numba_type(d), ndim, "A") for d, ndim in signature)
    cc = cuda.get_current_device().compute_capability if cuda.is_available() else (8, 0)
    fastmath = bool(getattr(kernel, "targetoptions", {}).get("fastmath", False))  # as the kernel was declared
    return cuda.compile_ptx(kernel.py_func, args, cc=cc, fastmath=fastmath)[0]


# -- gathers, scatters, argmax, one-hot: one thread per output element --------------------------
@cuda.jit(device=True)
def _coordinates(k, shape):
    """The 4-axis index of flat position ``k`` in a C-ordered array of ``shape``
    (a leading 1 serves 3-axis arrays)."""
    d3 = k % shape[3]
    d2 = (k // shape[3]) % shape[2]
    d1 = (k // (shape[3] * shape[2])) % shape[1]
    return k // (shape[3] * shape[2] * shape[1]), d1, d2, d3


def _launch(kernel, work: int, *args) -> None:
    kernel[blocks(work), THREADS](*args)


def _flag():
    return cuda.to_device(np.zeros(1, np.int32))


def _raise_if(flag, message: str) -> None:
    """A kernel's error flag read back (a synchronization): IndexError if it was set."""
    if flag.copy_to_host()[0]:
        raise IndexError(message)


@cuda.jit
def _take_rows_kernel(x, idx, out, flag):
    n, width = x.shape
    total = out.shape[0] * width
    for k in range(cuda.grid(1), total, cuda.gridsize(1)):
        row = k // width
        i = idx[row]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            flag[0] = 1
        else:
            out[row, k % width] = x[i, k % width]


def take_rows(x, idx, out) -> None:
    """out (m, w) = x (n, w)[idx (m)], negative indices wrapping; IndexError out of range."""
    flag = _flag()
    _launch(_take_rows_kernel, out.size, x, idx, out, flag)
    _raise_if(flag, "index out of bounds in take")


@cuda.jit
def _take_rows_grad_kernel(idx, g, out, flag):
    n, width = out.shape
    total = g.shape[0] * width
    for k in range(cuda.grid(1), total, cuda.gridsize(1)):
        row = k // width
        i = idx[row]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            flag[0] = 1
        else:
            cuda.atomic.add(out, (i, k % width), g[row, k % width])  # repeated indices add up


def take_rows_grad(idx, g, out) -> None:
    """out (n, w) = zeros, then g (m, w) added at rows idx (m) (atomically: repeats add up);
    IndexError out of range."""
    zero(out)
    flag = _flag()
    _launch(_take_rows_grad_kernel, g.size, idx, g, out, flag)
    _raise_if(flag, "index out of bounds in take")


@cuda.jit
def _take_along_kernel(x, idx, out, flag):
    n = x.shape[1]
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        _, b, c, a = _coordinates(k, (1, out.shape[0], out.shape[1], out.shape[2]))
        i = idx[b, c, a]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            flag[0] = 1
        else:
            out[b, c, a] = x[b, i, a]


def take_along(x, idx, out) -> None:
    """out (B, m, A) = x (B, n, A) gathered along the middle axis at idx (B, m, A)."""
    flag = _flag()
    _launch(_take_along_kernel, out.size, x, idx, out, flag)
    _raise_if(flag, "index out of bounds in take_along_axis")


@cuda.jit
def _take_along_grad_kernel(idx, g, out, flag):
    n = out.shape[1]
    for k in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        _, b, c, a = _coordinates(k, (1, g.shape[0], g.shape[1], g.shape[2]))
        i = idx[b, c, a]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            flag[0] = 1
        else:
            cuda.atomic.add(out, (b, i, a), g[b, c, a])


def take_along_grad(idx, g, out) -> None:
    """out (B, n, A) = zeros, then g (B, m, A) added at the gathered positions; IndexError
    out of range."""
    zero(out)
    flag = _flag()
    _launch(_take_along_grad_kernel, g.size, idx, g, out, flag)
    _raise_if(flag, "index out of bounds in take_along_axis")


@cuda.jit
def _one_hot_kernel(idx, out):
    n = out.shape[1]
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[k // n, k % n] = 1 if idx[k // n] == k % n else 0


def one_hot(idx, out) -> None:
    """out (r, n)[r, c] = idx (r)[r] == c."""
    _launch(_one_hot_kernel, out.size, idx, out)


@cuda.jit
def _argmax_kernel(x, out):
    before, n, after = x.shape
    for k in range(cuda.grid(1), before * after, cuda.gridsize(1)):
        b = k // after
        a = k % after
        best = 0
        for i in range(1, n):
            if x[b, i, a] > x[b, best, a]:
                best = i
        out[b, a] = best


@cuda.jit
def _cumulate_kernel(x, product, out):
    before, n, after = x.shape
    for k in range(cuda.grid(1), before * after, cuda.gridsize(1)):
        b = k // after
        a = k % after
        acc = x[b, 0, a]  # x has out's dtype (the driver converts it) and n >= 1 (cumulate)
        out[b, 0, a] = acc
        for i in range(1, n):
            acc = acc * x[b, i, a] if product else acc + x[b, i, a]
            out[b, i, a] = acc


def cumulate(x, product: bool, out) -> None:
    """out (B, n, A) = the running sum (or product) of x (B, n, A) along its middle axis."""
    if x.size:
        _launch(_cumulate_kernel, out.shape[0] * out.shape[2], x, product, out)


@cuda.jit(device=True)
def _after(a, b):
    """Whether a sorts after b: greater, or NaN where b is not (NumPy puts NaN last)."""
    return a > b or (a != a and b == b)


@cuda.jit
def _argsort_kernel(x, out):
    before, n, after = x.shape
    for k in range(cuda.grid(1), before * after, cuda.gridsize(1)):
        b = k // after
        a = k % after
        for i in range(n):  # insertion sort of the indices: stable
            j = i
            while j > 0 and _after(x[b, out[b, j - 1, a], a], x[b, i, a]):
                out[b, j, a] = out[b, j - 1, a]
                j -= 1
            out[b, j, a] = i


def argsort(x, out) -> None:
    """out (B, n, A) = the stable order of x (B, n, A) along its middle axis (one thread a
    row: an insertion sort, for the short rows of neural-net code)."""
    if x.size:
        _launch(_argsort_kernel, out.shape[0] * out.shape[2], x, out)


def argmax(x, out) -> None:
    """out (B, A) = argmax of x (B, n, A) over its middle axis (the first maximum)."""
    _launch(_argmax_kernel, out.size, x, out)


@cuda.jit
def _zero_kernel(flat):
    for k in range(cuda.grid(1), flat.size, cuda.gridsize(1)):
        flat[k] = 0


def zero(out) -> None:
    """Fill a C-contiguous device array with zeros."""
    _launch(_zero_kernel, out.size, out.reshape(out.size))


# -- convolution and pooling on NCHW: direct, one thread per output element ---------------------
# Gradients gather (each thread sums what reaches its element) rather than scatter: no
# atomics, and the same order of additions on every run.
@cuda.jit
def _conv2d_kernel(x, w, sh, sw, ph, pw, acc0, out):
    channels, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    h, wi = x.shape[2], x.shape[3]
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        b, f, y, z = _coordinates(k, out.shape)
        acc = acc0
        for c in range(channels):
            for i in range(kh):
                r = y * sh + i - ph
                if 0 <= r < h:
                    for j in range(kw):
                        s = z * sw + j - pw
                        if 0 <= s < wi:
                            acc += x[b, c, r, s] * w[f, c, i, j]
        out[b, f, y, z] = acc


@cuda.jit
def _conv2d_grad_input_kernel(w, g, sh, sw, ph, pw, acc0, out):
    features, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    ho, wo = g.shape[2], g.shape[3]
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        b, c, r0, s0 = _coordinates(k, out.shape)
        acc = acc0
        for i in range(kh):
            ry = r0 + ph - i  # = y * sh for the output row y this tap came from
            if ry >= 0 and ry % sh == 0 and ry // sh < ho:
                for j in range(kw):
                    sz = s0 + pw - j
                    if sz >= 0 and sz % sw == 0 and sz // sw < wo:
                        for f in range(features):
                            acc += w[f, c, i, j] * g[b, f, ry // sh, sz // sw]
        out[b, c, r0, s0] = acc


@cuda.jit
def _conv2d_grad_weight_kernel(x, g, sh, sw, ph, pw, acc0, out):
    n, ho, wo = g.shape[0], g.shape[2], g.shape[3]
    h, wi = x.shape[2], x.shape[3]
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        f, c, i, j = _coordinates(k, out.shape)
        acc = acc0
        for b in range(n):
            for y in range(ho):
                r = y * sh + i - ph
                if 0 <= r < h:
                    for z in range(wo):
                        s = z * sw + j - pw
                        if 0 <= s < wi:
                            acc += x[b, c, r, s] * g[b, f, y, z]
        out[f, c, i, j] = acc


# Sums start from a zero of the output's dtype, passed in: a literal 0.0 would make a
# float32 convolution accumulate (and run) in float64.
def conv2d(x, w, sh, sw, ph, pw, out) -> None:
    _launch(_conv2d_kernel, out.size, x, w, sh, sw, ph, pw, _zero_of(out), out)


def conv2d_grad_input(w, g, sh, sw, ph, pw, out) -> None:
    _launch(_conv2d_grad_input_kernel, out.size, w, g, sh, sw, ph, pw, _zero_of(out), out)


def conv2d_grad_weight(x, g, sh, sw, ph, pw, out) -> None:
    _launch(_conv2d_grad_weight_kernel, out.size, x, g, sh, sw, ph, pw, _zero_of(out), out)


def _zero_of(out):
    return np.dtype(out.dtype).type(0)


@cuda.jit(device=True)
def _window_max(x, b, c, y0, z0, kh, kw):
    """(row, column) of the window's first maximum, row-major (nan wins, as in NumPy)."""
    bi, bj = 0, 0
    best = x[b, c, y0, z0]
    for i in range(kh):
        for j in range(kw):
            v = x[b, c, y0 + i, z0 + j]
            if v > best or (v != v and best == best):
                best, bi, bj = v, i, j
    return bi, bj


@cuda.jit
def _pool2d_kernel(x, kh, kw, sh, sw, average, scale, out):
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        b, c, y, z = _coordinates(k, out.shape)
        if average:
            total = scale - scale  # a zero of the output's dtype
            for i in range(kh):
                for j in range(kw):
                    total += x[b, c, y * sh + i, z * sw + j]
            out[b, c, y, z] = total * scale
        else:
            bi, bj = _window_max(x, b, c, y * sh, z * sw, kh, kw)
            out[b, c, y, z] = x[b, c, y * sh + bi, z * sw + bj]


@cuda.jit
def _pool2d_grad_kernel(x, g, kh, kw, sh, sw, average, scale, out):
    ho, wo = g.shape[2], g.shape[3]
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        b, c, r, s = _coordinates(k, out.shape)
        acc = scale - scale
        # the windows (y, z) that cover (r, s): y·sh ≤ r < y·sh + kh
        for y in range(max(0, (r - kh + sh) // sh), min(ho, r // sh + 1)):
            for z in range(max(0, (s - kw + sw) // sw), min(wo, s // sw + 1)):
                if average:
                    acc += g[b, c, y, z] * scale
                else:
                    bi, bj = _window_max(x, b, c, y * sh, z * sw, kh, kw)
                    if y * sh + bi == r and z * sw + bj == s:
                        acc += g[b, c, y, z]
        out[b, c, r, s] = acc


def _scale(kh, kw, out):
    """1 / (window size) in the output's dtype (averages stay in float32 for float32)."""
    return np.dtype(out.dtype).type(1.0 / (kh * kw))


def pool2d(x, kh, kw, sh, sw, average: bool, out) -> None:
    _launch(_pool2d_kernel, out.size, x, kh, kw, sh, sw, average, _scale(kh, kw, out), out)


def pool2d_grad(x, g, kh, kw, sh, sw, average: bool, out) -> None:
    """The pooling pullback; ``x`` is only read for max pooling (pass g for average)."""
    _launch(_pool2d_grad_kernel, out.size, x, g, kh, kw, sh, sw, average, _scale(kh, kw, out), out)


# -- counter-based uniform noise: bit for bit cpulib.random_uniform -------------------------------
_mix = cuda.jit(device=True)(cpulib._mix.py_func)  # the CPU's splitmix64 finalizer, compiled for the GPU


@cuda.jit
def _random_uniform_kernel(seed, counter, single, flat):
    # the counter is read on the device: a Dropout step needs no copy back to the host
    key = _mix(np.uint64(seed) ^ _mix(np.uint64(counter[0])))
    for k in range(cuda.grid(1), flat.size, cuda.gridsize(1)):
        # element k of cpulib's sequence: key advanced k + 1 golden steps (wrapping uint64)
        bits = _mix(key + np.uint64(k + 1) * cpulib._GOLDEN)
        if single:
            flat[k] = np.float32(bits >> np.uint64(40)) * np.float32(2.0**-24)
        else:
            flat[k] = np.float64(bits >> np.uint64(11)) * 2.0**-53


def random_uniform(seed: int, counter, single: bool, out) -> None:
    """out = U[0, 1) noise for (seed, counter), the same numbers as on the CPU; ``counter``
    is a 0-d int64 device array (a RandomStream's state) or an int."""
    if isinstance(counter, (int, np.integer)):
        counter = cuda.to_device(np.array([counter], np.int64))
    else:
        counter = counter.reshape(1)
    _launch(_random_uniform_kernel, out.size, np.uint64(seed), counter, single, out.reshape(out.size))
