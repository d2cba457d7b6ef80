"""symnet.nn: layers against NumPy, optimizer rules against hand-computed NumPy steps,
training, freezing, early stopping, saving, and the errors for bad data. One model is
compiled for the CPU (fit, evaluate, predict, save/load); the rest run on the
interpreter, which computes the same graphs op by op."""

import numpy as np
import pytest

import symnet as sn
from symnet import nn


def separable(n=400, features=11, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features)).astype(np.float32)
    y = (X[:, 0] - X[:, 3] + 0.5 * X[:, 7] > 0).astype(np.float32)
    return X, y


@pytest.fixture(scope="module")
def churn_model():
    """The seeds' churn MLP trained on the CPU (train, evaluate and predict compiled once)."""
    X, y = separable()
    model = nn.Sequential([
        nn.Dense(6, activation="relu", kernel_initializer="uniform", input_dim=11),
        nn.Dropout(0.1),
        nn.Dense(6, activation="relu", kernel_initializer="uniform"),
        nn.Dense(1, activation="sigmoid", kernel_initializer="uniform"),
    ], seed=1)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(X[:300], y[:300], batch_size=10, epochs=40, validation_split=0.1, verbose=0)
    return model, history, X, y


def test_the_churn_mlp_learns_on_the_cpu(churn_model):
    model, history, X, y = churn_model
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    loss, accuracy = model.evaluate(X[300:], y[300:])
    assert accuracy >= 0.95 and loss < 0.3
    p = model.predict(X[300:])
    assert p.shape == (100, 1) and ((p > 0.5)[:, 0] == y[300:]).mean() == pytest.approx(accuracy)
    assert "def run_serial" in model.train_function.source


def test_predict_is_the_layers_forward_in_numpy(churn_model):
    model, _, X, _ = churn_model
    W1, b1, W2, b2, W3, b3 = model.get_weights()
    h = np.maximum(X @ W1 + b1, 0)  # dropout is the identity at predict
    h = np.maximum(h @ W2 + b2, 0)
    want = 1 / (1 + np.exp(-(h @ W3 + b3)))
    np.testing.assert_allclose(model.predict(X), want, rtol=2e-5, atol=1e-6)


def test_save_and_load_round_trip(churn_model, tmp_path):
    model, _, X, _ = churn_model
    model.save(tmp_path / "churn.npz")
    loaded = nn.load_model(tmp_path / "churn.npz")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_loading_refuses_unknown_layers_and_wrong_shapes(churn_model, tmp_path):
    import json

    model, _, _, _ = churn_model
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        config = json.loads(str(data["config"]))
        weights = {k: data[k] for k in data.files if k != "config"}
    config["layers"][1]["class"] = "Lambda"
    np.savez(tmp_path / "bad.npz", config=np.array(json.dumps(config)), **weights)
    with pytest.raises(ValueError, match="unknown layer type 'Lambda'"):
        nn.load_model(tmp_path / "bad.npz")
    config["layers"][1]["class"] = "Dropout"
    weights["w0"] = weights["w0"][:5]
    np.savez(tmp_path / "bad.npz", config=np.array(json.dumps(config)), **weights)
    with pytest.raises(ValueError, match="do not fit the architecture"):
        nn.load_model(tmp_path / "bad.npz")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, X, y: m.fit(X[:, :10], y, verbose=0), r"examples of shape \(11,\) \(x of shape \(None, 11\)\), got x of shape \(400, 10\)"),
        (lambda m, X, y: m.fit(X, y[:-1], verbose=0), "x has 400 rows but y has 399"),
        (lambda m, X, y: m.fit(X, y, batch_size=0, verbose=0), "batch_size must be a positive integer, got 0"),
        (lambda m, X, y: m.predict(np.where(X > 2, np.nan, X)), "x has nan or inf values"),
        (lambda m, X, y: m.evaluate(X, np.where(y > 0, np.inf, y)), "y has nan or inf values"),
    ],
)
def test_bad_data_is_named(churn_model, call, message):
    model, _, X, y = churn_model
    with pytest.raises(ValueError, match=message):
        call(model, X, y)


