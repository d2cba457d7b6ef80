"""Keras' functional API through ``symnet.keras``: Input, layers called on tensors, several
inputs and outputs, shared layers, models inside models, the merge and reshape layers, and
the errors; each against NumPy written from Keras' equations."""

from __future__ import annotations

import numpy as np
import pytest

import symnet as sn
import symnet.keras as keras

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((40, 4)).astype(np.float32), RNG.standard_normal((40, 3)).astype(np.float32)
YES, CLS = (A[:, 0] > 0).astype(np.float32), RNG.integers(0, 3, 40)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture(scope="module")
def two_heads():
    """Two inputs, a shared Dense applied to both, a concatenation, two outputs."""
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    shared = keras.layers.Dense(5, activation="tanh", name="shared")
    ha = shared(a)
    hb = shared(keras.layers.Dense(4, name="lift")(b))
    joined = keras.layers.Concatenate()([ha, hb])
    yes = keras.layers.Dense(1, activation="sigmoid", name="yes")(joined)
    cls = keras.layers.Dense(3, activation="softmax", name="cls")(keras.layers.Add()([ha, hb]))
    model = keras.Model(inputs=[a, b], outputs=[yes, cls])
    model.compile(optimizer="adam", loss={"yes": "binary_crossentropy", "cls": "sparse_categorical_crossentropy"},
                  loss_weights=[1.0, 0.5], metrics=["accuracy"])
    return model


def _forward(model, a, b):
    w = {layer.name: layer.get_weights() for layer in model.layers}
    (ks, bs), (kl, bl) = w["shared"], w["lift"]
    ha, hb = np.tanh(a @ ks + bs), np.tanh((b @ kl + bl) @ ks + bs)
    (ky, by), (kc, bc) = w["yes"], w["cls"]
    return _sigmoid(np.concatenate([ha, hb], 1) @ ky + by), _softmax((ha + hb) @ kc + bc)


def test_a_two_input_two_output_model_is_keras_equations(two_heads):
    model = two_heads
    assert [layer.name for layer in model.layers[:4]] == ["a", "b", "shared", "lift"]
    assert model.get_layer("shared").count_params() == 4 * 5 + 5  # called twice, built once
    assert len(model.weights) == 8 and model.output_names == ["yes", "cls"]
    yes, cls = model.predict([A, B])
    want_yes, want_cls = _forward(model, A, B)
    np.testing.assert_allclose(yes, want_yes, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cls, want_cls, rtol=1e-5, atol=1e-6)
    loss, yes_loss, cls_loss, yes_acc, cls_acc = model.evaluate({"a": A, "b": B}, {"yes": YES, "cls": CLS})
    p = np.clip(want_yes[:, 0], 1e-7, 1 - 1e-7)
    want_yes_loss = -np.mean(YES * np.log(p) + (1 - YES) * np.log(1 - p))
    want_cls_loss = -np.mean(np.log(want_cls[np.arange(40), CLS]))
    np.testing.assert_allclose([yes_loss, cls_loss], [want_yes_loss, want_cls_loss], rtol=1e-4)
    np.testing.assert_allclose(loss, yes_loss + 0.5 * cls_loss, rtol=1e-5)
    np.testing.assert_allclose([yes_acc, cls_acc], [np.mean((want_yes[:, 0] > 0.5) == YES), np.mean(want_cls.argmax(1) == CLS)])


def test_fit_trains_every_output_and_reports_each(two_heads):
    before = two_heads.evaluate([A, B], [YES, CLS])[0]
    history = two_heads.fit([A, B], [YES, CLS], epochs=5, batch_size=8, verbose=0, validation_split=0.25)
    assert list(history.history) == ["loss", "yes_loss", "cls_loss", "yes_accuracy", "cls_accuracy", "val_loss",
                                     "val_yes_loss", "val_cls_loss", "val_yes_accuracy", "val_cls_accuracy"]
    assert two_heads.evaluate([A, B], [YES, CLS])[0] < before


def test_layers_output_input_and_models_inside_models():
    x = keras.Input((6,), name="x")
    hidden = keras.layers.Dense(3, activation="relu", name="hidden")
    h = hidden(x)
    assert hidden.output is h and hidden.input is x and h.shape == (None, 3)
    inner = keras.Model(x, h, name="inner")
    z = keras.Input((6,), name="z")
    outer = keras.Model(z, keras.layers.Dense(2, name="head")(inner(z)))
    assert [layer.name for layer in outer.layers] == ["z", "inner", "head"] and outer.count_params() == 6 * 3 + 3 + 3 * 2 + 2
    X = RNG.standard_normal((5, 6)).astype(np.float32)
    (k1, b1), (k2, b2) = hidden.get_weights(), outer.get_layer("head").get_weights()
    np.testing.assert_allclose(outer.predict(X), np.maximum(X @ k1 + b1, 0) @ k2 + b2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inner.predict(X), np.maximum(X @ k1 + b1, 0), rtol=1e-5, atol=1e-6)
    with pytest.raises(AttributeError, match="was called 2 times"):
        hidden(z)
        hidden.output


def test_reshape_dense_on_the_last_axis_and_sequential_with_an_input():
    model = keras.Sequential([keras.Input((12,)), keras.layers.Reshape((4, -1)), keras.layers.Dense(2)])
    assert model.output_shape == (4, 2)
    X = RNG.standard_normal((3, 12)).astype(np.float32)
    k, b = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(X), X.reshape(3, 4, 3) @ k + b, rtol=1e-5, atol=1e-6)
    popped = model.pop()
    assert popped.name.startswith("dense") and model.output_shape == (4, 3)


