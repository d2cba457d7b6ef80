"""Theano-style programs (tests/theano_programs/, written as the Theano tutorials write them)
run unchanged through ``python -m symnet.theano``; their costs, gradients and updates are
checked against NumPy implementations of the same models."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

PROGRAMS = pathlib.Path(__file__).resolve().parent / "theano_programs"


def run(name: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "symnet.theano", str(PROGRAMS / name), *args],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_logistic_regression_with_givens_trains_as_numpy_does():
    out = run("logistic_sgd.py", "0.5")
    assert out["floatX"] == "float32"
    rng = np.random.RandomState(1234)
    data_x = rng.randn(200, 20).astype(np.float32).astype(np.float64)
    data_y = np.argmax(data_x[:, :3] + 0.3 * rng.randn(200, 3), axis=1)
    W, b, costs = np.zeros((20, 3)), np.zeros(3), []
    for _ in range(3):
        for i in range(8):
            xb, yb = data_x[i * 25 : (i + 1) * 25], data_y[i * 25 : (i + 1) * 25]
            p = _softmax(xb @ W + b)
            rows = np.arange(len(yb))
            costs.append(-np.mean(np.log(p[rows, yb])))
            d = p.copy()
            d[rows, yb] -= 1
            W, b = W - 0.5 * xb.T @ d / 25, b - 0.5 * d.sum(0) / 25
    np.testing.assert_allclose(out["costs"], costs, rtol=2e-4)
    np.testing.assert_allclose(out["W"], W, rtol=2e-3, atol=1e-5)


def _convnet_cost(images, labels, W, b, V):
    """conv2d as Theano computes it (a true convolution: the filters flipped), 2x2 max
    pooling, tanh, softmax, the mean negative log-likelihood."""
    n, f = len(images), len(W)
    flipped = W[:, :, ::-1, ::-1]
    conv = np.zeros((n, f, 6, 6))
    for i in range(6):
        for j in range(6):
            conv[:, :, i, j] = np.einsum("nchw,fchw->nf", images[:, :, i : i + 3, j : j + 3], flipped)
    pooled = conv.reshape(n, f, 3, 2, 3, 2).max(axis=(3, 5))
    hidden = np.tanh(pooled + b[None, :, None, None]).reshape(n, -1)
    p = _softmax(hidden @ V)
    return -np.mean(np.log(p[np.arange(n), labels]))


def test_a_convnet_with_conv2d_and_pool_2d_matches_numpy_and_its_finite_differences():
    out = run("convnet.py")
    images, labels = np.array(out["images"]), np.array(out["labels"])
    params = [np.array(p) for p in out["params"]]
    np.testing.assert_allclose(out["cost"], _convnet_cost(images, labels, *params), rtol=1e-10)
    for k, grad in enumerate(out["grads"]):
        numeric = np.zeros_like(params[k])
        for index in np.ndindex(params[k].shape):
            shifted = [p.copy() for p in params]
            shifted[k][index] += 1e-6
            plus = _convnet_cost(images, labels, *shifted)
            shifted[k][index] -= 2e-6
            numeric[index] = (plus - _convnet_cost(images, labels, *shifted)) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8, err_msg=f"gradient of parameter {k}")
    assert out["costs"][-1] < 0.5 * out["costs"][0]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_a_denoising_autoencoder_corrupts_anew_each_call_and_steps_as_numpy_does():
    out = run("denoising_autoencoder.py")
    data, steps = np.array(out["data"]), out["steps"]
    kept = []
    for k, step in enumerate(steps):
        W, bh, bv = (np.array(p) for p in step["params"])
        tx = np.array(step["corrupted"])
        assert set(np.unique(tx)) <= {0.0, 1.0} and np.all(tx <= data)  # x times a binomial mask
        kept.append(tx[data == 1].mean())
        y = _sigmoid(tx @ W + bh)
        z = _sigmoid(y @ W.T + bv)
        cost = -np.mean(np.sum(data * np.log(z) + (1 - data) * np.log(1 - z), axis=1))
        np.testing.assert_allclose(step["cost"], cost, rtol=1e-10)
        if k + 1 < len(steps):
            dz = (z - data) / len(data)
            dy = dz @ W * y * (1 - y)
            expected = [W - 0.1 * (tx.T @ dy + dz.T @ y), bh - 0.1 * dy.sum(0), bv - 0.1 * dz.sum(0)]
            for got, want in zip(steps[k + 1]["params"], expected):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert abs(np.mean(kept) - 0.7) < 0.05
    assert len({json.dumps(s["corrupted"]) for s in steps}) == len(steps)  # new noise every call


def test_theano_names_symnet_lacks_say_so():
    import symnet.theano as theano
    import symnet.theano.tensor as T

    with pytest.raises(AttributeError, match="theano.tensor.fill_diagonal is not supported by symnet.theano"):
        T.fill_diagonal
    with pytest.raises(AttributeError, match="theano.tensor.nnet.h_softmax is not supported"):
        T.nnet.h_softmax
    with pytest.raises(NotImplementedError, match="mode='DebugMode'"):
        theano.function([T.scalar()], T.scalar() * 2, mode="DebugMode")
    done = subprocess.run([sys.executable, "-m", "symnet.theano"], capture_output=True, text=True)
    assert done.returncode != 0 and "usage" in done.stderr


def test_an_rbm_trained_by_contrastive_divergence_with_a_scan_gibbs_chain():
    out = run("rbm.py")
    data, steps = np.array(out["data"]), out["steps"]
    for k, step in enumerate(steps):
        W, hb, vb = (np.array(p) for p in step["params"])
        x = data[step["batch"] * 10 : (step["batch"] + 1) * 10]
        end = np.array(step["chain_end"])
        assert set(np.unique(end)) <= {0.0, 1.0} and end.shape == x.shape
        if k + 1 < len(steps):
            # d/dθ [mean FE(x) - mean FE(end)], the chain's end held constant (consider_constant)
            hx, he = _sigmoid(x @ W + hb), _sigmoid(end @ W + hb)
            gW = -(x.T @ hx - end.T @ he) / len(x)
            ghb = -(hx.sum(0) - he.sum(0)) / len(x)
            gvb = -(x.sum(0) - end.sum(0)) / len(x)
            lr = float(np.float32(0.1))  # the tutorial casts the rate to floatX (float32)
            for got, want in zip(steps[k + 1]["params"], [W - lr * gW, hb - lr * ghb, vb - lr * gvb]):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert len({json.dumps(s["chain_end"]) for s in steps}) == len(steps)  # the chain samples anew each call


def _lstm_cost(seqs, mask, labels, p):
    """The tutorial's LSTM in NumPy: gates i, f, o, c in that order, masked steps keep the
    state, mean pooling over each sequence's own steps, softmax, mean NLL (+1e-8 inside log)."""
    d = p["Wemb"].shape[1]
    emb = p["Wemb"][seqs]  # (steps, samples, d)
    h, c = np.zeros((seqs.shape[1], d)), np.zeros((seqs.shape[1], d))
    pooled = np.zeros_like(h)
    for t in range(seqs.shape[0]):
        pre = h @ p["lstm_U"] + emb[t] @ p["lstm_W"] + p["lstm_b"]
        i, f, o = (_sigmoid(pre[:, k * d : (k + 1) * d]) for k in range(3))
        m = mask[t][:, None]
        c = m * (f * c + i * np.tanh(pre[:, 3 * d :])) + (1 - m) * c
        h = m * (o * np.tanh(c)) + (1 - m) * h
        pooled += h * m
    pooled /= mask.sum(0)[:, None]
    prob = _softmax(pooled @ p["U"] + p["b"])
    return -np.mean(np.log(prob[np.arange(len(labels)), labels] + 1e-8))


def test_the_tutorials_lstm_over_masked_sequences_matches_numpy_and_its_finite_differences():
    out = run("lstm.py")
    seqs, mask, labels = np.array(out["seqs"]), np.array(out["mask"]), np.array(out["labels"])
    params = {k: np.array(v) for k, v in out["params"].items()}
    np.testing.assert_allclose(out["cost"], _lstm_cost(seqs, mask, labels, params), rtol=1e-10)
    for name, grad in zip(out["names"], out["grads"]):
        numeric = np.zeros_like(params[name])
        for index in np.ndindex(numeric.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] += 1e-6
            plus = _lstm_cost(seqs, mask, labels, shifted)
            shifted[name][index] -= 2e-6
            numeric[index] = (plus - _lstm_cost(seqs, mask, labels, shifted)) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8, err_msg=f"gradient of {name}")
    assert out["costs"][-1] < out["costs"][0]