def linear_model(optimizer, units=2):
    model = nn.Sequential([nn.Dense(units, input_dim=3, kernel_initializer="glorot_uniform")], seed=3)
    model.compile(optimizer=optimizer, loss="mse", target="interp")
    return model


def numpy_steps(optimizer: str, W, b, batches, lr):
    """The optimizer's rule by hand on mean((x W + b - y)²), three steps."""
    state = {}
    for t, (x, y) in enumerate(batches, start=1):
        r = x @ W + b - y
        gW, gb = 2 * x.T @ r / r.size, 2 * r.sum(0) / r.size
        for name, p, g in (("W", W, gW), ("b", b, gb)):
            if optimizer == "sgd":
                p -= lr * g
            elif optimizer in ("momentum", "nesterov"):
                v = state.get(name, 0) * 0.9 - lr * g
                state[name] = v
                p += 0.9 * v - lr * g if optimizer == "nesterov" else v
            elif optimizer == "adagrad":
                a = state.get(name, 0.1) + g * g
                state[name] = a
                p -= lr * g / (np.sqrt(a) + 1e-7)
            elif optimizer == "rmsprop":
                a = 0.9 * state.get(name, 0) + 0.1 * g * g
                state[name] = a
                p -= lr * g / (np.sqrt(a) + 1e-7)
            elif optimizer == "adam":
                m, v = state.get(name, (0, 0))
                m, v = m + (g - m) * 0.1, v + (g * g - v) * 0.001
                state[name] = (m, v)
                p -= lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
    return W, b


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_optimizer_steps_match_numpy(name):
    lr = 0.1
    make = {"sgd": lambda: nn.SGD(lr), "momentum": lambda: nn.SGD(lr, momentum=0.9),
            "nesterov": lambda: nn.SGD(lr, momentum=0.9, nesterov=True), "adagrad": lambda: nn.Adagrad(lr),
            "rmsprop": lambda: nn.RMSprop(lr), "adam": lambda: nn.Adam(lr)}[name]
    model = linear_model(make())
    W, b = (w.astype(np.float64) for w in model.get_weights())
    rng = np.random.default_rng(5)
    batches = [(rng.standard_normal((4, 3)), rng.standard_normal((4, 2))) for _ in range(3)]
    for x, y in batches:
        model.train_function(x.astype(np.float32), y.astype(np.float32))
    W, b = numpy_steps(name, W, b, batches, lr)
    got_W, got_b = model.get_weights()
    np.testing.assert_allclose(got_W, W, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(got_b, b, rtol=2e-5, atol=2e-6)


def test_fit_shows_a_progress_bar_per_epoch(capsys):
    X, y = separable(40)
    model = linear_model("sgd", units=1)
    model.fit(X[:, :3], y, batch_size=8, epochs=2, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "5/5" in err and "loss=" in err


def test_a_frozen_layer_does_not_move_and_early_stopping_stops():
    X, y = separable(120)
    model = nn.Sequential([nn.Dense(4, activation="tanh", input_dim=11), nn.Dense(1, activation="sigmoid")], seed=2)
    model.layers[0].trainable = False
    model.compile(optimizer=nn.SGD(learning_rate=1e-9), loss="binary_crossentropy", target="interp")
    frozen = model.layers[0].get_weights()
    stop = nn.EarlyStopping(monitor="loss", patience=2, min_delta=1e-3)
    history = model.fit(X, y, batch_size=40, epochs=50, callbacks=[stop], verbose=0)
    assert len(history.epoch) == 3 and stop.stopped_epoch == 2  # no improvement after epoch 0
    for before, after in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)


def test_softmax_classifier_with_sparse_labels_and_one_hot_labels():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 4)).astype(np.float32)
    labels = np.argmax(X[:, :3], axis=1)
    for loss, y in (("sparse_categorical_crossentropy", labels), ("categorical_crossentropy", np.eye(3)[labels])):
        model = nn.Sequential([nn.Dense(3, activation="softmax", input_dim=4)], seed=0)
        model.compile(optimizer=nn.Adam(0.05), loss=loss, metrics=["accuracy"], target="interp")
        model.fit(X, y, batch_size=30, epochs=15, verbose=0)
        assert model.evaluate(X, y)[1] >= 0.9
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", target="interp")
        model.fit(X, labels + 1, verbose=0)


