"""The tutorial's denoising autoencoder: binomial corruption from a RandomStreams, tied
weights, cross-entropy reconstruction. Prints the corrupted inputs, the weights each step
started from and the costs as JSON."""

import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams

numpy_rng = np.random.RandomState(123)
theano_rng = RandomStreams(numpy_rng.randint(2**30))
data = (numpy_rng.rand(40, 12) > 0.5).astype("float64")
n_visible, n_hidden = 12, 5
W = theano.shared(numpy_rng.uniform(-0.3, 0.3, (n_visible, n_hidden)), name="W")
bhid = theano.shared(np.zeros(n_hidden), name="bhid")
bvis = theano.shared(np.zeros(n_visible), name="bvis")
x = T.dmatrix("x")
tilde_x = theano_rng.binomial(size=x.shape, n=1, p=0.7, dtype=theano.config.floatX) * x
y = T.nnet.sigmoid(T.dot(tilde_x, W) + bhid)
z = T.nnet.sigmoid(T.dot(y, W.T) + bvis)
L = -T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1)
cost = T.mean(L)
params = [W, bhid, bvis]
gparams = T.grad(cost, params)
train_da = theano.function([x], [cost, tilde_x], updates=[(p, p - 0.1 * g) for p, g in zip(params, gparams)])
steps = []
for step in range(8):
    before = [p.get_value().tolist() for p in params]
    c, corrupted = train_da(data)
    steps.append({"params": before, "cost": float(c), "corrupted": np.asarray(corrupted).tolist()})
print(json.dumps({"data": data.tolist(), "steps": steps}))
