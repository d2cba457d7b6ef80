"""Device views on a real GPU's arrays, checked without a GPU: with the simulator off,
``cudalib`` builds ``DeviceNDArray`` views over a stand-in memory object that records byte
offsets, and every element's address must be the one NumPy's own view gives. (Under the
simulator, views are NumPy views of the simulated arrays and need no check.)"""

import os
import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import itertools
    import numpy as np
    from numba.cuda.cudadrv.devicearray import DeviceNDArray
    from symnet.codegen import cudalib

    assert not cudalib.SIMULATOR

    class Memory:  # stands in for device memory: remembers where a view starts
        def __init__(self, offset=0):
            self.offset = offset

        def view(self, start, stop=None):
            return Memory(self.offset + start)

    def device(a):
        return DeviceNDArray(a.shape, a.strides, a.dtype, gpu_data=Memory())

    def addresses(shape, strides, offset):
        return [offset + sum(i * s for i, s in zip(idx, strides)) for idx in itertools.product(*map(range, shape))]

    def same(view, expected, base):
        assert view.shape == expected.shape, (view.shape, expected.shape)
        if expected.size == 0:
            return
        start = expected.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        assert addresses(view.shape, view.strides, view.gpu_data.offset) == addresses(expected.shape, expected.strides, start)

    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    t = a.transpose(2, 0, 1)  # a non-contiguous base
    keys = [(1,), (slice(1, 3), None, slice(None, None, -2)), (0, 0, 0), (slice(None), 2), (Ellipsis, 1),
            (slice(None, None, -1), slice(1, 4, 2)), (None, 2, slice(1, 3))]  # size 0 needs a GPU context
    checked = 0
    for base in (a, t):
        for key in keys:
            same(cudalib.index(device(base), key), base[key + (Ellipsis,)] if Ellipsis not in key else base[key], base)
            checked += 1
    m = np.arange(6, dtype=np.float64).reshape(1, 6)
    for order, expected in (((1, 0), m.T), ((1,), m[0]), (("x", 1, "x", 0), m.T[None, :, None, :]), ((), None)):
        if expected is None:
            one = np.ones((1, 1))
            same(cudalib.dimshuffle(device(one), ()), one[0, 0, ...], one)
        else:
            same(cudalib.dimshuffle(device(m), order), expected, m)
        checked += 1
    v = np.arange(7, dtype=np.float32)[::2]
    same(cudalib.as_matrix(device(v), row=True), v[None, :], v)
    same(cudalib.as_matrix(device(v), row=False), v[:, None], v)
    print("OK", checked + 2)
    """
)


def test_device_views_address_the_elements_numpy_does():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("OK")