def test_dropout_drops_inside_the_step_while_training_only():
    layer = nn.Dropout(0.25, seed=3)
    x = sn.matrix("x")
    out = layer.call(x, training=True)
    f = sn.function([x], out, updates=layer.own_random.updates(), target="interp")
    first, second = f(np.ones((40, 50), np.float32)), f(np.ones((40, 50), np.float32))
    for mask in (first, second):
        assert set(np.unique(mask)) == {0, np.float32(4 / 3)}
        assert (mask == 0).mean() == pytest.approx(0.25, abs=0.03)
    assert (first != second).mean() > 0.2  # the counter moved on: new noise
    assert layer.call(x, training=False) is x


def test_a_model_with_dropout_draws_the_same_noise_on_every_target():
    X, y = separable(60)
    weights = []
    for target in ("cpu", "interp"):
        model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=11), nn.Dropout(0.5),
                               nn.Dense(1, activation="sigmoid")], seed=5)
        model.compile(optimizer="sgd", loss="binary_crossentropy", target=target)
        model.fit(X, y, batch_size=20, epochs=2, verbose=0)
        weights.append(model.get_weights())
        assert model.random.counter.get_value() == 6  # one draw per step
        assert model.train_function.graph.inputs[2:] == []
    for cpu, interp in zip(*weights):
        np.testing.assert_allclose(cpu, interp, rtol=1e-5, atol=1e-7)


def test_initializers_and_bad_arguments():
    rng = np.random.default_rng(0)
    w = nn.initializers.glorot_uniform((600, 400), rng)
    assert np.abs(w).max() <= np.sqrt(6 / 1000) and w.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.05)
    h = nn.initializers.he_normal((2000, 100), rng)
    assert np.abs(h).max() <= 2 * np.sqrt(2 / 2000) / 0.8796 + 1e-12 and h.std() == pytest.approx(np.sqrt(2 / 2000), rel=0.05)
    assert np.abs(nn.initializers.uniform((100,), rng)).max() <= 0.05
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        nn.Sequential([nn.Dense(2, kernel_initializer="glorot", input_dim=2)])
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        nn.Dense(2, activation="relu6")
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        linear_model("adamax")
    with pytest.raises(RuntimeError, match="call model.compile"):
        nn.Sequential([nn.Dense(1, input_dim=2)]).fit(np.zeros((2, 2)), np.zeros(2), verbose=0)


# -- convolutional layers -----------------------------------------------------------------------


def _conv_numpy(x, w, b, stride=(1, 1), padding=(0, 0)):
    from tests.op_table import conv_ref

    return conv_ref(stride, padding)(x, w.transpose(3, 2, 0, 1)) + b[None, :, None, None]  # Keras' (kh, kw, c, f)


@pytest.fixture(scope="module")
def cnn():
    """A small CNN with every convolutional layer kind, its predict compiled for the CPU."""
    model = nn.Sequential([
        nn.Conv2D(3, (2, 3), strides=(1, 2), activation="relu", input_shape=(2, 7, 9), data_format="channels_first"),
        nn.MaxPooling2D(2, data_format="channels_first"),
        nn.Conv2D(4, 3, padding="same", activation="tanh", data_format="channels_first"),
        nn.AveragePooling2D((1, 2), strides=1, data_format="channels_first"),
        nn.Flatten(),
        nn.Dense(2, activation="softmax"),
    ], seed=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).standard_normal((5, 2, 7, 9)).astype(np.float32)
    return model, x


