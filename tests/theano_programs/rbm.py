"""The Theano tutorial's RBM trained by contrastive divergence: a Gibbs chain in theano.scan
with binomial samples from RandomStreams, the cost's gradient with the chain's end held
constant. Prints, per step, the parameters it started from, the batch, the chain's end and
the monitoring cost, as JSON."""

import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams

numpy_rng = np.random.RandomState(123)
theano_rng = RandomStreams(numpy_rng.randint(2**30))
n_visible, n_hidden, k = 10, 4, 3
data = (numpy_rng.rand(30, n_visible) > 0.6).astype("float64")
W = theano.shared(numpy_rng.uniform(-0.3, 0.3, (n_visible, n_hidden)), name="W")
hbias = theano.shared(np.zeros(n_hidden), name="hbias")
vbias = theano.shared(np.zeros(n_visible), name="vbias")
params = [W, hbias, vbias]


def free_energy(v_sample):
    wx_b = T.dot(v_sample, W) + hbias
    vbias_term = T.dot(v_sample, vbias)
    hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
    return -hidden_term - vbias_term


def sample_h_given_v(v0_sample):
    h1_mean = T.nnet.sigmoid(T.dot(v0_sample, W) + hbias)
    h1_sample = theano_rng.binomial(size=h1_mean.shape, n=1, p=h1_mean, dtype=theano.config.floatX)
    return [h1_mean, h1_sample]


def sample_v_given_h(h0_sample):
    v1_mean = T.nnet.sigmoid(T.dot(h0_sample, W.T) + vbias)
    v1_sample = theano_rng.binomial(size=v1_mean.shape, n=1, p=v1_mean, dtype=theano.config.floatX)
    return [v1_mean, v1_sample]


def gibbs_hvh(h0_sample):
    v1_mean, v1_sample = sample_v_given_h(h0_sample)
    h1_mean, h1_sample = sample_h_given_v(v1_sample)
    return [v1_mean, v1_sample, h1_mean, h1_sample]


x = T.matrix("x", dtype="float64")
ph_mean, ph_sample = sample_h_given_v(x)
([nv_means, nv_samples, nh_means, nh_samples], updates) = theano.scan(
    gibbs_hvh, outputs_info=[None, None, None, ph_sample], n_steps=k, name="gibbs_hvh"
)
chain_end = nv_samples[-1]
cost = T.mean(free_energy(x)) - T.mean(free_energy(chain_end))
gparams = T.grad(cost, params, consider_constant=[chain_end])
lr = 0.1
for param, gparam in zip(params, gparams):
    updates[param] = param - gparam * T.cast(lr, dtype=theano.config.floatX)
monitoring_cost = T.mean(T.sum(x * T.log(nv_means[-1]) + (1 - x) * T.log(1 - nv_means[-1]), axis=1))
index = T.lscalar()
train_rbm = theano.function([index], [monitoring_cost, chain_end], updates=updates,
                            givens={x: theano.shared(data)[index * 10 : (index + 1) * 10]})
steps = []
for epoch in range(2):
    for batch in range(3):
        before = [p.get_value().tolist() for p in params]
        c, end = train_rbm(batch)
        steps.append({"params": before, "batch": batch, "chain_end": np.asarray(end).tolist(), "cost": float(c)})
print(json.dumps({"data": data.tolist(), "steps": steps}))
