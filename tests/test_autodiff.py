"""grad(): reverse mode, accumulation, disconnected inputs, higher derivatives."""

import numpy as np
import pytest

import symnet as sn
from symnet.testing import check_grad


def interp(inputs, outputs):
    return sn.function(inputs, outputs, target="interp")


def test_cotangents_accumulate_over_every_use():
    x = sn.scalar("x", "float64")
    y = x * x * x + x  # x used four times
    assert interp([x], sn.grad(y, x))(2.0) == pytest.approx(13.0)


def test_grad_of_a_list_returns_a_list():
    x, y = sn.scalar("x", "float64"), sn.scalar("y", "float64")
    gx, gy = sn.grad(x * y, [x, y])
    assert interp([x, y], [gx, gy])(3.0, 5.0) == [5.0, 3.0]


def test_disconnected_inputs_raise_or_give_zeros():
    x, y = sn.vector("x"), sn.vector("y")
    with pytest.raises(sn.DisconnectedInputError, match="y"):
        sn.grad(sn.sum(x), [x, y])
    gx, gy = sn.grad(sn.sum(x), [x, y], disconnected="zero")
    f = sn.function([x, y], gy, target="interp", on_unused_input="ignore")  # gy reads y's shape only
    np.testing.assert_array_equal(f(np.ones(2), np.ones(3)), np.zeros(3))


def test_non_scalar_and_integer_costs_are_rejected():
    x = sn.vector("x")
    with pytest.raises(TypeError, match="scalar cost"):
        sn.grad(x * 2, x)
    with pytest.raises(TypeError, match="cannot differentiate"):
        sn.grad(sn.sum(sn.vector("i", "int32") * x), sn.vector("j", "int32"))


def test_integer_inputs_get_no_gradient_but_do_not_block_it():
    x, k = sn.vector("x", "float64"), sn.vector("k", "int64")
    g = sn.grad(sn.sum(x * k), x)
    np.testing.assert_array_equal(interp([x, k], g)(np.ones(3), np.array([1, 2, 3])), [1.0, 2.0, 3.0])


def test_grad_with_respect_to_an_intermediate():
    x = sn.vector("x", "float64")
    h = sn.exp(x)
    g = sn.grad(sn.sum(h * h), h)  # = 2h
    np.testing.assert_allclose(interp([x], g)(np.array([0.0, 1.0])), 2 * np.exp([0.0, 1.0]))


def test_second_derivative_and_hessian_vector_product():
    x = sn.vector("x", "float64")
    v = sn.vector("v", "float64")
    cost = sn.sum(x**3)
    g = sn.grad(cost, x)  # 3x²
    hv = sn.grad(sn.sum(g * v), x)  # H v = 6x·v
    out = interp([x, v], hv)(np.array([1.0, 2.0]), np.array([1.0, -1.0]))
    np.testing.assert_allclose(out, [6.0, -12.0])


def test_stop_gradient_blocks_the_gradient():
    x = sn.scalar("x", "float64")
    g = sn.grad(x * sn.stop_gradient(x), x)
    assert interp([x], g)(3.0) == 3.0


def test_broadcast_parameters_get_gradients_of_their_own_shape():
    x = sn.matrix("x", "float64")
    b = sn.shared(np.zeros(3), name="b")
    c = sn.shared(np.zeros((1, 3)), name="c")
    gb, gc = sn.grad(sn.sum((x + b + c) ** 2), [b, c])
    data = np.arange(6.0).reshape(2, 3)
    out_b, out_c = interp([x], [gb, gc])(data)
    np.testing.assert_allclose(out_b, 2 * data.sum(axis=0))
    assert out_c.shape == (1, 3)


def test_mlp_gradients_match_finite_differences(rng):
    x = rng.standard_normal((4, 3))
    w1, w2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 2))
    t = np.array([0, 1, 1, 0])

    def loss(x, w1, w2, t):
        h = sn.tanh(x @ w1)
        return sn.mean(sn.nn.sparse_categorical_crossentropy(sn.softmax(h @ w2), t))

    check_grad(loss, [x, w1, w2, t])


def test_user_elementwise_gets_a_gradient(rng):
    import sympy

    swish = sn.elementwise(lambda z: z / (1 + sympy.exp(-z)), name="swish")
    check_grad(lambda x: swish(x), [rng.standard_normal(5)])
    with pytest.raises(TypeError, match="unknown symbols"):
        sn.elementwise(lambda z: z + sympy.Symbol("w"), name="bad")
