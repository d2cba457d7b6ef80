"""The Theano tutorial's LSTM sentiment model (lstm.py), shrunk: word embeddings, an LSTM
over padded sequences with a mask (theano.scan with a symbolic n_steps), mean pooling
over each sequence's own length, a softmax classifier. Prints the data, the parameters,
the cost and its gradients, and the costs of a few SGD steps as JSON."""

import json

import numpy as np
import theano
from theano import tensor

rng = np.random.RandomState(4)
n_words, dim_proj, ydim, maxlen, n_samples = 7, 4, 2, 5, 3
lengths = [5, 2, 3]
seqs = np.zeros((maxlen, n_samples), dtype="int64")
mask_value = np.zeros((maxlen, n_samples))
for j, n in enumerate(lengths):
    seqs[:n, j] = rng.randint(1, n_words, n)
    mask_value[:n, j] = 1.0
labels = np.array([1, 0, 1], dtype="int64")


def ortho_weight(ndim):
    u, _, _ = np.linalg.svd(rng.randn(ndim, ndim))
    return u


params = {
    "Wemb": 0.5 * rng.rand(n_words, dim_proj),
    "lstm_W": np.concatenate([ortho_weight(dim_proj) for _ in range(4)], axis=1),
    "lstm_U": np.concatenate([ortho_weight(dim_proj) for _ in range(4)], axis=1),
    "lstm_b": np.zeros(4 * dim_proj),
    "U": 0.5 * rng.randn(dim_proj, ydim),
    "b": np.zeros(ydim),
}
tparams = {k: theano.shared(v, name=k) for k, v in params.items()}


def _slice(_x, n, dim):
    if _x.ndim == 3:
        return _x[:, :, n * dim : (n + 1) * dim]
    return _x[:, n * dim : (n + 1) * dim]


def lstm_layer(state_below, mask):
    nsteps = state_below.shape[0]
    n_samples = state_below.shape[1]

    def _step(m_, x_, h_, c_):
        preact = tensor.dot(h_, tparams["lstm_U"]) + x_
        i = tensor.nnet.sigmoid(_slice(preact, 0, dim_proj))
        f = tensor.nnet.sigmoid(_slice(preact, 1, dim_proj))
        o = tensor.nnet.sigmoid(_slice(preact, 2, dim_proj))
        c = tensor.tanh(_slice(preact, 3, dim_proj))
        c = f * c_ + i * c
        c = m_[:, None] * c + (1.0 - m_)[:, None] * c_
        h = o * tensor.tanh(c)
        h = m_[:, None] * h + (1.0 - m_)[:, None] * h_
        return h, c

    state_below = tensor.dot(state_below, tparams["lstm_W"]) + tparams["lstm_b"]
    rval, updates = theano.scan(
        _step,
        sequences=[mask, state_below],
        outputs_info=[tensor.alloc(np.float64(0.0), n_samples, dim_proj), tensor.alloc(np.float64(0.0), n_samples, dim_proj)],
        name="lstm_layers",
        n_steps=nsteps,
    )
    return rval[0]


x = tensor.matrix("x", dtype="int64")
mask = tensor.matrix("mask", dtype="float64")
y = tensor.vector("y", dtype="int64")
n_timesteps, n_batch = x.shape[0], x.shape[1]
emb = tparams["Wemb"][x.flatten()].reshape([n_timesteps, n_batch, dim_proj])
proj = lstm_layer(emb, mask)
proj = (proj * mask[:, :, None]).sum(axis=0)
proj = proj / mask.sum(axis=0)[:, None]
pred = tensor.nnet.softmax(tensor.dot(proj, tparams["U"]) + tparams["b"])
cost = -tensor.log(pred[tensor.arange(n_batch), y] + 1e-8).mean()
names = list(tparams)
grads = tensor.grad(cost, wrt=[tparams[k] for k in names])
f_grad = theano.function([x, mask, y], [cost] + grads, name="f_grad")
f_update = theano.function([x, mask, y], cost, updates=[(tparams[k], tparams[k] - 0.5 * g) for k, g in zip(names, grads)])
first = f_grad(seqs, mask_value, labels)
costs = [float(f_update(seqs, mask_value, labels)) for _ in range(6)]
print(json.dumps({"seqs": seqs.tolist(), "mask": mask_value.tolist(), "labels": labels.tolist(), "names": names,
                  "params": {k: v.tolist() for k, v in params.items()}, "cost": float(first[0]),
                  "grads": [np.asarray(g).tolist() for g in first[1:]], "costs": costs}))