def test_conv_layers_forward_is_numpy(cnn):
    from tests.op_table import pool_ref

    model, x = cnn
    assert [layer.output_shape for layer in model.layers] == [(3, 6, 4), (3, 3, 2), (4, 3, 2), (4, 3, 1), (12,), (2,)]
    k1, b1, k2, b2, w3, b3 = model.get_weights()
    assert k1.shape == (2, 3, 2, 3) and k2.shape == (3, 3, 3, 4)
    h = np.maximum(_conv_numpy(x, k1, b1, stride=(1, 2)), 0)
    h = pool_ref(np.max, (2, 2))(h)
    h = np.tanh(_conv_numpy(h, k2, b2, padding=(1, 1)))
    h = pool_ref(np.mean, (1, 2), (1, 1))(h).reshape(len(x), -1)
    z = h @ w3 + b3
    want = np.exp(z - z.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)


def test_a_cnn_saves_loads_and_names_its_layers_as_keras(cnn, tmp_path):
    model, x = cnn
    assert [layer.name.rsplit("_", 1)[0] for layer in model.layers] == [
        "conv2d", "max_pooling2d", "conv2d", "average_pooling2d", "flatten", "dense"]
    model.save(tmp_path / "cnn.npz")
    loaded = nn.load_model(tmp_path / "cnn.npz")
    assert [layer.output_shape for layer in loaded.layers] == [layer.output_shape for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_a_conv_train_step_matches_the_interpreter():
    """One adam step of a conv net compiled for the CPU equals the interpreter's."""
    x = np.random.default_rng(1).standard_normal((4, 1, 6, 6)).astype(np.float32)
    y = np.array([0, 1, 1, 0])
    weights = []
    for target in ("cpu", "interp"):
        model = nn.Sequential([
            nn.Conv2D(2, 3, padding="same", activation="relu", input_shape=(1, 6, 6), data_format="channels_first"),
            nn.AveragePooling2D(2, data_format="channels_first"),
            nn.Conv2D(2, 2, strides=2, activation="sigmoid", data_format="channels_first"),
            nn.Flatten(),
            nn.Dense(2, activation="softmax"),
        ], seed=2)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", target=target)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for cpu, interp in zip(*weights):
        np.testing.assert_allclose(cpu, interp, rtol=1e-4, atol=1e-6)


def _keras_same(x, kernel, stride, fill):
    """x (NCHW) padded as Keras' padding='same' does for a window and stride per axis."""
    from symnet.nn.layers import same_padding

    sides = [same_padding(n, k, s) for n, k, s in zip(x.shape[2:], kernel, stride)]
    return np.pad(x, [(0, 0), (0, 0), *sides], constant_values=fill), sides


def test_same_padding_with_strides_and_even_windows_is_keras():
    """Conv2D and both poolings with padding='same' against NumPy written from Keras' rule:
    ceil(size / stride) outputs, the padding split with the odd one after; max pooling
    ignores the padding, average pooling averages the cells inside the image only."""
    from tests.op_table import pool_ref

    model = nn.Sequential([
        nn.Conv2D(3, (2, 4), strides=(2, 3), padding="same", input_shape=(2, 7, 8), data_format="channels_first"),
        nn.MaxPooling2D((2, 3), strides=2, padding="same", data_format="channels_first"),
        nn.AveragePooling2D(3, strides=(2, 1), padding="same", data_format="channels_first"),
    ], seed=5)
    assert [layer.output_shape for layer in model.layers] == [(3, 4, 3), (3, 2, 2), (3, 1, 2)]
    x = np.random.default_rng(2).standard_normal((3, 2, 7, 8)).astype(np.float32)
    kernel, bias = model.get_weights()
    padded, _ = _keras_same(x, (2, 4), (2, 3), 0.0)
    h = _conv_numpy(padded, kernel, bias, stride=(2, 3))
    padded, _ = _keras_same(h, (2, 3), (2, 2), -np.inf)
    h = pool_ref(np.max, (2, 3), (2, 2))(padded)
    padded, sides = _keras_same(h, (3, 3), (2, 1), 0.0)
    inside = np.pad(np.ones(h.shape[2:]), sides)[None, None]
    want = pool_ref(np.sum, (3, 3), (2, 1))(padded) / pool_ref(np.sum, (3, 3), (2, 1))(inside)
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    interp = nn.Sequential([layer.__class__(**{k: v for k, v in layer.config().items() if k != "name"})
                            for layer in model.layers], seed=5)
    interp.compile(optimizer="sgd", loss="mse", target="interp")
    interp.set_weights(model.get_weights())
    y = np.random.default_rng(3).standard_normal((3, 6)).astype(np.float32)
    model.fit(x, y.reshape(3, 3, 1, 2), batch_size=3, epochs=1, verbose=0)
    interp.fit(x, y.reshape(3, 3, 1, 2), batch_size=3, epochs=1, verbose=0)
    for cpu, reference in zip(model.get_weights(), interp.get_weights()):
        np.testing.assert_allclose(cpu, reference, rtol=1e-4, atol=1e-6)


def test_bad_conv_layers_are_named():
    with pytest.raises(ValueError, match="Conv2D: padding must be 'valid' or 'same', got 'full'"):
        nn.Conv2D(2, 2, padding="full")
    with pytest.raises(ValueError, match="kernel_size must be a positive int or a pair"):
        nn.Conv2D(2, (3, 0))
    with pytest.raises(ValueError, match="MaxPooling2D: padding must be 'valid' or 'same', got 'causal'"):
        nn.MaxPooling2D(2, padding="causal")
    with pytest.raises(ValueError, match=r"takes images \(height, width, channels\), got examples of shape \(64,\)"):
        nn.Sequential([nn.Conv2D(2, 3, input_shape=(64,))])
    with pytest.raises(ValueError, match=r"takes images \(channels, height, width\)"):
        nn.Sequential([nn.Conv2D(2, 3, input_shape=(64,), data_format="channels_first")])
    with pytest.raises(ValueError, match="data_format must be 'channels_last' or 'channels_first'"):
        nn.MaxPooling2D(2, data_format="NHWC")
    with pytest.raises(sn.ShapeError, match=r"the window \(5\) is larger than the padded input \(4 \+ 2\*0\)"):
        nn.Sequential([nn.Conv2D(2, 5, input_shape=(4, 4, 1))])
    with pytest.raises(TypeError, match="conv2d needs float tensors"):
        sn.conv2d(sn.tensor4("x", "int32"), sn.tensor4("w"))
    with pytest.raises(sn.ShapeError, match="the input has 3 channels, the kernel expects 2"):
        sn.conv2d(sn.tensor("x", shape=(None, 3, 5, 5)), sn.tensor("w", shape=(4, 2, 3, 3)))


# -- recurrent layers -----------------------------------------------------------------------------


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _rnn_numpy(x, kernel, recurrent, bias):
    h, outputs = np.zeros((len(x), recurrent.shape[0])), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        outputs.append(h)
    return np.stack(outputs, 1)


def _lstm_numpy(x, kernel, recurrent, bias):
    """Keras' LSTM equations, gates in the order input, forget, cell, output."""
    u = recurrent.shape[0]
    h, c = np.zeros((len(x), u)), np.zeros((len(x), u))
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = _sigmoid(z[:, :u]), _sigmoid(z[:, u : 2 * u]), np.tanh(z[:, 2 * u : 3 * u]), _sigmoid(z[:, 3 * u :])
        c = f * c + i * g
        h = o * np.tanh(c)
    return h


def test_recurrent_layers_forward_is_numpy_and_saves(tmp_path):
    model = nn.Sequential([nn.SimpleRNN(4, return_sequences=True, input_shape=(5, 3)), nn.LSTM(3), nn.Dense(1)], seed=2)
    model.compile(optimizer="adam", loss="mse", target="interp")
    assert [layer.output_shape for layer in model.layers] == [(5, 4), (3,), (1,)]
    k1, r1, b1, k2, r2, b2, w, b = (a.astype(np.float64) for a in model.get_weights())
    assert r1.shape == (4, 4) and k2.shape == (4, 12) and np.allclose(b2, [0] * 3 + [1] * 3 + [0] * 6)
    np.testing.assert_allclose(r1.T @ r1, np.eye(4), atol=1e-6)  # orthogonal recurrent kernel
    x = np.random.default_rng(0).standard_normal((6, 5, 3)).astype(np.float32)
    want = _lstm_numpy(_rnn_numpy(x, k1, r1, b1), k2, r2, b2) @ w + b
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "rnn.npz")
    loaded = nn.load_model(tmp_path / "rnn.npz")
    loaded.compile(optimizer="adam", loss="mse", target="interp")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    with pytest.raises(ValueError, match=r"takes sequences \(timesteps, features\), got examples of shape \(8,\)"):
        nn.Sequential([nn.LSTM(2, input_dim=8)])


