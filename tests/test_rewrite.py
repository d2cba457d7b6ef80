"""Each rewrite checked twice: by the graph it produces and by the values at extreme inputs."""

import numpy as np
import pytest

import symnet as sn
from symnet.graph import toposort
from symnet.rewrite.passes import optimize
from symnet.testing import check_grad


def op_names(outputs) -> list:
    return [node.op.name for node in toposort(outputs)]


def compiled(inputs, outputs):
    return sn.function(inputs, outputs, target="interp")


def test_merge_computes_a_repeated_subexpression_once():
    x = sn.vector("x")
    a = sn.exp(x) * 2
    b = sn.exp(x) * 2  # built twice, separately
    (out,) = optimize([a + b])
    assert op_names([out]).count("exp") == 1
    assert op_names([out]).count("mul") == 1


def test_merge_unifies_equal_constants():
    x = sn.vector("x")
    (out,) = optimize([x * np.float32(3.0) + x * sn.constant(np.float32(3.0))])
    assert op_names([out]).count("mul") == 1


def test_constant_folding_goes_through_the_interpreter():
    x = sn.vector("x")
    c = sn.exp(sn.constant(np.float32(0.0))) + 1  # = 2
    (out,) = optimize([x * c])
    assert op_names([out]) == ["mul"]
    folded = [v for v in out.owner.inputs if isinstance(v, sn.Constant)]
    assert folded and folded[0].data == 2


@pytest.mark.parametrize(
    "build",
    [lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0, lambda x: 0 + x, lambda x: x - 0, lambda x: x / 1, lambda x: -(-x)],
    ids=["x*1", "1*x", "x+0", "0+x", "x-0", "x/1", "--x"],
)
def test_canonicalize_removes_no_ops(build):
    x = sn.vector("x")
    (out,) = optimize([build(x)])
    assert out is x


def test_canonicalize_keeps_a_no_op_that_broadcasts():
    x = sn.vector("x")
    ones = sn.constant(np.ones((2, 1), dtype="float32"))
    (out,) = optimize([x * ones])  # the result is 2-d: not a no-op
    assert out.ndim == 2
    f = compiled([x], x * ones)
    np.testing.assert_array_equal(f(np.arange(3)), np.ones((2, 1)) * np.arange(3))


def test_canonicalize_merges_transposes():
    x = sn.matrix("x")
    (out,) = optimize([x.T.T])
    assert out is x
    t = sn.tensor3("t")
    (out,) = optimize([t.transpose(1, 2, 0).transpose(2, 0, 1)])
    assert out is t


def test_reshape_of_reshape_is_one_reshape():
    x = sn.matrix("x")
    (out,) = optimize([x.reshape(-1).reshape((2, -1))])
    assert op_names([out]) == ["reshape"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_sigmoid_is_minus_softplus_of_minus_x(dtype):
    x = sn.vector("x", dtype)
    y = sn.log(sn.sigmoid(x))
    (out,) = optimize([y])
    assert "sigmoid" not in op_names([out]) and "softplus" in op_names([out])
    values = compiled([x], y)(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype))
    np.testing.assert_allclose(values, [-1000.0, -50.0, -np.log(2.0), 0.0, 0.0], atol=1e-6)
    g = compiled([x], sn.grad(sn.sum(y), x))(np.array([-1000.0, 0.0, 1000.0], dtype=dtype))
    np.testing.assert_allclose(g, [1.0, 0.5, 0.0])


