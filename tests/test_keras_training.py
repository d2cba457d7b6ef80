"""Keras' training API on symnet models: sample and class weights, initial_epoch,
train_on_batch, evaluate(return_dict=True), the callbacks' hooks, ModelCheckpoint, CSVLogger,
save_weights/load_weights; each checked against what it must equal."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import symnet.keras as keras

RNG = np.random.default_rng(1)
X = RNG.standard_normal((24, 3)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def _model(seed: int = 5):
    keras.utils.set_random_seed(seed)
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(2, activation="softmax", name="out")(x))
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_sample_and_class_weights_weigh_the_loss_of_each_row():
    weights = RNG.uniform(0.5, 2, 24)
    model = _model()
    k, b = model.get_layer("out").get_weights()
    z = X @ k + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    per_row = -np.log(p[np.arange(24), Y])
    loss, _ = model.train_on_batch(X, Y, sample_weight=weights, class_weight={1: 3.0})
    np.testing.assert_allclose(loss, np.mean(per_row * weights * np.where(Y == 1, 3.0, 1.0)), rtol=1e-5)
    # a weight of 2 on every row is the same training as twice the learning rate
    doubled, fast = _model(), _model()
    fast.compile(keras.optimizers.SGD(0.2), "sparse_categorical_crossentropy")
    doubled.fit(X, Y, batch_size=8, epochs=2, sample_weight=np.full(24, 2.0), shuffle=False, verbose=0)
    fast.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(doubled.get_weights(), fast.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="sample_weight must be 24 finite numbers"):
        model.fit(X, Y, sample_weight=np.ones(3), verbose=0)


def test_train_on_batch_is_one_step_and_initial_epoch_counts_on():
    one, other = _model(), _model()
    one.train_on_batch(X, Y)
    other.fit(X, Y, batch_size=24, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(one.get_weights(), other.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    history = other.fit(X, Y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]
    logs = other.evaluate(X, Y, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and logs["loss"] == other.test_on_batch(X, Y)[0]
    np.testing.assert_array_equal(other.predict_on_batch(X), other.predict(X))


def test_callback_hooks_run_in_keras_order_with_each_batch():
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("train_begin", self.params["steps"]))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(("epoch_begin", epoch))

        def on_train_batch_end(self, batch, logs=None):
            seen.append(("batch_end", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch_end", epoch))

        def on_train_end(self, logs=None):
            seen.append(("train_end",))

    _model().fit(X, Y, batch_size=10, epochs=2, callbacks=[Recorder()], verbose=0)
    batch = ["accuracy", "loss"]
    assert seen == [("train_begin", 3), ("epoch_begin", 0), ("batch_end", 0, batch), ("batch_end", 1, batch),
                    ("batch_end", 2, batch), ("epoch_end", 0), ("epoch_begin", 1), ("batch_end", 0, batch),
                    ("batch_end", 1, batch), ("batch_end", 2, batch), ("epoch_end", 1), ("train_end",)]


def test_model_checkpoint_csv_logger_and_weights_files(tmp_path):
    model = _model()
    checkpoint = keras.callbacks.ModelCheckpoint(tmp_path / "m-{epoch:02d}.keras")
    best = keras.callbacks.ModelCheckpoint(tmp_path / "best.weights.npz", monitor="loss", save_best_only=True,
                                           save_weights_only=True)
    logger = keras.callbacks.CSVLogger(tmp_path / "log.csv")
    history = model.fit(X, Y, batch_size=8, epochs=3, callbacks=[checkpoint, best, logger], verbose=0)
    assert sorted(p.name for p in tmp_path.glob("m-*.keras")) == ["m-01.keras", "m-02.keras", "m-03.keras"]
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m-03.keras").predict(X), model.predict(X))
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], history.history["loss"], rtol=1e-6)
    fresh = _model(seed=9)
    fresh.load_weights(tmp_path / "best.weights.npz")  # the loss fell every epoch: the last is the best
    np.testing.assert_array_equal(fresh.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="do not fit model"):
        keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)]).load_weights(tmp_path / "best.weights.npz")


def test_regularizers_add_their_penalties_to_the_loss():
    keras.utils.set_random_seed(2)
    x = keras.Input((3,))
    hidden = keras.layers.Dense(4, activation="tanh", kernel_regularizer=keras.regularizers.l2(0.1),
                                bias_regularizer="l1", activity_regularizer=keras.regularizers.L1(0.5), name="hidden")
    model = keras.Model(x, keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L1L2(0.2, 0.3), name="out")(hidden(x)))
    model.compile("sgd", "mse")
    target = X[:, :1] * 2
    (k1, b1), (k2, b2) = hidden.get_weights(), model.get_layer("out").get_weights()
    b1 = b1 + 0.5  # a nonzero bias, so that its L1 term counts
    hidden.set_weights([k1, b1])
    h = np.tanh(X @ k1 + b1)
    want = np.mean((h @ k2 + b2 - target) ** 2) + 0.1 * np.sum(k1**2) + 0.01 * np.abs(b1).sum() + 0.5 * np.abs(h).sum() / 24 \
        + 0.2 * np.abs(k2).sum() + 0.3 * np.sum(k2**2)
    np.testing.assert_allclose(model.evaluate(X, target), want, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(X, target), want, rtol=1e-5)  # the step's loss, before its update
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        keras.layers.Dense(2, kernel_regularizer="l3")


def test_recurrent_dropout_draws_inside_the_step_and_predict_has_none():
    sequences = RNG.standard_normal((6, 5, 2)).astype(np.float32)
    models = []
    for target in ("cpu", "interp"):
        keras.utils.set_random_seed(4)
        x = keras.Input((5, 2))
        model = keras.Model(x, keras.layers.Dense(1)(keras.layers.LSTM(3, dropout=0.3, recurrent_dropout=0.4)(x)))
        model.compile("sgd", "mse", target=target)
        models.append(model)
    plain = keras.Model(models[0].inputs[0], models[0].outputs[0])  # the same layers
    np.testing.assert_array_equal(models[0].predict(sequences), plain.predict(sequences))
    losses = [[m.train_on_batch(sequences, np.zeros((6, 1))) for _ in range(2)] for m in models]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)  # the same noise on both targets
    assert losses[0][0] != losses[0][1]  # new noise on every call
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def _roc_auc(y, p, thresholds=200):
    edges = np.array([-1e-7, *[(i + 1) / (thresholds - 1) for i in range(thresholds - 2)], 1 + 1e-7])
    above = p[:, None] > edges
    tpr = (above & (y[:, None] == 1)).sum(0) / max((y == 1).sum(), 1)
    fpr = (above & (y[:, None] == 0)).sum(0) / max((y == 0).sum(), 1)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


def test_precision_recall_and_auc_count_over_the_whole_epoch():
    keras.utils.set_random_seed(6)
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(1, activation="sigmoid", name="out")(x))
    model.compile(keras.optimizers.SGD(1e-9), "binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Precision(), "recall", keras.metrics.AUC(num_thresholds=50)])
    y = Y.astype(np.float32)
    history = model.fit(X, y, batch_size=5, epochs=2, shuffle=False, verbose=0, validation_data=(X[:10], y[:10]))
    k, b = model.get_layer("out").get_weights()
    p = 1 / (1 + np.exp(-(X @ k + b)[:, 0]))
    predicted, actual = p > 0.5, y == 1
    want = {"precision": (predicted & actual).sum() / predicted.sum(), "recall": (predicted & actual).sum() / actual.sum(),
            "auc": _roc_auc(y, p, 50)}
    for name, value in want.items():  # of all 24 rows, not a mean of the batches' values
        np.testing.assert_allclose(history.history[name][-1], value, rtol=1e-4)
    np.testing.assert_allclose(history.history["val_auc"][-1], _roc_auc(y[:10], p[:10], 50), rtol=1e-4)
    logs = model.evaluate(X, y, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "precision", "recall", "auc"]
    np.testing.assert_allclose(logs["auc"], want["auc"], rtol=1e-4)
