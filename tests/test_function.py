"""sn.function: argument checks, updates, error messages that point at the user's line."""

import numpy as np
import pytest

import symnet as sn


def interp(inputs, outputs, updates=None):
    return sn.function(inputs, outputs, updates=updates, target="interp")


def test_updates_read_old_values_simultaneously():
    a = sn.shared(np.float32(1.0), name="a")
    b = sn.shared(np.float32(10.0), name="b")
    f = interp([], [a + b], updates=[(a, b), (b, a)])  # a swap
    assert f() == [11.0]
    assert a.get_value() == 10.0 and b.get_value() == 1.0


def test_outputs_are_computed_before_updates():
    w = sn.shared(np.array([1.0, 2.0], dtype="float32"), name="w")
    f = interp([], w * 2, updates=[(w, w + 1)])
    np.testing.assert_array_equal(f(), [2.0, 4.0])
    np.testing.assert_array_equal(w.get_value(), [2.0, 3.0])


def test_a_failed_call_updates_nothing():
    w = sn.shared(np.zeros(3, dtype="float32"), name="w")
    x = sn.vector("x")
    f = interp([x], sn.sum(x), updates=[(w, w + x)])
    with pytest.raises(sn.ShapeError):
        f(np.ones(4))  # x + w cannot broadcast (4 vs 3)
    np.testing.assert_array_equal(w.get_value(), np.zeros(3))


def test_a_training_step_decreases_the_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3)).astype("float32")
    y = (X @ np.array([1.0, -2.0, 0.5]) > 0).astype("float32")
    x, t = sn.matrix("x"), sn.vector("t")
    W = sn.shared(np.zeros(3, dtype="float32"), name="W")
    b = sn.shared(np.float32(0.0), name="b")
    loss = sn.mean(sn.nn.binary_crossentropy(sn.sigmoid(x @ W + b), t))
    gW, gb = sn.grad(loss, [W, b])
    step = interp([x, t], loss, updates=[(W, W - 0.5 * gW), (b, b - 0.5 * gb)])
    losses = [float(step(X, y)) for _ in range(30)]
    assert losses[0] == pytest.approx(np.log(2.0), rel=1e-6)
    assert losses[-1] < 0.5 * losses[0]


def test_array_likes_and_safe_casts_are_accepted():
    x = sn.vector("x")
    f = interp([x], x * 2)
    np.testing.assert_array_equal(f([1, 2, 3]), [2.0, 4.0, 6.0])
    assert f(np.arange(3.0)).dtype == np.float32  # float64 data into a float32 input: same kind


def test_wrong_ndim_dtype_and_shape_name_the_input():
    x = sn.matrix("x")
    k = sn.vector("k", "int32")
    s = sn.tensor("s", shape=(None, 3))
    f = interp([x, k, s], [sn.sum(x), k * 2, s])
    with pytest.raises(TypeError, match=r"input 0 \(x\).*2 dims"):
        f(np.ones(3), np.ones(3, "int32"), np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"input 1 \(k\).*float64"):
        f(np.ones((2, 2)), np.ones(3), np.ones((2, 3)))
    with pytest.raises(sn.ShapeError, match=r"input 2 \(s\).*\(\?, 3\)"):
        f(np.ones((2, 2)), np.ones(3, "int32"), np.ones((2, 4)))
    with pytest.raises(TypeError, match="takes 3 arguments"):
        f(np.ones((2, 2)))


def test_a_mismatch_inside_the_graph_names_the_node_and_the_user_line():
    x, y = sn.vector("x"), sn.vector("y")
    z = x + y  # the line the error must show
    f = interp([x, y], z)
    with pytest.raises(sn.ShapeError) as err:
        f(np.ones(3), np.ones(4))
    assert "add(x, y)" in str(err.value) and "z = x + y  # the line the error must show" in str(err.value)


def test_runtime_broadcasting_needs_a_declared_size_one_axis():
    x, y = sn.matrix("x"), sn.matrix("y")
    with pytest.raises(sn.ShapeError, match="not declared broadcastable"):
        interp([x, y], x + y)(np.ones((2, 3)), np.ones((1, 3)))
    r = sn.tensor("r", shape=(1, None))
    np.testing.assert_array_equal(interp([x, r], x + r)(np.ones((2, 3)), np.ones((1, 3))), np.full((2, 3), 2.0))


def test_known_size_mismatches_raise_at_build_time():
    a = sn.tensor("a", shape=(None, 3))
    b = sn.tensor("b", shape=(None, 4))
    with pytest.raises(sn.ShapeError):
        a @ sn.tensor("c", shape=(4, 2))
    with pytest.raises(sn.ShapeError):
        a + sn.tensor("d", shape=(2, 4))
    assert (a @ b).type.shape == (None, 4)


def test_function_argument_errors():
    x = sn.vector("x")
    w = sn.shared(np.zeros(3, dtype="float32"), name="w")
    with pytest.raises(ValueError, match="depend on y"):
        interp([x], x + sn.vector("y"))
    with pytest.raises(TypeError, match="not a free input"):
        interp([x * 2], x)
    with pytest.raises(TypeError, match="not a shared variable"):
        interp([x], x, updates=[(x, x + 1)])
    with pytest.raises(TypeError, match=r"update of w \(float32\) has dtype float64"):
        interp([x], x, updates=[(w, w + sn.constant(np.ones(3)))])
    with pytest.raises(sn.ShapeError, match="update of w"):
        interp([x], x, updates=[(w, sn.tensor("m", shape=(3, 3)))])
    with pytest.raises(ValueError, match="unknown target"):
        sn.function([x], x, target="gpu")


def test_shared_variable_set_value_checks_shape_and_dtype():
    w = sn.shared(np.zeros((2, 3), dtype="float32"), name="w")
    with pytest.raises(sn.ShapeError, match="w has shape"):
        w.set_value(np.zeros((3, 2)))
    with pytest.raises(TypeError):
        w.set_value(np.array([["a"] * 3] * 2))
    w.set_value(np.ones((2, 3)))
    assert w.get_value().dtype == np.float32


def test_constant_outputs_and_no_inputs():
    f = interp([], sn.constant(3.0) * 2)
    assert f() == 6.0


def test_floatX_controls_the_default_dtype(monkeypatch):
    monkeypatch.setattr(sn.config, "floatX", "float64")
    assert sn.vector("x").dtype == "float64"
    assert sn.exp(sn.vector("i", "int32")).dtype == "float64"


def test_debugprint_and_dot_show_the_graph(capsys):
    x = sn.vector("x")
    y = sn.exp(x) + sn.exp(x)
    text = sn.debugprint(y)
    assert capsys.readouterr().out.strip() == text
    assert text.splitlines()[0].startswith("add")
    assert "exp" in text and "x float32[?]" in text
    dot = sn.to_dot(sn.function([x], y, target="interp"))
    assert dot.startswith("digraph") and dot.count("exp") == 1  # merged


def test_dot_escapes_user_names():
    x = sn.vector('evil"name\\')
    dot = sn.to_dot(sn.exp(x))
    assert 'evil\\"name\\\\' in dot


def test_arrays_with_odd_dtypes_are_converted_once():
    x = sn.vector("x")
    f = sn.function([x], x * 2)
    tagged = np.array([1, 2], dtype=np.dtype("float32", metadata={"unit": "m"}))
    for a in (tagged, np.array([1, 2], ">f4"), [1, 2]):
        np.testing.assert_array_equal(f(a), [2.0, 4.0])
