"""target="cuda" against the interpreter: the op battery, gradients, an MLP train step,
device-resident state, device arrays in and out, errors. Under Numba's CUDA simulator unless
run with NUMBA_ENABLE_CUDASIM=0 on a machine with a GPU (conftest.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symnet as sn
from symnet.codegen import cudalib
from symnet.bench import mlp_params, numpy_mlp_step, w4_step_symnet
from symnet.testing import check_random_graphs, random_graph
from tests.battery import BATTERY, check_gradients, check_values, grad_items

pytestmark = pytest.mark.cuda


def _usable() -> bool:
    from numba import cuda

    return cudalib.SIMULATOR or cuda.is_available()


if not _usable():
    pytest.skip("no GPU and the CUDA simulator is off (NUMBA_ENABLE_CUDASIM=0)", allow_module_level=True)


@pytest.mark.parametrize("dtype, items", BATTERY)
def test_cuda_matches_the_interpreter(dtype, items):
    check_values(items, "cuda")


@pytest.mark.parametrize("items", grad_items())
def test_cuda_gradients_match_the_interpreter(items):
    check_gradients(items, "cuda")


CUDA_GRAPHS = int(os.environ.get("SYMNET_CUDA_RANDOM_GRAPHS", "0"))


@settings(max_examples=max(1, CUDA_GRAPHS // 8) if CUDA_GRAPHS else 2, deadline=None, derandomize=not CUDA_GRAPHS,
          database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_graphs_on_cuda_agree_with_the_interpreter(data):
    """Random graphs (tests/test_random_graphs.py's generator), values and gradients;
    SYMNET_CUDA_RANDOM_GRAPHS=N for a long run with fresh draws."""
    check_random_graphs([random_graph(data.draw) for _ in range(8)], target="cuda")


def test_mlp_train_step_matches_numpy_and_state_stays_on_the_device():
    rng = np.random.default_rng(0)
    params = mlp_params([12, 10, 6, 4], rng)
    step = w4_step_symnet(params, lr=0.1, target="cuda")
    shared = [v for v, _ in step.graph.updates]
    reference = [p.copy() for p in params]
    for _ in range(3):
        x, t = rng.standard_normal((9, 12)).astype(np.float32), rng.integers(0, 4, 9)
        loss = step(x, t)
        want = numpy_mlp_step(x, t, reference, 0.1)
        assert loss.shape == () and abs(float(loss) - want) < 1e-5
    assert all(s._device is not None for s in shared)  # still on the device after the calls
    for s, p in zip(shared, reference):
        np.testing.assert_allclose(s.get_value(), p, rtol=1e-5, atol=1e-6)


def test_cpu_and_cuda_functions_see_each_others_updates():
    w = sn.shared(np.zeros(3, np.float32), name="w")
    x = sn.vector("x")
    on_gpu = sn.function([x], sn.sum(w), updates=[(w, w + x)], target="cuda")
    on_cpu = sn.function([x], sn.sum(w), updates=[(w, w + 2 * x)], target="cpu")
    ones = np.ones(3, np.float32)
    assert on_gpu(ones) == 0 and on_cpu(ones) == 3 and on_gpu(ones) == 9 and on_cpu(ones) == 12
    np.testing.assert_array_equal(w.get_value(), [6, 6, 6])
    w.set_value(np.full(3, 10, np.float32))
    assert on_gpu(ones) == 30
    np.testing.assert_array_equal(w.get_value(), [11, 11, 11])


def test_device_arrays_in_and_out():
    from numba import cuda

    x = sn.matrix("x")
    f = sn.function([x], [sn.tanh(x) * 2, sn.sum(x, axis=1)], target="cuda")
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    f.device_outputs = True
    y, s = f(cuda.to_device(a))
    assert cudalib.is_device_array(y) and cudalib.is_device_array(s)
    np.testing.assert_allclose(y.copy_to_host(), np.tanh(a) * 2, rtol=1e-6)
    np.testing.assert_allclose(s.copy_to_host(), a.sum(axis=1), rtol=1e-6)
    with pytest.raises(TypeError, match=r"input 0 \(x\).*float64"):
        f(cuda.to_device(a.astype(np.float64)))


def test_shape_errors_name_the_input_and_leave_state_alone():
    w = sn.shared(np.ones((3, 2), np.float32), name="w")
    x = sn.matrix("x")
    f = sn.function([x], sn.sum(x @ w), updates=[(w, w * 2)], target="cuda")
    with pytest.raises(sn.ShapeError, match="matmul inner sizes differ: x has 4 columns, w has 3 rows"):
        f(np.ones((2, 4), np.float32))
    np.testing.assert_array_equal(w.get_value(), np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"input 0 \(x\)"):
        f(np.ones(3, np.float32))


def test_updates_read_old_values_on_the_device():
    a, b = sn.shared(np.float64(1.0), name="a"), sn.shared(np.float64(2.0), name="b")
    f = sn.function([], [], updates=[(a, b), (b, a + b)], target="cuda")
    f()
    assert (a.get_value(), b.get_value()) == (2.0, 3.0)


@pytest.mark.parametrize("target", ["cuda", "cpu"])
def test_sigmoid_and_its_losses_stay_finite_at_huge_logits(target, monkeypatch):
    # sigmoid printed as 1/(1 + exp(-x)) overflowed: an OverflowError under the simulator
    monkeypatch.setattr(sn.config, "fast_math", False)  # the cpu's libm spelling, as cuda's
    z = sn.vector("z", dtype="float64")
    t = sn.vector("t", dtype="float64")
    loss = sn.sum(sn.nn.binary_crossentropy(sn.sigmoid(z), t))
    outputs = [sn.sigmoid(z), loss, sn.grad(loss, z), sn.grad(sn.sum(sn.sigmoid(z)), z)]
    args = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]), np.full(5, 0.25)
    for got, want in zip(sn.function([z, t], outputs, target=target)(*args), sn.function([z, t], outputs, target="interp")(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


def test_source_shows_cuda_kernels_and_the_driver():
    x = sn.matrix("x")
    f = sn.function([x], sn.sum(sn.exp(x) * 2 + 1, axis=0), target="cuda")
    assert "@cuda.jit" in f.source and "cuda.shared.array" in f.source and "def run(" in f.source
    assert len(f.kernels) == 1 and f.kernels[0].kind == "reduction"
    np.testing.assert_allclose(f(np.ones((3, 2), np.float32)), [3 * (np.e * 2 + 1)] * 2, rtol=1e-6)


def test_random_uniform_is_the_cpus_bit_for_bit():
    x = sn.matrix("x")
    stream = sn.RandomStream(7)
    noise = stream.uniform_like(x)
    a = np.zeros((5, 7), np.float32)
    got = sn.function([x], noise, target="cuda")(a)
    assert stream.counter.get_value() == 1  # a call moves the stream on by itself
    stream.counter.set_value(np.int64(0))
    np.testing.assert_array_equal(got, sn.function([x], noise, target="cpu")(a))


def test_nn_model_trains_on_cuda_like_on_the_cpu():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    losses, weights = {}, None
    for target in ("cpu", "cuda"):
        model = sn.nn.Sequential([sn.nn.Dense(6, activation="relu", input_dim=5), sn.nn.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], target=target)
        if weights is None:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        losses[target] = history.history["loss"]
        assert model.predict(x[:3]).shape == (3, 1)
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-4)