def test_log_one_minus_sigmoid_after_canonicalize():
    """1 - sigmoid(x) is canonicalized to sigmoid(-x); stabilize must still fire on the log."""
    x = sn.vector("x", "float64")
    y = sn.log(1 - sn.sigmoid(x))
    (out,) = optimize([y])
    assert "sigmoid" not in op_names([out])
    values = compiled([x], y)(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(values, [0.0, -np.log(2.0), -1000.0])
    g = compiled([x], sn.grad(sn.sum(y), x))(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(g, [0.0, -0.5, -1.0])


def test_log_softmax_replaces_log_of_softmax():
    x = sn.matrix("x", "float64")
    y = sn.log(sn.softmax(x))
    (out,) = optimize([y])
    assert op_names([out]) == ["log_softmax"]
    big = np.array([[0.0, 1000.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(compiled([x], y)(big), [[-1000.0, 0.0], [-1000.0, 0.0]])
    g = compiled([x], sn.grad(sn.sum(y[:, 0]), x))(big)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[1.0, -1.0], [1.0, -1.0]], atol=1e-12)


def test_logsumexp_replaces_log_sum_exp():
    x = sn.matrix("x", "float64")
    y = sn.log(sn.sum(sn.exp(x), axis=1))
    (out,) = optimize([y])
    assert "max" in op_names([out])
    values = compiled([x], y)(np.array([[1000.0, 1000.0], [-1000.0, -1000.0]]))
    np.testing.assert_allclose(values, [1000.0 + np.log(2.0), -1000.0 + np.log(2.0)])
    g = compiled([x], sn.grad(sn.sum(y), x))(np.array([[1000.0, 1000.0], [-1000.0, -1000.0]]))
    np.testing.assert_allclose(g, np.full((2, 2), 0.5))


def test_log1p_and_expm1_keep_small_values():
    x = sn.vector("x", "float64")
    tiny = np.array([1e-20])
    (out,) = optimize([sn.log(1 + x)])
    assert op_names([out]) == ["log1p"]
    np.testing.assert_allclose(compiled([x], sn.log(1 + x))(tiny), tiny)
    np.testing.assert_allclose(compiled([x], sn.exp(x) - 1)(tiny), tiny)


def test_binary_crossentropy_on_sigmoid_is_stable():
    z, t = sn.vector("z", "float64"), sn.vector("t", "float64")
    loss = sn.nn.binary_crossentropy(sn.sigmoid(z), t)
    zs = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    ts = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    values = compiled([z, t], loss)(zs, ts)
    np.testing.assert_allclose(values, [1000.0, 30.0, np.log(2.0), 30.0, 1000.0], rtol=1e-12)
    g = compiled([z, t], sn.grad(sn.sum(loss), z))(zs, ts)
    np.testing.assert_allclose(g, [-1.0, -1.0, 0.5, 1.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("target", ["interp", "cpu"])
def test_binary_crossentropy_on_a_column_of_sigmoids_is_stable(target):
    # the W3 model's spelling: a (n, 1) layer output sliced to a vector before the loss
    z, t = sn.tensor("z", "float64", shape=(None, 1)), sn.vector("t", "float64")
    loss = sn.sum(sn.nn.binary_crossentropy(sn.sigmoid(z)[:, 0], t))
    zs = np.array([[-1000.0], [30.0], [0.0], [1000.0]])
    ts = np.array([1.0, 0.0, 0.0, 1.0])
    value, g = sn.function([z, t], [loss, sn.grad(loss, z)], target=target)(zs, ts)
    np.testing.assert_allclose(value, 1000.0 + 30.0 + np.log(2.0), rtol=1e-12)
    np.testing.assert_allclose(g, [[-1.0], [1.0], [0.5], [0.0]], atol=1e-12)


def test_slices_that_keep_every_element_are_dimshuffles():
    z, y = sn.tensor("z", "float32", shape=(None, 1)), sn.vector("y")
    sliced = optimize([z[:, 0]])
    assert op_names(sliced) == ["dimshuffle"]
    # the gradient of such a slice adds into the whole array: an add, no inc_subtensor
    grad = optimize([sn.grad(sn.sum(sn.exp(z)[:, 0] * y), z)])
    assert "inc_subtensor" not in op_names(grad)
    zs, ys = np.random.default_rng(0).standard_normal((3, 1)).astype("float32"), np.arange(3, dtype="float32")
    np.testing.assert_allclose(compiled([z, y], sn.grad(sn.sum(sn.exp(z)[:, 0] * y), z))(zs, ys), np.exp(zs) * ys[:, None], rtol=1e-6)
    # a slice that drops elements stays a slice
    assert "subtensor" in op_names(optimize([z[1:, 0]]))


def test_the_gradient_of_several_slices_adds_into_one_buffer():
    # an LSTM's gates: four slices of one pre-activation, each used once
    z = sn.matrix("z", "float64")
    gates = [sn.sigmoid(z[:, 0:2]), sn.tanh(z[:, 2:4]), sn.exp(z[:, 4:6]), z[:, 1:3] * z[:, 1:3]]
    loss = sn.sum(gates[0] * gates[1] + gates[2] - gates[3])
    (grad,) = optimize([sn.grad(loss, z)])
    names = op_names([grad])
    # one zero buffer that each slice's gradient is added into: no sum of zero-filled copies
    assert names.count("zeros_like") == 1 and names.count("inc_subtensor") == 4
    assert not any(n.op.name == "add" and all(v.owner and v.owner.op.name == "inc_subtensor" for v in n.inputs) for n in toposort([grad]))
    zs = np.random.default_rng(1).standard_normal((3, 6))
    for target in ("interp", "cpu"):
        check_grad(lambda z: sn.sum(sn.sigmoid(z[:, 0:2]) * sn.tanh(z[:, 2:4]) + sn.exp(z[:, 4:6]) - z[:, 1:3] * z[:, 1:3]), [zs], target=target)


def test_elementwise_ops_lift_over_dimshuffles_to_join_chains():
    z = sn.tensor("z", "float32", shape=(None, 1))
    out = optimize([sn.log(sn.exp(z).T + 1.0)])
    assert op_names(out)[-1] == "dimshuffle"


def test_categorical_crossentropy_on_softmax_is_stable():
    z, t = sn.matrix("z", "float64"), sn.matrix("t", "float64")
    loss = sn.nn.categorical_crossentropy(sn.softmax(z), t)
    (out,) = optimize([loss])
    assert "log_softmax" in op_names([out]) and "softmax" not in op_names([out])
    zs = np.array([[1000.0, -1000.0], [0.0, 0.0]])
    ts = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(compiled([z, t], loss)(zs, ts), [2000.0, np.log(2.0)])
    g = compiled([z, t], sn.grad(sn.sum(loss), z))(zs, ts)
    np.testing.assert_allclose(g, [[1.0, -1.0], [-0.5, 0.5]], atol=1e-12)


def test_sparse_categorical_crossentropy_on_softmax_is_stable():
    z, idx = sn.matrix("z", "float64"), sn.vector("idx", "int64")
    loss = sn.nn.sparse_categorical_crossentropy(sn.softmax(z), idx)
    zs = np.array([[1000.0, -1000.0], [0.0, 0.0]])
    np.testing.assert_allclose(compiled([z, idx], loss)(zs, [1, 0]), [2000.0, np.log(2.0)])


def test_stabilize_respects_gradient_targets():
    """grad stabilizes the cost, but a wrt variable inside a pattern stays a leaf."""
    x = sn.vector("x", "float64")
    s = sn.sigmoid(x)
    cost = sn.sum(sn.log(s))
    gs = sn.grad(cost, s)
    np.testing.assert_allclose(compiled([x], gs)(np.array([0.0])), [2.0])


def test_rewritten_nodes_keep_the_user_line():
    x = sn.vector("x")
    y = sn.log(sn.sigmoid(x))  # the line the rewritten nodes point to
    (out,) = optimize([y])
    for node in toposort([out]):
        assert node.trace is not None and "sn.log(sn.sigmoid(x))" in node.trace.line


def test_optimized_graphs_verify():
    x, t = sn.matrix("x"), sn.vector("t")
    W = sn.shared(np.ones((3, 2), dtype="float32"))
    loss = sn.mean(sn.nn.binary_crossentropy(sn.sigmoid((x @ W).sum(axis=1)), t))
    f = sn.function([x, t], [loss, sn.grad(loss, W)], target="interp")
    sn.verify(f)
