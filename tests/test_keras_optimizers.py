"""The optimizers Keras users name (nadam, adadelta, AdamW, adam, rmsprop, adagrad, sgd with
momentum) against NumPy written from Keras' update equations, the learning-rate schedule and
ReduceLROnPlateau (the rate a shared scalar of the compiled step: nothing compiles again)."""

from __future__ import annotations

import numpy as np
import pytest

import symnet.keras as keras

RNG = np.random.default_rng(3)
X = RNG.standard_normal((16, 3)).astype(np.float32)
Y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)


def _linear(optimizer):
    """A linear model (kernel, bias) on X with mse, and the gradient NumPy computes for it."""
    keras.utils.set_random_seed(1)
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(1, name="out")(x))
    model.compile(optimizer, "mse")
    return model


def _grads(kernel, bias):
    error = (X @ kernel + bias)[:, 0] - Y
    return [2 * X.T @ error[:, None] / len(X), np.array([2 * error.mean()])]


def _reference(name, params, steps, lr=0.01):
    state = [dict() for _ in params]
    for t in range(steps):
        grads = _grads(*params)
        for k, (p, g) in enumerate(zip(params, grads)):
            s = state[k]
            if name == "nadam":
                b1, b2 = 0.9, 0.999
                u_t, u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1)), b1 * (1 - 0.5 * 0.96 ** (t + 2))
                s["u"] = s.get("u", 1.0) * u_t if k == 0 else state[0]["u"]
                s["m"] = s.get("m", 0) + (g - s.get("m", 0)) * (1 - b1)
                s["v"] = s.get("v", 0) + (g * g - s.get("v", 0)) * (1 - b2)
                m_hat = u_next * s["m"] / (1 - s["u"] * u_next) + (1 - u_t) * g / (1 - s["u"])
                p -= lr * m_hat / (np.sqrt(s["v"] / (1 - b2 ** (t + 1))) + 1e-7)
            elif name == "adadelta":
                s["a"] = 0.95 * s.get("a", 0) + 0.05 * g * g
                delta = -np.sqrt(s.get("s", 0) + 1e-7) / np.sqrt(s["a"] + 1e-7) * g
                s["s"] = 0.95 * s.get("s", 0) + 0.05 * delta * delta
                p += lr * delta
            elif name == "adamw":
                s["m"] = s.get("m", 0) + (g - s.get("m", 0)) * 0.1
                s["v"] = s.get("v", 0) + (g * g - s.get("v", 0)) * 0.001
                alpha = lr * np.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1))
                p -= lr * 0.004 * p + alpha * s["m"] / (np.sqrt(s["v"]) + 1e-7)
    return params


@pytest.mark.parametrize("name, optimizer", [("nadam", lambda: keras.optimizers.Nadam(0.01)),
                                             ("adadelta", lambda: keras.optimizers.Adadelta(0.01)),
                                             ("adamw", lambda: keras.optimizers.AdamW(0.01))])
def test_the_optimizers_are_keras_equations(name, optimizer):
    model = _linear(optimizer())
    want = _reference(name, [a.astype(np.float64) for a in model.get_weights()], steps=4)
    for _ in range(4):
        model.train_on_batch(X, Y)
    for got, expected in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-6)
    assert model.optimizer.iterations.get_value() == 4


def test_an_exponentially_decaying_rate_and_a_plateau_that_cuts_it():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
    model = _linear(keras.optimizers.SGD(schedule))
    kernel, bias = (a.astype(np.float64) for a in model.get_weights())
    for t in range(5):
        gk, gb = _grads(kernel, bias)
        lr = 0.1 * 0.5 ** (t // 2)
        kernel, bias = kernel - lr * gk, bias - lr * gb
        model.train_on_batch(X, Y)
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-4)
    assert model.optimizer.learning_rate == pytest.approx(0.1 * 0.5**2)
    with pytest.raises(AttributeError, match="the learning rate is a schedule"):
        model.optimizer.learning_rate = 0.1

    flat = _linear(keras.optimizers.SGD(0.001))
    cut = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0, min_lr=0.0002)
    history = flat.fit(X, Y, epochs=4, batch_size=16, callbacks=[cut], verbose=0)
    # never 10 better after the first epoch: the rate halves after each later one, down to min_lr
    # (the logs have the rate each epoch ran with)
    assert history.history["learning_rate"] == pytest.approx([0.001, 0.001, 0.0005, 0.00025])
    assert flat.optimizer.learning_rate == pytest.approx(0.0002)
    assert flat.train_function.compile_time  # the same compiled step all along