def test_layers_apply_to_symnet_expressions_too():
    dense = keras.layers.Dense(2, activation="sigmoid")
    x = sn.tensor("x", shape=(None, 5))  # the features' size fixes the kernel's
    f = sn.function([x], dense(x))
    X = RNG.standard_normal((3, 5)).astype(np.float32)
    k, b = dense.get_weights()
    np.testing.assert_allclose(f(X), _sigmoid(X @ k + b), rtol=1e-5)


def test_keras_loss_functions_take_y_true_first():
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(1)(x))
    model.compile("sgd", loss=lambda y_true, y_pred: keras.losses.mean_squared_error(y_true, y_pred) * 0 + y_true[:, 0])
    X, y = RNG.standard_normal((4, 3)).astype(np.float32), np.arange(4.0, dtype=np.float32)
    np.testing.assert_allclose(model.evaluate(X, y), y.mean())  # the target came in first
    np.testing.assert_array_equal(keras.utils.to_categorical([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


def test_functional_errors_name_the_culprit():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    with pytest.raises(ValueError, match="depends on the Input 'b', which is not among the model's inputs"):
        keras.Model(a, out)
    with pytest.raises(TypeError, match="Model\\(inputs, outputs\\)"):
        keras.Model()
    model = keras.Model([a, b], out)
    with pytest.raises(ValueError, match="the model has 2 inputs: pass x as a list or a dict"):
        model.predict(A)
    with pytest.raises(ValueError, match="x must have the keys"):
        model.predict({"a": A})
    with pytest.raises(ValueError, match=r"takes examples of shape \(3,\)"):
        model.predict([A, A])
    shared = keras.layers.Dense(2)
    shared(a)
    with pytest.raises(ValueError, match="a shared layer takes one shape"):
        shared(b)
    with pytest.raises(ValueError, match="differ on an axis other than -1"):
        keras.layers.Concatenate()([keras.Input((2, 3)), keras.Input((3, 3))])
    with pytest.raises(ValueError, match="takes inputs of one shape"):
        keras.layers.Add()([a, b])
    with pytest.raises(ValueError, match="do not fit"):
        keras.layers.Reshape((5,))(a)
    with pytest.raises(AttributeError, match="keras.layers.Conv3D is not supported by symnet.keras"):
        keras.layers.Conv3D
    with pytest.raises(TypeError, match="'jit_compile' is not supported"):
        model.compile("adam", "mse", jit_compile=True)


def test_save_and_load_a_functional_model_and_resume_training(two_heads, tmp_path):
    def build():
        keras.utils.set_random_seed(11)
        a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
        h = keras.layers.Concatenate()([keras.layers.Dense(3, activation="tanh")(a), b])
        model = keras.Model([a, b], [keras.layers.Dense(1, activation="sigmoid", name="yes")(h),
                                     keras.layers.Dense(3, activation="softmax", name="cls")(h)])
        model.compile(keras.optimizers.Adam(0.01), ["binary_crossentropy", "sparse_categorical_crossentropy"],
                      metrics=["accuracy"], loss_weights=[1.0, 2.0])
        return model

    fit = dict(batch_size=8, verbose=0, shuffle=False)
    straight = build()
    straight.fit([A, B], [YES, CLS], epochs=2, **fit)
    halves = build()
    halves.fit([A, B], [YES, CLS], epochs=1, **fit)
    halves.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").exists() and not (tmp_path / "m.keras.npz").exists()
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in halves.layers]
    for got, want in zip(loaded.predict([A, B]), halves.predict([A, B])):
        np.testing.assert_array_equal(got, want)
    assert loaded.metrics_names == halves.metrics_names and loaded.loss_weights == [1.0, 2.0]
    loaded.fit([A, B], [YES, CLS], epochs=1, **fit)  # Adam's moments and step count come back too
    for got, want in zip(loaded.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    two_heads.save(tmp_path / "two.keras")  # a shared layer, a merge, two heads
    again = keras.models.load_model(tmp_path / "two.keras")
    for got, want in zip(again.predict([A, B]), two_heads.predict([A, B])):
        np.testing.assert_array_equal(got, want)


def test_losses_and_metrics_by_keras_names_and_objects():
    x = keras.Input((4,))
    logits = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(x, logits)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy", "acc"])
    loss, accuracy, acc = model.evaluate(A, CLS)
    k, b = model.get_layer("logits").get_weights()
    p = _softmax(A @ k + b)
    np.testing.assert_allclose(loss, -np.mean(np.log(p[np.arange(40), CLS])), rtol=1e-5)
    assert accuracy == acc == pytest.approx(np.mean(p.argmax(1) == CLS))
    assert model.metrics_names == ["loss", "sparse_categorical_accuracy", "acc"]
    regression = keras.Model(x, keras.layers.Dense(1, name="out")(x))
    regression.compile("sgd", "mean_absolute_error", metrics=["mse", "mae"])
    k, b = regression.get_layer("out").get_weights()
    error = (A @ k + b)[:, 0] - YES
    np.testing.assert_allclose(regression.evaluate(A, YES), [np.abs(error).mean(), np.square(error).mean(), np.abs(error).mean()],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        regression.compile("sgd", "mse", metrics=["f1"])
    with pytest.raises(AttributeError, match="keras.metrics.MeanIoU is not supported"):
        keras.metrics.MeanIoU
