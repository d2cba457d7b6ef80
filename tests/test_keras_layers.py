"""The Keras layers beyond Dense and Conv2D, each against NumPy written from Keras' equations:
Embedding and its padding mask through the recurrent layers and the global average pooling,
Conv1D and the 1-D and global poolings, BatchNormalization (batch statistics while training,
the moving ones after) and LayerNormalization; a compiled train step through all of them
equals the interpreter's."""

from __future__ import annotations

import numpy as np
import pytest

import symnet.keras as keras
from symnet.keras import layers

RNG = np.random.default_rng(0)


def _rnn(x, kernel, recurrent, bias):
    h = np.zeros(kernel.shape[1])
    for v in x:
        h = np.tanh(v @ kernel + h @ recurrent + bias)
    return h


# ids: rows padded with 0 after their tokens
IDS = np.array([[3, 1, 4, 0, 0], [2, 0, 0, 0, 0], [5, 9, 2, 6, 5], [7, 7, 0, 0, 0]])


@pytest.fixture(scope="module")
def masked():
    ids = keras.Input((5,), dtype="int64", name="ids")
    embedded = layers.Embedding(10, 4, mask_zero=True, name="embed")(ids)
    last = layers.SimpleRNN(3, name="rnn")(embedded)
    both = layers.Bidirectional(layers.SimpleRNN(2), name="bi")(embedded)
    mean = layers.GlobalAveragePooling1D(name="mean")(layers.Dense(2, name="dense")(embedded))
    return keras.Model(ids, [last, both, mean])


def test_a_padding_mask_makes_each_row_its_tokens_only(masked):
    last, both, mean = masked.predict(IDS)
    (table,) = masked.get_layer("embed").get_weights()
    rnn = masked.get_layer("rnn").get_weights()
    forward, backward = masked.get_layer("bi").forward_layer.get_weights(), masked.get_layer("bi").backward_layer.get_weights()
    k, b = masked.get_layer("dense").get_weights()
    for row, got_last, got_both, got_mean in zip(IDS, last, both, mean):
        x = table[row[row != 0]]  # the row's tokens, without the padding
        np.testing.assert_allclose(got_last, _rnn(x, *rnn), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_both, np.concatenate([_rnn(x, *forward), _rnn(x[::-1], *backward)]), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_mean, (x @ k + b).mean(0), rtol=1e-5, atol=1e-6)


def test_conv1d_and_the_1d_poolings_are_numpy():
    x = RNG.standard_normal((2, 7, 3)).astype(np.float32)
    for padding, strides in (("valid", 1), ("same", 2), ("causal", 1)):
        inp = keras.Input((7, 3))
        conv = layers.Conv1D(4, 3, strides=strides, padding=padding, activation="relu")
        model = keras.Model(inp, [conv(inp), layers.MaxPooling1D(2, padding="same")(inp), layers.AveragePooling1D(3, strides=2)(inp)])
        got, maxed, averaged = model.predict(x)
        kernel, bias = conv.get_weights()
        assert kernel.shape == (3, 3, 4)
        before = {"valid": 0, "same": 1, "causal": 2}[padding]
        padded = np.pad(x, ((0, 0), (before, 2 - before if padding == "same" else 0), (0, 0)))
        starts = range(0, padded.shape[1] - 2, strides)
        want = np.stack([np.einsum("bkc,kcf->bf", padded[:, t : t + 3], kernel) for t in starts], 1) + bias
        np.testing.assert_allclose(got, np.maximum(want, 0), rtol=1e-5, atol=1e-5, err_msg=padding)
    np.testing.assert_allclose(maxed, np.stack([x[:, t : t + 2].max(1) for t in range(0, 7, 2)], 1))
    np.testing.assert_allclose(averaged, np.stack([x[:, t : t + 3].mean(1) for t in (0, 2, 4)], 1), rtol=1e-6)


def test_global_poolings_of_images_both_layouts():
    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    inp, first = keras.Input((4, 5, 3)), keras.Input((3, 4, 5))
    model = keras.Model([inp, first], [layers.GlobalAveragePooling2D()(inp), layers.GlobalMaxPooling2D(keepdims=True)(inp),
                                       layers.GlobalMaxPooling2D(data_format="channels_first")(first)])
    mean, top, top_first = model.predict([x, np.ascontiguousarray(x.transpose(0, 3, 1, 2))])
    np.testing.assert_allclose(mean, x.mean((1, 2)), rtol=1e-6)
    np.testing.assert_allclose(top, x.max((1, 2), keepdims=True))
    np.testing.assert_allclose(top_first, x.max((1, 2)))


def test_batch_normalization_trains_on_batch_statistics_and_predicts_with_the_moving_ones():
    x = (RNG.standard_normal((8, 3)) * [1, 2, 3] + [0, 5, -1]).astype(np.float32)
    inp = keras.Input((3,))
    norm = layers.BatchNormalization(momentum=0.5)
    model = keras.Model(inp, norm(inp))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-9), loss="mse")  # gamma and beta stay
    model.fit(x, np.zeros_like(x), batch_size=8, epochs=1, verbose=0, shuffle=False)
    gamma, beta, moving_mean, moving_variance = norm.get_weights()
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.5 + 0.5 * x.var(0), rtol=1e-5)
    np.testing.assert_allclose(model.predict(x), (x - moving_mean) / np.sqrt(moving_variance + 1e-3), rtol=1e-5, atol=1e-6)
    assert len(model.train_function.graph.updates) == 5  # the step count, gamma and beta by the optimizer, the moving two by the layer


def test_layer_normalization_is_numpy():
    x = RNG.standard_normal((3, 2, 4)).astype(np.float32)
    inp = keras.Input((2, 4))
    norm = layers.LayerNormalization()
    model = keras.Model(inp, norm(inp))
    norm.set_weights([np.arange(1.0, 5.0), np.full(4, 0.5)])
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * np.arange(1.0, 5.0) + 0.5
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)


def test_a_train_step_through_every_new_layer_is_the_interpreters():
    ids = RNG.integers(0, 6, (6, 8))
    ids[:, 6:] = 0
    y = RNG.integers(0, 2, 6)
    weights = []
    for target in ("cpu", "interp"):
        keras.utils.set_random_seed(3)
        inp = keras.Input((8,), dtype="int64")
        h = layers.Embedding(6, 4, mask_zero=True)(inp)
        h = layers.Conv1D(5, 3, padding="causal", activation="tanh")(layers.LayerNormalization()(h))
        h = layers.BatchNormalization()(layers.AveragePooling1D(2)(h))
        h = layers.GlobalMaxPooling1D()(layers.MaxPooling1D(2, padding="same")(h))
        model = keras.Model(inp, layers.Dense(2, activation="softmax")(h))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", target=target)
        model.fit(ids, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for cpu, interp in zip(*weights):
        np.testing.assert_allclose(cpu, interp, rtol=1e-4, atol=1e-6)


def test_bad_layer_arguments_are_named():
    with pytest.raises(ValueError, match="Conv1D: padding must be 'valid', 'same' or 'causal'"):
        layers.Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="takes sequences \\(steps, channels\\)"):
        layers.Conv1D(2, 3)(keras.Input((4, 4, 1)))
    with pytest.raises(ValueError, match="Embedding: input_dim must be a positive integer"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="axis 2 does not fit"):
        layers.BatchNormalization(axis=2)(keras.Input((3,)))
    with pytest.raises(ValueError, match="takes examples of 3 axes"):
        layers.GlobalAveragePooling2D()(keras.Input((3,)))
