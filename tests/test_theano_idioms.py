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
