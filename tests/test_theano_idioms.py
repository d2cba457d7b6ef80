"""Theano idioms on every target against NumPy: symbolic index and slice bounds, ``givens``
(the tutorials' minibatch loop), ``on_unused_input``, ``clone_replace``, ``%`` and ``//``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symnet as sn
from symnet.codegen import cudalib
from symnet.testing import check_grad

TARGETS = ("interp", "cpu", "cuda")

A = np.arange(30.0).reshape(6, 5)

# (build from x (a float64 matrix), i (int64), j (int32); the same index in NumPy of a, i, j)
INDEXES = {
    "row": (lambda x, i, j: x[i], lambda a, i, j: a[i]),
    "element": (lambda x, i, j: x[i, j], lambda a, i, j: a[i, j]),
    "columns_from": (lambda x, i, j: x[:, j:], lambda a, i, j: a[:, j:]),
    "minibatch": (lambda x, i, j: x[i * 2 : (i + 1) * 2], lambda a, i, j: a[i * 2 : (i + 1) * 2]),
    "negative_start_reversed": (lambda x, i, j: x[-i:, ::-1], lambda a, i, j: a[-i:, ::-1]),
    "symbolic_step": (lambda x, i, j: x[:: j + 1], lambda a, i, j: a[:: j + 1]),
    "from_shapes": (lambda x, i, j: x[x.shape[0] // 2 :, sn.maximum(j - 1, 0)], lambda a, i, j: a[3:, max(j - 1, 0)]),
    "modulo": (lambda x, i, j: x[i % 4 : i % 4 + 2, None], lambda a, i, j: a[i % 4 : i % 4 + 2, None]),
}
CALLS = ((1, 2), (2, 0), (0, 4), (-1, 1), (5, 3))


@pytest.fixture(scope="module")
def indexed():
    """One compiled function per target with every index as an output, and the gradient of
    sum over k of (k + 1) * sum(index_k ** 2)."""
    x = sn.matrix("x", dtype="float64")
    i, j = sn.scalar("i", dtype="int64"), sn.scalar("j", dtype="int32")
    outs = [build(x, i, j) for build, _ in INDEXES.values()]
    cost = sum(sn.sum(o * o) * (k + 1) for k, o in enumerate(outs))
    return {t: sn.function([x, i, j], outs + [sn.grad(cost, x)], target=t) for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_symbolic_indexes_and_slice_bounds_index_as_numpy_does(indexed, target):
    positions = np.arange(A.size).reshape(A.shape)
    for i, j in CALLS:
        *got, grad = indexed[target](A, i, j)
        expected_grad = np.zeros(A.size)
        for k, (name, (_, ref)) in enumerate(INDEXES.items()):
            np.testing.assert_array_equal(got[k], ref(A, i, j), err_msg=f"{name} at i={i}, j={j}")
            read = np.ravel(ref(positions, i, j))
            np.add.at(expected_grad, read, 2 * (k + 1) * A.ravel()[read])
        np.testing.assert_allclose(grad, expected_grad.reshape(A.shape), err_msg=f"gradient at i={i}, j={j}")


def test_symbolic_bounds_differentiate_as_finite_differences():
    i = np.array(1, dtype=np.int64)
    check_grad(lambda x, k: sn.tanh(x[k : k + 2, k:]) * 3, [np.random.default_rng(0).standard_normal((4, 3)), i], target="cpu")


@pytest.mark.parametrize("target", ("cpu", "cuda"))
def test_an_index_out_of_bounds_names_the_node(target):
    x, i = sn.matrix("x", dtype="float64"), sn.scalar("i", dtype="int64")
    f = sn.function([x, i], x[0, i], target=target)
    with pytest.raises(sn.ShapeError, match=r"index 7 is out of bounds for size 5(.|\n)*x\[0, i\]"):
        f(A, 7)
    assert float(f(A, -1)) == A[0, -1]


def test_a_zero_symbolic_step_is_an_error():
    x, i = sn.matrix("x", dtype="float64"), sn.scalar("i", dtype="int64")
    f = sn.function([x, i], x[::i], target="cpu")
    with pytest.raises(sn.ShapeError, match="slice step cannot be zero"):
        f(A, 0)


def test_bounds_computed_from_array_values_say_what_is_supported():
    x = sn.matrix("x", dtype="float64")
    with pytest.raises(NotImplementedError, match=r"computed by sum is not supported(.|\n)*x\[sn.cast"):
        sn.function([x], x[sn.cast(sn.sum(x), "int64") :], target="cpu")
    assert sn.function([x], x[sn.cast(sn.sum(x[0, :2]), "int64") :], target="interp")(A).shape == (5, 5)


def test_bad_bounds_are_type_errors():
    x = sn.matrix("x")
    with pytest.raises(TypeError, match="slice bound must be an integer scalar, got v"):
        x[1 : sn.vector("v", dtype="int64")]
    with pytest.raises(TypeError, match="slice bound must be an integer scalar"):
        x[: sn.scalar("f")]
    with pytest.raises(TypeError, match="slice bound must be an int"):
        x[:2.5]


# -- givens: the minibatch loop of the Theano tutorials ----------------------------------------


def _logistic_regression(target):
    """The tutorial's classifier: data in shared variables, a minibatch index as the input."""
    rng = np.random.default_rng(0)
    data_x = rng.standard_normal((50, 4))
    data_y = (data_x @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(np.int64)
    train_x, train_y = sn.shared(data_x, name="train_x"), sn.shared(data_y, name="train_y")
    x, y = sn.matrix("x", dtype="float64"), sn.vector("y", dtype="int64")
    W, b = sn.shared(np.zeros((4, 2)), name="W"), sn.shared(np.zeros(2), name="b")
    p = sn.softmax(x @ W + b)
    cost = -sn.mean(sn.log(sn.take_along_axis(p, y[:, None], 1)))
    gW, gb = sn.grad(cost, [W, b])
    index, bs, lr = sn.scalar("index", dtype="int64"), 20, 0.5
    train = sn.function(
        [index],
        cost,
        updates=[(W, W - lr * gW), (b, b - lr * gb)],
        givens={x: train_x[index * bs : (index + 1) * bs], y: train_y[index * bs : (index + 1) * bs]},
        target=target,
    )
    return train, data_x, data_y, (W, b)


def _numpy_logistic_regression(data_x, data_y, epochs, bs=20, lr=0.5):
    W, b, costs = np.zeros((4, 2)), np.zeros(2), []
    for _ in range(epochs):
        for index in range(3):  # 50 rows: batches of 20, 20 and the last 10
            xb, yb = data_x[index * bs : (index + 1) * bs], data_y[index * bs : (index + 1) * bs]
            z = xb @ W + b
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            costs.append(-np.mean(np.log(p[np.arange(len(yb)), yb])))
            d = p.copy()
            d[np.arange(len(yb)), yb] -= 1
            d /= len(yb)
            W, b = W - lr * xb.T @ d, b - lr * d.sum(0)
    return costs, W, b


@pytest.mark.parametrize("target", TARGETS)
def test_givens_minibatch_sgd_trains_as_numpy_does(target):
    train, data_x, data_y, (W, b) = _logistic_regression(target)
    costs = [float(train(index)) for _ in range(4) for index in range(3)]
    expected, W_ref, b_ref = _numpy_logistic_regression(data_x, data_y, 4)
    np.testing.assert_allclose(costs, expected, rtol=1e-10)
    np.testing.assert_allclose(W.get_value(), W_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.get_value(), b_ref, rtol=1e-10, atol=1e-12)
    assert costs[-1] < costs[0] * 0.7


def test_givens_are_checked():
    x, y = sn.vector("x", dtype="float64"), sn.vector("y", dtype="float64")
    with pytest.raises(TypeError, match=r"givens: x is float64\[\?\] but its replacement is int64"):
        sn.function([y], x + y, givens={x: sn.vector("z", dtype="int64")}, target="interp")
    with pytest.raises(ValueError, match="x is an input of the function"):
        sn.function([x, y], x + y, givens={x: y}, target="interp")
    with pytest.raises(TypeError, match="dict or"):
        sn.function([y], x + y, givens=[x], target="interp")
    with pytest.raises(sn.ShapeError, match="givens: w has shape"):
        w = sn.tensor("w", "float64", shape=(3,))
        sn.function([y], w + y, givens={w: sn.constant(np.zeros(4))}, target="interp")
    # a value may be numbers; what the givens leave free must still be inputs
    assert float(sn.function([y], sn.sum(x + y), givens={x: np.ones(2)}, target="interp")(np.ones(2))) == 4.0
    with pytest.raises(ValueError, match="depend on z"):
        sn.function([y], x + y, givens={x: sn.vector("z", dtype="float64")}, target="interp")


# -- on_unused_input --------------------------------------------------------------------------


def test_an_unused_input_raises_warns_or_is_ignored():
    x, y = sn.vector("x"), sn.vector("y")
    with pytest.raises(sn.UnusedInputError, match=r"input 1 \(y\) is not used(.|\n)*on_unused_input='ignore'"):
        sn.function([x, y], x * 2, target="interp")
    with pytest.warns(UserWarning, match=r"input 1 \(y\) is not used"):
        f = sn.function([x, y], x * 2, target="interp", on_unused_input="warn")
    np.testing.assert_array_equal(f([1, 2], [5]), [2, 4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = sn.function([x, y], x * 2, target="cpu", on_unused_input="ignore")
    np.testing.assert_array_equal(f(np.ones(2, np.float32), np.ones(7, np.float32)), [2, 2])
    with pytest.raises(ValueError, match="on_unused_input must be"):
        sn.function([x], x, on_unused_input="silent")


# -- clone_replace ----------------------------------------------------------------------------


def test_clone_replace_swaps_variables_and_leaves_the_original():
    x, y = sn.vector("x", dtype="float64"), sn.vector("y", dtype="float64")
    out = sn.exp(x) * 2 + x
    swapped = sn.clone_replace(out, {x: y * 3})
    f = sn.function([x], out, target="interp")
    g = sn.function([y], swapped, target="cpu")
    v = np.array([0.5, -1.0])
    np.testing.assert_allclose(f(v), np.exp(v) * 2 + v)
    np.testing.assert_allclose(g(v), np.exp(3 * v) * 2 + 3 * v)
    both = sn.clone_replace([out, x + 1], [(x, y)])
    assert isinstance(both, list) and len(both) == 2
    with pytest.raises(TypeError, match="replace must map symbolic variables"):
        sn.clone_replace(out, {"x": y})


# -- % and // --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_floor_division_and_remainder_are_numpys_at_zero_and_signs(target):
    if target == "cuda" and cudalib.SIMULATOR:
        pytest.skip("the simulator runs Python's // and %, which raise at a zero divisor")
    a, b = sn.vector("a", dtype="int64"), sn.vector("b", dtype="int64")
    f = sn.function([a, b], [a // b, a % b], target=target)
    x, y = np.array([-7, 7, -7, 7, 3]), np.array([2, 2, -2, -2, 0])
    with np.errstate(all="ignore"):
        expected = [np.floor_divide(x, y), np.remainder(x, y)]
    for got, want in zip(f(x, y), expected):
        np.testing.assert_array_equal(got, want)


# -- integer-array indexing and arange --------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_the_negative_log_likelihood_idiom_and_its_gradient(target):
    p, y = sn.matrix("p", dtype="float64"), sn.vector("y", dtype="int64")
    nll = -sn.mean(sn.log(p)[sn.arange(y.shape[0]), y])
    f = sn.function([p, y], [nll, sn.grad(nll, p)], target=target)
    P = np.random.default_rng(0).uniform(0.1, 1, (5, 3))
    Y = np.array([0, 2, 1, -1, 2])
    rows = np.arange(5)
    value, grad = f(P, Y)
    expected = np.zeros_like(P)
    np.add.at(expected, (rows, Y), -1 / P[rows, Y] / 5)
    np.testing.assert_allclose(value, -np.mean(np.log(P)[rows, Y]))
    np.testing.assert_allclose(grad, expected)
    with pytest.raises((IndexError, sn.ShapeError), match="out of bounds"):
        f(P, np.array([0, 3, 1, 1, 2]))  # 3 is past the 3 columns: an error, not the next row's element
    rows_grad = sn.function([p, y], sn.grad(sn.sum(p[y] ** 2), p), target=target)
    columns_grad = sn.function([p, y], sn.grad(sn.sum(sn.take_along_axis(p, y[:, None], 1)), p), target=target)
    for grad, bad in ((rows_grad, [0, 5]), (rows_grad, [-6]), (columns_grad, [0, 1, 3, 0, 0])):
        with pytest.raises((IndexError, sn.ShapeError), match="out of bounds"):
            grad(P, np.array(bad))  # the gradients' scatters raise too, never write outside the buffer


def test_unsupported_integer_array_indexes_say_what_is_supported():
    x, i = sn.tensor3("x"), sn.vector("i", dtype="int64")
    with pytest.raises(NotImplementedError, match="adjacent axes"):
        x[i, :, i]
    with pytest.raises(NotImplementedError, match="sn.where"):
        x[:, sn.vector("m", dtype="bool"), i]
    with pytest.raises(NotImplementedError, match="sn.expand_dims"):
        x[None, i, i]
    with pytest.raises(TypeError, match="indices must be integers"):
        x[i, sn.vector("f")]
    with pytest.raises(IndexError, match="too many indices"):
        x[i, i, i, i]


def test_arange_bounds():
    n = sn.scalar("n", dtype="int64")
    np.testing.assert_array_equal(sn.function([n], sn.arange(n, -n, -2), target="cpu")(3), np.arange(3, -3, -2))
    assert isinstance(sn.arange(2, 7), sn.Constant)
    with pytest.raises(ValueError, match="step cannot be zero"):
        sn.arange(0, 3, 0)
    with pytest.raises(sn.ShapeError, match="arange: step cannot be zero"):
        sn.function([n], sn.arange(0, 3, n), target="cpu")(0)
    with pytest.raises(TypeError, match="integer scalar"):
        sn.arange(sn.scalar("f"))


# -- random streams ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def draws():
    """uniform, normal and binomial draws of a symbolic size, compiled for each target."""
    rng = sn.RandomStream(seed=11)
    n = sn.scalar("n", dtype="int64")
    outs = [
        rng.uniform((n, 50), low=-1.0, high=3.0, dtype="float64"),
        rng.normal((n, 50), avg=2.0, std=0.5, dtype="float64"),
        rng.binomial((n, 50), n=4, p=0.25),
        rng.binomial(p=sn.constant(np.array([0.0, 1.0]))),
    ]
    return rng, {t: sn.function([n], outs, target=t) for t in TARGETS}


@pytest.mark.parametrize("target", ("cpu", "cuda"))
def test_random_draws_are_the_interpreters(draws, target):
    """Bit for bit, but for the normal draws' log and cos (libm against NumPy's: an ulp)."""
    rng, functions = draws
    results = []
    for f in (functions["interp"], functions[target]):
        rng.counter.set_value(np.int64(5))
        results.append(f(4))
        assert rng.counter.get_value() == 6
    for k, (a, b) in enumerate(zip(*results)):
        if k == 1:
            np.testing.assert_allclose(a, b, rtol=1e-14)
        else:
            np.testing.assert_array_equal(a, b)


def test_random_draws_follow_their_distributions_and_advance_each_call(draws):
    rng, functions = draws
    rng.counter.set_value(np.int64(0))
    u, z, k, fixed = functions["cpu"](400)
    assert u.shape == z.shape == k.shape == (400, 50) and k.dtype == np.int64
    assert -1 <= u.min() and u.max() < 3 and abs(u.mean() - 1.0) < 0.03 and abs(u.var() - 16 / 12) < 0.05
    assert abs(z.mean() - 2.0) < 0.01 and abs(z.std() - 0.5) < 0.01
    assert set(np.unique(k)) <= {0, 1, 2, 3, 4} and abs(k.mean() - 1.0) < 0.03 and abs(k.var() - 0.75) < 0.03
    np.testing.assert_array_equal(fixed, [0, 1])
    u2 = functions["cpu"](400)[0]
    assert not np.array_equal(u, u2) and rng.counter.get_value() == 2


def test_explicit_and_no_default_updates():
    rng = sn.RandomStream(seed=1)
    x = sn.vector("x", dtype="float64")
    noisy = x + rng.uniform(x.shape, dtype="float64")
    frozen = sn.function([x], noisy, target="cpu", no_default_updates=True)
    np.testing.assert_array_equal(frozen(np.zeros(3)), frozen(np.zeros(3)))
    assert rng.counter.get_value() == 0
    by_two = sn.function([x], noisy, updates=[(rng.counter, rng.counter + 2)], target="interp")
    by_two(np.zeros(3))
    assert rng.counter.get_value() == 2  # the given update, not the default one as well
    listed = sn.function([x], noisy, target="interp", no_default_updates=[rng.counter])
    listed(np.zeros(3))
    assert rng.counter.get_value() == 2
    with pytest.raises(TypeError, match="n must be an int"):
        rng.binomial((2,), n=1.5)
    with pytest.raises(TypeError, match="float dtype"):
        rng.uniform((2,), dtype="int64")


# -- set_subtensor, inc_subtensor, consider_constant -------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_set_and_inc_subtensor_with_symbolic_and_array_indices(target):
    x, i, a = sn.matrix("x", dtype="float64"), sn.scalar("i", dtype="int64"), sn.vector("a", dtype="int64")
    x3 = sn.tensor3("x3", dtype="float64")
    outs = [
        sn.set_subtensor(x[i : i + 2], 7.0),
        sn.set_subtensor(x[0, i], -1),
        sn.inc_subtensor(x[a, [1, 1, 3]], x[0, :3]),
        sn.inc_subtensor(x3[1:, a, 2], 1.0),
        sn.set_subtensor(x3[1:, a[1:], 2], -x3[0, :2, 0]),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", sn.FallbackWarning)  # gathers on any axis have rules
        f = sn.function([x, i, a, x3], outs, target=target)
    X, A, X3 = np.arange(12.0).reshape(3, 4), np.array([0, 2, 0]), np.arange(24.0).reshape(2, 3, 4)
    expected = [X.copy() for _ in range(3)] + [X3.copy(), X3.copy()]
    expected[0][1:3] = 7.0
    expected[1][0, 1] = -1
    np.add.at(expected[2], (A, [1, 1, 3]), X[0, :3])
    np.add.at(expected[3], (slice(1, None), A, 2), 1.0)
    expected[4][1:, A[1:], 2] = -X3[0, :2, 0]
    for got, want in zip(f(X, 1, A, X3), expected):
        np.testing.assert_array_equal(got, want)


def test_set_subtensor_errors():
    x = sn.matrix("x")
    with pytest.raises(TypeError, match="must be an index of a tensor"):
        sn.set_subtensor(x, 1.0)
    with pytest.raises(TypeError, match="cannot be written into"):
        sn.set_subtensor(sn.vector("k", dtype="int64")[0], sn.scalar("f"))


def test_consider_constant_stops_the_gradient_there():
    x = sn.scalar("x", dtype="float64")
    h = x * x
    cost = h * x  # x**3: 3 x**2, but 1 x**2 with h constant
    f = sn.function([x], [sn.grad(cost, x), sn.grad(cost, x, consider_constant=[h])], target="cpu")
    np.testing.assert_allclose(f(2.0), [12.0, 4.0])
    with pytest.raises(sn.DisconnectedInputError, match="only through operations without a gradient"):
        sn.grad(h * 2.0, x, consider_constant=[h])
    with pytest.raises(sn.DisconnectedInputError, match=r"only through operations without a gradient \(a comparison"):
        sn.grad(sn.cast(x > 0, "float64") * 2.0, x)
    with pytest.raises(sn.DisconnectedInputError, match="cost does not depend on y"):
        sn.grad(h * 2.0, sn.scalar("y", dtype="float64"))
    with pytest.raises(TypeError, match="consider_constant must be a list"):
        sn.grad(cost, x, consider_constant=[1.0])


# -- Lop, Rop, jacobian, hessian --------------------------------------------------------------


@pytest.mark.parametrize("target", ("interp", "cpu"))
def test_jacobian_products_jacobian_and_hessian(target):
    x, W = sn.vector("x", dtype="float64"), sn.matrix("W", dtype="float64")
    v, u = sn.vector("v", dtype="float64"), sn.vector("u", dtype="float64")
    y = sn.tanh(W @ x)
    cost = sn.sum(x**3) * sn.sum(x)
    f = sn.function([x, W, v, u], [sn.jacobian(y, x), sn.Rop(y, x, v), sn.Lop(y, x, u), sn.hessian(cost, x), sn.jacobian(y, [x, W])[1]],
                    target=target)
    X, Wv, V, U = np.array([0.5, -1.0, 2.0]), np.arange(6.0).reshape(2, 3) / 5, np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.7])
    jac, rop, lop, hess, jac_W = f(X, Wv, V, U)
    J = (1 - np.tanh(Wv @ X) ** 2)[:, None] * Wv
    np.testing.assert_allclose(jac, J)
    np.testing.assert_allclose(rop, J @ V)
    np.testing.assert_allclose(lop, U @ J)
    np.testing.assert_allclose(hess, 6 * np.diag(X) * X.sum() + 3 * (X[:, None] ** 2 + X[None, :] ** 2))
    expected_W = np.zeros((2, 2, 3))
    for i in range(2):
        expected_W[i, i] = (1 - np.tanh(Wv[i] @ X) ** 2) * X
    np.testing.assert_allclose(jac_W, expected_W)


def test_jacobian_and_hessian_errors():
    x = sn.matrix("x")
    with pytest.raises(TypeError, match="vector expression"):
        sn.jacobian(x * 2, x)
    with pytest.raises(TypeError, match="hessian needs vectors"):
        sn.hessian(sn.sum(x), x)
    with pytest.raises(ValueError, match="eval_points"):
        sn.Rop(x * 2, [x], [x, x])


# -- pickling ---------------------------------------------------------------------------------


def test_graphs_and_compiled_functions_pickle():
    import pickle

    x = sn.vector("x", dtype="float64")
    W = sn.shared(np.ones(3), name="W")
    swish = sn.elementwise(lambda z: z / (1 + __import__("sympy").exp(-z)), name="swish")
    total, _ = sn.scan(lambda v, acc: acc + v, sequences=x, outputs_info=sn.constant(0.0))
    y = sn.sum(swish(x) * W + sn.leaky_relu(x, 0.2)) + total[-1]
    gx, gW = sn.grad(y, [x, W])
    f = sn.function([x], [y, gx], updates=[(W, W - 0.1 * gW)], target="cpu")
    v = np.array([0.5, -1.0, 2.0])
    copy = pickle.loads(pickle.dumps(f))  # W's value travels with it, as in Theano
    expected = f(v)
    for got, want in zip(copy(v), expected):
        np.testing.assert_allclose(got, want)
    (W_copy,) = copy._shared
    np.testing.assert_allclose(W_copy.get_value(), W.get_value())
    assert W_copy is not W
    y_copy, gx_copy = pickle.loads(pickle.dumps([y, gx]))  # a graph alone
    (x_copy,) = [u for u in sn.graph.graph_inputs([y_copy]) if u.name == "x"]
    got = sn.function([x_copy], [y_copy, gx_copy], target="interp")(v)
    np.testing.assert_allclose(got[0], sn.function([x], y, target="interp")(v))


@pytest.mark.parametrize("target", ("interp", "cpu"))
def test_a_symbolic_n_steps_cuts_the_sequences(target):
    x, n = sn.matrix("x", dtype="float64"), sn.scalar("n", dtype="int64")
    out, _ = sn.scan(lambda row, acc: acc + row, sequences=x, outputs_info=sn.zeros((x.shape[1],), "float64"), n_steps=n)
    f = sn.function([x, n], [out, sn.grad(sn.sum(out[-1]), x)], target=target)
    X = np.arange(12.0).reshape(4, 3)
    sums, grad = f(X, 2)
    np.testing.assert_array_equal(sums, np.cumsum(X[:2], axis=0))
    np.testing.assert_array_equal(grad, np.r_[np.ones((2, 3)), np.zeros((2, 3))])
    np.testing.assert_array_equal(f(X, 9)[0], np.cumsum(X, axis=0))  # as with an int n_steps: no more steps than rows


def test_shared_borrow_keeps_the_callers_array():
    mine = np.zeros(3)
    W = sn.shared(mine, name="W", borrow=True)
    sn.function([], [], updates=[(W, W + 1)], target="cpu")()
    np.testing.assert_array_equal(mine, [1, 1, 1])  # updated in place, as with Theano's borrow
    copied = np.zeros(3)
    V = sn.shared(copied, name="V")
    sn.function([], [], updates=[(V, V + 1)], target="cpu")()
    np.testing.assert_array_equal(copied, [0, 0, 0])
    frozen = np.zeros(3)
    frozen.setflags(write=False)
    R = sn.shared(frozen, borrow=True)  # read-only: copied, so updates can be written
    sn.function([], [], updates=[(R, R + 1)], target="interp")()
    np.testing.assert_array_equal(R.get_value(), [1, 1, 1])


@pytest.mark.parametrize("target", ("interp", "cpu"))
def test_theanos_pool_2d_keeps_partial_windows_and_pads(target):
    from symnet.theano.tensor.signal import pool
    from tests.op_table import padded_pool_ref

    x3 = sn.tensor3("x3", dtype="float64")
    outs = [pool.pool_2d(x3, ws=(2, 2)), pool.pool_2d(x3, ws=(3, 2), stride=(1, 2), pad=(1, 1), ignore_border=True,
                                                      mode="average_exc_pad")]
    f = sn.function([x3], outs, target=target)
    X = np.random.default_rng(1).standard_normal((2, 5, 3))
    partial, padded = f(X)
    np.testing.assert_allclose(partial, padded_pool_ref((2, 2), (2, 2), ((0, 0), (0, 0)), "max", True)(X[:, None])[:, 0])
    np.testing.assert_allclose(padded, padded_pool_ref((3, 2), (1, 2), ((1, 1), (1, 1)), "average_exc_pad", False)(X[:, None])[:, 0])
    assert partial.shape == (2, 3, 2)  # Theano's default ignore_border=False: ceil(5 / 2), ceil(3 / 2)


def test_pool2d_errors():
    x = sn.tensor4("x")
    with pytest.raises(ValueError, match="must be smaller than the window"):
        sn.pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="mode must be one of"):
        sn.pool2d(x, 2, mode="average")
    with pytest.raises(TypeError, match=r"takes \(N, C, H, W\)"):
        sn.pool2d(sn.matrix("m"), 2)
    with pytest.raises(ValueError, match="padding takes an int"):
        sn.pool2d(x, 2, padding=(1, 2, 3))