def test_an_lstm_learns_on_the_cpu():
    """Whether the first timestep's first feature was positive, read after two more steps:
    a task the output cannot solve without the cell's memory."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 3, 2)).astype(np.float32)
    y = (x[:, 0, 0] > 0).astype(np.int64)
    model = nn.Sequential([nn.LSTM(8, input_shape=(3, 2)), nn.Dense(2, activation="softmax")], seed=1)
    model.compile(optimizer=nn.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:500], y[:500], batch_size=20, epochs=15, verbose=0)
    loss, accuracy = model.evaluate(x[500:], y[500:])
    assert accuracy >= 0.9


def _gru_numpy(x, kernel, recurrent, bias, reset_after=True, backwards=False):
    """Keras' GRU equations, gates in the order update, reset, candidate; every h, in the
    order the steps ran."""
    u = recurrent.shape[0]
    h, outputs = np.zeros((len(x), u)), []
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, 0)
    for t in reversed(range(x.shape[1])) if backwards else range(x.shape[1]):
        xz = x[:, t] @ kernel + input_bias
        if reset_after:
            inner = h @ recurrent + recurrent_bias
            z, r = _sigmoid(xz[:, :u] + inner[:, :u]), _sigmoid(xz[:, u : 2 * u] + inner[:, u : 2 * u])
            candidate = np.tanh(xz[:, 2 * u :] + r * inner[:, 2 * u :])
        else:
            z, r = _sigmoid(xz[:, :u] + h @ recurrent[:, :u]), _sigmoid(xz[:, u : 2 * u] + h @ recurrent[:, u : 2 * u])
            candidate = np.tanh(xz[:, 2 * u :] + (r * h) @ recurrent[:, 2 * u :])
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, 1)


def _gru_stack():
    return nn.Sequential([
        nn.Bidirectional(nn.GRU(3, return_sequences=True), input_shape=(None, 2)),
        nn.GRU(2, reset_after=False, go_backwards=True),
        nn.Dense(1),
    ], seed=3)


def test_gru_go_backwards_and_bidirectional_are_keras_equations_at_any_length(tmp_path):
    model = _gru_stack()
    model.compile(optimizer="adam", loss="mse", target="interp")
    rng = np.random.default_rng(4)
    model.set_weights([0.5 * rng.standard_normal(w.shape) for w in model.get_weights()])
    kf, rf, bf, kb, rb, bb, k2, r2, b2, w, b = (a.astype(np.float64) for a in model.get_weights())
    assert bf.shape == (2, 9) and b2.shape == (6,) and [layer.output_shape for layer in model.layers] == [(None, 6), (2,), (1,)]
    assert model.layers[0].forward_layer.name.startswith("forward_gru") and model.count_params() == 2 * (6 * 3 + 9 * 3 + 18) + 6 * 6 + 2 * 6 + 6 + 3
    for steps in (4, 1):  # one model, any number of timesteps
        x = rng.standard_normal((5, steps, 2)).astype(np.float32)
        both = np.concatenate([_gru_numpy(x, kf, rf, bf), _gru_numpy(x, kb, rb, bb, backwards=True)[:, ::-1]], axis=-1)
        want = _gru_numpy(both, k2, r2, b2, reset_after=False, backwards=True)[:, -1] @ w + b
        np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "gru.npz")
    loaded = nn.load_model(tmp_path / "gru.npz")
    loaded.compile(optimizer="adam", loss="mse", target="interp")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        nn.Bidirectional(nn.GRU(2), merge_mode=None)
    with pytest.raises(TypeError, match="Bidirectional wraps a recurrent layer"):
        nn.Bidirectional(nn.Dense(2))


def test_a_gru_train_step_matches_the_interpreter_at_any_length():
    """Two adam steps of a GRU compiled for the CPU equal the interpreter's, and the
    compiled step takes another sequence length without recompiling."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 3, 2)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    weights, steps = [], []
    for target in ("cpu", "interp"):
        model = nn.Sequential([nn.GRU(3, input_shape=(None, 2)), nn.Dense(1)], seed=3)
        model.compile(optimizer="adam", loss="mse", target=target)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        model.fit(x[:, :2], y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
        steps.append(model.train_function)
    for cpu, interp in zip(*weights):
        np.testing.assert_allclose(cpu, interp, rtol=1e-4, atol=1e-6)
    assert len(steps[0].native.module.run_batches_serial.signatures) == 1  # both lengths: one native function


def test_channels_last_is_channels_first_transposed(cnn):
    """Keras' default layout: the same layers and weights on (height, width, channels) images
    make the channels-first outputs, transposed."""
    model, x = cnn
    stacks = {}
    for fmt in ("channels_first", "channels_last"):
        layers = []
        for layer in model.layers[:4]:
            config = {k: v for k, v in layer.config().items() if k != "name"}
            config["data_format"] = fmt
            if "input_shape" in config and fmt == "channels_last":
                c, h, w = config["input_shape"]
                config["input_shape"] = [h, w, c]
            layers.append(type(layer)(**config))
        stacks[fmt] = nn.Sequential(layers)
        stacks[fmt].set_weights([a for layer in model.layers[:4] for a in layer.get_weights()])
    assert stacks["channels_last"].output_shape == (3, 1, 4) and stacks["channels_first"].output_shape == (4, 3, 1)
    first = stacks["channels_first"].predict(x)
    last = stacks["channels_last"].predict(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
    np.testing.assert_allclose(last, first.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)


def test_a_model_file_of_format_1_loads_channels_first(cnn, tmp_path):
    """Files written before channels-last (format 1: images channels-first, conv kernels
    (filters, channels, kh, kw)) load as the same model."""
    import json

    model, x = cnn
    model.save(tmp_path / "new.npz")
    with np.load(tmp_path / "new.npz") as data:
        config = json.loads(str(data["config"]))
        weights = {k: data[k] for k in data.files if k != "config"}
    config["format"] = "symnet.nn.Sequential/1"
    for entry in config["layers"]:
        entry["config"].pop("data_format", None)
    for k in ("w0", "w2"):  # the two conv kernels, back to (filters, channels, kh, kw)
        weights[k] = weights[k].transpose(3, 2, 0, 1)
    np.savez(tmp_path / "old.npz", config=np.array(json.dumps(config)), **weights)
    np.testing.assert_array_equal(nn.load_model(tmp_path / "old.npz").predict(x), model.predict(x))
