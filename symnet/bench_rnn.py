"""The RNN workload of ``python -m symnet bench``: the keras-io LSTM classifier (LSTM(64,
return_sequences) → LSTM(32) → Dense(16, relu) → Dense(2, softmax), 8 timesteps of 8
features, adam, sparse categorical cross-entropy, batch 32): its first epoch in a fresh
process with empty caches (compilation included), and its training step, for symnet and,
with ``--compare keras,torch``, for Keras 3 on JAX and PyTorch (eager) from the same
initial weights, whose first loss must equal symnet's."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROWS, BATCH, STEPS, FEATURES = 960, 32, 8, 8
KEYS = ("RNN-EPOCH", "RNN-STEP")
EPOCH_TARGET = 1.5 * 3.3  # the target: 1.5x Keras-JAX's first epoch (3.3 s, 2 cores)


def data() -> tuple:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, STEPS, FEATURES)).astype(np.float32)
    return X, (X[:, :, 0].sum(axis=1) > 0).astype(np.int64)


def symnet_model():
    from symnet import nn

    model = nn.Sequential([
        nn.LSTM(64, return_sequences=True, input_shape=(STEPS, FEATURES)), nn.LSTM(32),
        nn.Dense(16, activation="relu"), nn.Dense(2, activation="softmax"),
    ], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _keras_model(weights):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    model = keras.Sequential([
        keras.Input((STEPS, FEATURES)), keras.layers.LSTM(64, return_sequences=True), keras.layers.LSTM(32),
        keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2, activation="softmax"),
    ])
    model.set_weights(weights)  # symnet's layouts are Keras'
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _torch_step(weights):
    """``step(x, y) -> loss``: the model in PyTorch (its LSTM gates in Keras' order i, f, g,
    o; weights transposed, the second bias zero), one adam step per call."""
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = torch.nn.LSTM(FEATURES, 64, batch_first=True)
            self.lstm2 = torch.nn.LSTM(64, 32, batch_first=True)
            self.dense1, self.dense2 = torch.nn.Linear(32, 16), torch.nn.Linear(16, 2)

        def forward(self, x):
            h, _ = self.lstm1(x)
            _, (h, _) = self.lstm2(h)
            return self.dense2(torch.relu(self.dense1(h[0])))

    net = Net()
    with torch.no_grad():
        for lstm, (kernel, recurrent, bias) in ((net.lstm1, weights[0:3]), (net.lstm2, weights[3:6])):
            lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
            lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent.T.copy()))
            lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
            lstm.bias_hh_l0.zero_()
        for dense, (kernel, bias) in ((net.dense1, weights[6:8]), (net.dense2, weights[8:10])):
            dense.weight.copy_(torch.from_numpy(kernel.T.copy()))
            dense.bias.copy_(torch.from_numpy(bias))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)  # Keras' defaults
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def epoch(peer: str) -> float:
    """Seconds of one epoch of ``peer`` (``symnet``, ``keras``, ``torch``) from a model just
    built, compilation included; run in a fresh process."""
    X, y = data()
    weights = symnet_model().get_weights()
    if peer == "symnet":
        model = symnet_model()
        start = time.perf_counter()
        model.fit(X, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    elif peer == "keras":
        model = _keras_model(weights)
        start = time.perf_counter()
        model.fit(X, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    elif peer == "torch":
        import torch

        step = _torch_step(weights)
        start = time.perf_counter()
        for s in range(0, ROWS, BATCH):
            step(torch.from_numpy(X[s : s + BATCH]), torch.from_numpy(y[s : s + BATCH]))
    else:
        raise ValueError(f"no RNN workload for {peer!r}")
    return time.perf_counter() - start


EPOCH_SCRIPT = "import sys\nfrom symnet.bench_rnn import epoch\nprint(epoch(sys.argv[1]))\n"


def fresh_epoch(peer: str) -> float:
    """``epoch(peer)`` in a fresh process with empty symnet and Numba caches."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SYMNET_CACHE_DIR=cache, NUMBA_CACHE_DIR=os.path.join(cache, "numba"))
        done = subprocess.run([sys.executable, "-c", EPOCH_SCRIPT, peer], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def step_samples(peer: str, repeat: int) -> tuple:
    """(first loss, seconds per training step samples) of ``peer`` on the first batch."""
    from symnet.bench import timeit

    X, y = data()
    x, t = X[:BATCH], y[:BATCH]
    model = symnet_model()
    if peer == "symnet":
        step = model.train_function
        call = lambda: step(x, t)  # noqa: E731
        first = float(call()[0])
    elif peer == "keras":
        keras_model = _keras_model(model.get_weights())
        call = lambda: keras_model.train_on_batch(x, t)  # noqa: E731
        first = float(call())
    else:
        import torch

        torch_step, tx, tt = _torch_step(model.get_weights()), torch.from_numpy(x), torch.from_numpy(t)
        call = lambda: torch_step(tx, tt)  # noqa: E731
        first = call()
    return first, timeit(call, repeat)


def rows(repeat: int) -> list:
    """The symnet rows: first epoch against its target, and the step (peers: ``--compare``)."""
    from symnet.bench import row

    seconds = fresh_epoch("symnet")
    first = {"key": "RNN-EPOCH", "workload": "RNN keras-io LSTM first epoch, empty caches", "symnet": seconds,
             "baseline": "target: 1.5x Keras-JAX's 3.3 s", "baseline_time": EPOCH_TARGET, "ratio": seconds / EPOCH_TARGET}
    _, samples = step_samples("symnet", repeat)
    step = row("RNN keras-io LSTM train step, batch 32", samples, "peers: --compare keras,torch", float("nan"), key="RNN-STEP")
    return [first, step]


def peer_figures(peer: str, keys: list, repeat: int) -> dict:
    """{key: seconds} of the RNN keys for a peer process; the first epoch first, while the
    process is fresh. The peer's first loss must be symnet's (same weights, same batch)."""
    out = {}
    if peer not in ("keras", "torch"):
        return out
    if "RNN-EPOCH" in keys:
        out["RNN-EPOCH"] = epoch(peer)
    if "RNN-STEP" in keys:
        from symnet.bench import verify

        loss, samples = step_samples(peer, repeat)
        verify(f"RNN step ({peer})", [loss], [step_samples("symnet", 1)[0]], rtol=1e-4)
        out["RNN-STEP"] = statistics.median(samples)
    return out
