"""symnet.distributed on a real Dask LocalCluster (worker processes): map_blocks against the
local function, synchronous training against one process, local SGD, Dask arrays, a killed
worker, bad inputs."""

import logging
import os
import signal
import warnings

import numpy as np
import pytest

import symnet as sn
from symnet import nn

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from symnet.distributed import DataParallel, map_blocks  # noqa: E402


def _cluster():
    return distributed.Client(distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0", silence_logs=logging.CRITICAL))


@pytest.fixture(scope="module")
def client():
    c = _cluster()
    yield c
    c.close()
    c.cluster.close()


def _data(n=512, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(sn.config.floatX)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 1)


def _model(extra=(), metrics=("accuracy",), optimizer="adam"):
    m = nn.Sequential([nn.Input((8,)), nn.Dense(16, activation="relu"), *extra, nn.Dense(3, activation="softmax")], seed=1)
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return m


def _same_batches(n, workers, batch):
    """The row order whose batches in one process are the cluster's global batches: each
    worker holds a contiguous part and gives its next batch / workers rows to each step."""
    part, local = n // workers, batch // workers
    return np.concatenate([np.concatenate([np.arange(w * part + t * local, w * part + (t + 1) * local) for w in range(workers)])
                           for t in range(part // local)])


# -- map_blocks ----------------------------------------------------------------------------------
def test_map_blocks_matches_the_local_function_and_builds_it_once_per_worker(client):
    x = sn.matrix("x")
    f = sn.function([x], sn.tanh(x) * 2 + 1)
    g = sn.function([x], [sn.sum(x * x, axis=1), sn.exp(x)[:, :3]])
    xs = np.random.default_rng(0).normal(size=(1000, 7)).astype(sn.config.floatX)
    dx = da.from_array(xs, chunks=(300, 4))
    out = map_blocks(f, dx)
    assert out.shape == (1000, 7) and out.dtype == f(xs).dtype and out.chunks == ((300, 300, 300, 100), (7,))
    np.testing.assert_allclose(out.compute(), f(xs), rtol=1e-6)
    np.testing.assert_allclose(out.compute(), f(xs), rtol=1e-6)
    s, e = map_blocks(g, dx)
    assert s.shape == (1000,) and e.shape == (1000, 3)
    np.testing.assert_allclose(s.compute(), g(xs)[0], rtol=1e-5)
    np.testing.assert_allclose(e.compute(), g(xs)[1], rtol=1e-6)
    from symnet.distributed import blocks

    built = client.run(lambda: len(blocks._BUILT))
    assert sorted(built.values()) == [2, 2]  # f and g, once each per worker


def test_map_blocks_of_a_model_predict(client):
    m = _model()
    xs, _ = _data(700)
    out = map_blocks(m.predict_function, da.from_array(xs, chunks=250))
    np.testing.assert_allclose(out.compute(), m.predict(xs), rtol=1e-5, atol=1e-7)


def test_map_blocks_errors(client):
    x = sn.matrix("x")
    dx = da.zeros((10, 3), chunks=5)
    with pytest.raises(ValueError, match="not row-wise"):
        map_blocks(sn.function([x], sn.sum(x, axis=0)), dx)
    with pytest.raises(TypeError, match="made by sn.function"):
        map_blocks(np.tanh, dx)
    with pytest.raises(TypeError, match="must be a Dask array"):
        map_blocks(sn.function([x], x + 1), np.zeros((10, 3)))
    with pytest.raises(TypeError, match="takes 1 arrays, got 2"):
        map_blocks(sn.function([x], x + 1), dx, dx)
    with pytest.raises(ValueError, match="2 axes"):
        map_blocks(sn.function([x], x + 1), da.zeros(10, chunks=5))


# -- training --------------------------------------------------------------------------------------
def test_synchronous_training_is_one_process_training(client):
    xs, ys = _data()
    m = _model()
    h = m.fit(xs, ys, batch_size=64, epochs=5, shuffle=False, verbose=0, distribute=client)
    order = _same_batches(len(xs), 2, 64)
    one = _model()
    h1 = one.fit(xs[order], ys[order], batch_size=64, epochs=5, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], h1.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h.history["accuracy"], h1.history["accuracy"], rtol=1e-6)
    for a, b in zip(m.get_weights(), one.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert h.events == []
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_graph_level_data_parallel_sums_the_gradients_of_a_users_step(client):
    rng = np.random.default_rng(3)
    xs = rng.normal(size=(256, 5)).astype(sn.config.floatX)
    ys = (xs @ rng.normal(size=(5, 1))).astype(sn.config.floatX)
    x, y = sn.matrix("x"), sn.matrix("y")

    def linear():
        w = sn.shared(np.zeros((5, 1), sn.config.floatX), name="w")
        b = sn.shared(np.zeros(1, sn.config.floatX), name="b")
        return w, b, sn.mean((x @ w + b - y) ** 2)

    w, b, loss = linear()
    dp = DataParallel(client, [x, y], [loss], [w, b], lambda g: [(p, p - 0.1 * gp) for p, gp in zip([w, b], g)])
    dp.shard(xs, ys)
    losses = [float(dp.epoch(e, batch_size=64, shuffle=False)[0]) for e in range(3)]
    w1, b1, loss1 = linear()
    step = sn.function([x, y], loss1, updates=[(p, p - 0.1 * g) for p, g in zip([w1, b1], sn.grad(loss1, [w1, b1]))])
    order = _same_batches(256, 2, 64)
    expected = [np.mean([float(step(xs[order][t:t + 64], ys[order][t:t + 64])) for t in range(0, 256, 64)]) for _ in range(3)]
    np.testing.assert_allclose(losses, expected, rtol=1e-5)
    np.testing.assert_allclose(w.get_value(), w1.get_value(), rtol=1e-5, atol=1e-7)


def test_local_sgd_converges_and_leaves_one_set_of_weights(client):
    xs, ys = _data()
    m = _model(optimizer=nn.optimizers.Adam(0.01))
    h = m.fit(xs, ys, batch_size=64, epochs=6, verbose=1, distribute=client, sync_every=4, validation_split=0.25)
    assert h.history["loss"][-1] < 0.8 * h.history["loss"][0]
    assert h.history["val_accuracy"][-1] > 0.6
    dp = m._data_parallel[id(client), False, 4]
    states = [r.get_state().result()[0] for r in dp.replicas]
    for a, b in zip(*states):
        np.testing.assert_array_equal(a, b)  # averaged: the same on every worker
    for a, v in zip(states[0], dp.program.state):
        np.testing.assert_array_equal(a, v.get_value())  # and on the client


def test_metrics_with_state_count_every_workers_rows(client):
    xs, ys = _data(512)
    labels = (ys > 0).astype(sn.config.floatX)

    def binary():
        m = nn.Sequential([nn.Input((8,)), nn.Dense(8, activation="relu"), nn.Dense(1, activation="sigmoid")], seed=2)
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=[nn.metrics.Precision(), nn.metrics.Recall(), "accuracy"])
        return m

    m = binary()
    h = m.fit(xs, labels, batch_size=64, epochs=2, shuffle=False, verbose=0, distribute=client)
    order = _same_batches(len(xs), 2, 64)
    h1 = binary().fit(xs[order], labels[order], batch_size=64, epochs=2, shuffle=False, verbose=0)
    for key in ("loss", "precision", "recall", "accuracy"):
        np.testing.assert_allclose(h.history[key], h1.history[key], rtol=1e-5, err_msg=key)
    local = binary().fit(xs, labels, batch_size=64, epochs=2, verbose=0, distribute=client, sync_every=3)
    assert all(0 < v <= 1 for v in local.history["precision"] + local.history["recall"])


def test_early_stopping_and_batch_hooks_on_a_cluster(client):
    xs, ys = _data(256)

    class Batches(nn.callbacks.Callback):
        seen: list = []

        def on_train_batch_end(self, batch, logs=None):
            self.seen.append((batch, logs["loss"]))

    m = _model()
    batches = Batches()
    h = m.fit(xs, ys, batch_size=64, epochs=10, verbose=0, distribute=client,
              callbacks=[nn.callbacks.EarlyStopping(monitor="loss", min_delta=10.0, patience=1), batches])
    assert h.epoch == [0, 1]  # no epoch improved the loss by 10
    assert [b for b, _ in batches.seen] == [0, 1, 2, 3] * 2 and all(np.isfinite(v) for _, v in batches.seen)
    assert np.mean([v for _, v in batches.seen[:4]]) == pytest.approx(h.history["loss"][0], rel=1e-5)


def test_dask_arrays_stay_on_their_workers_and_train(client):
    xs, ys = _data(600)
    dx, dy = client.persist([da.from_array(xs, chunks=150), da.from_array(ys, chunks=200)])
    m = _model(extra=[nn.Dropout(0.2), nn.BatchNormalization()])
    h = m.fit(dx, dy, batch_size=100, epochs=4, verbose=0, distribute=client)
    assert h.history["loss"][-1] < h.history["loss"][0] and np.isfinite(h.history["loss"]).all()
    bn = m.layers[-2]
    assert not np.allclose(bn.moving_mean.get_value(), 0)  # the workers' moves, averaged, reached the client
    dp = m._data_parallel[id(client), False, 1]
    assert sum(dp.sizes) == 600 and all(n % 150 == 0 for n in dp.sizes)  # whole chunks, on the workers holding them
    np.testing.assert_allclose(m.evaluate(xs, ys, return_dict=True)["loss"], m.evaluate(xs, ys, return_dict=True)["loss"])


def test_a_killed_worker_retries_the_epoch():
    c = _cluster()
    try:
        class Kill(nn.callbacks.Callback):
            epoch = 0
            done = False

            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                if self.epoch == 1 and batch == 2 and not self.done:
                    self.done = True
                    victim = list(c.scheduler_info()["workers"])[1]
                    os.kill(c.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)

        xs, ys = _data()
        m = _model()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = m.fit(xs, ys, batch_size=64, epochs=3, verbose=0, distribute=c, callbacks=[Kill()])
        assert len(h.history["loss"]) == 3 and np.isfinite(h.history["loss"]).all()
        assert len(h.events) == 1 and h.events[0].startswith("epoch 2: replica 1") and "retried" in h.events[0]
        assert any("retried" in str(w.message) for w in caught)
        assert all(np.isfinite(a).all() for a in m.get_weights())
    finally:
        c.close()
        c.cluster.close()


def test_bad_inputs_are_named_before_training(client):
    xs, ys = _data(64)
    m = _model()
    with pytest.raises(TypeError, match="dask.distributed.Client"):
        m.fit(xs, ys, distribute="tcp://127.0.0.1:8786", verbose=0)
    with pytest.raises(ValueError, match="sync_every must be a positive integer"):
        m.fit(xs, ys, distribute=client, sync_every=0, verbose=0)
    with pytest.raises(ValueError, match="x has 64 rows but y has 63"):
        m.fit(da.from_array(xs, chunks=32), da.from_array(ys[:63], chunks=32), distribute=client, verbose=0)
    with pytest.raises(ValueError, match=r"examples of shape \(8,\)"):
        m.fit(da.from_array(xs[:, :5], chunks=32), da.from_array(ys, chunks=32), distribute=client, verbose=0)
    with pytest.raises(TypeError, match="array of numbers"):
        m.fit(da.from_array(xs.astype(str), chunks=32), da.from_array(ys, chunks=32), distribute=client, verbose=0)
    x, y = sn.matrix("x"), sn.vector("y")
    w = sn.shared(np.zeros((8, 1), sn.config.floatX))
    dp = DataParallel(client, [x, y], [sn.mean((x @ w)[:, 0] - y)], [w], lambda g: [(w, w - g[0])])
    with pytest.raises(TypeError, match="must be float"):
        dp.shard(xs, ys)
    with pytest.raises(ValueError, match="same, known number of rows"):
        dp.shard(xs, ys[:10].astype(sn.config.floatX))
    empty = distributed.Client(distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0"))
    try:
        with pytest.raises(RuntimeError, match="no workers"):
            m.fit(xs, ys, distribute=empty, verbose=0)
    finally:
        empty.close()
        empty.cluster.close()
