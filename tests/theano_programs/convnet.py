"""A LeNet-style layer as the Theano tutorial writes it: conv2d (filters flipped), max
pooling, tanh, a softmax classifier. Prints the first cost, its gradients and the costs of
a few SGD steps as JSON."""

import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet import conv2d
from theano.tensor.signal import pool

rng = np.random.RandomState(23455)
images = rng.randn(6, 1, 8, 8)
labels = rng.randint(0, 3, 6).astype("int64")
x = T.tensor4("x", dtype="float64")
y = T.lvector("y")
W = theano.shared(rng.uniform(-0.5, 0.5, (2, 1, 3, 3)), name="W")
b = theano.shared(np.zeros(2), name="b")
V = theano.shared(rng.uniform(-0.5, 0.5, (2 * 3 * 3, 3)), name="V")
conv_out = conv2d(input=x, filters=W, filter_shape=(2, 1, 3, 3), input_shape=(None, 1, 8, 8))
pooled = pool.pool_2d(input=conv_out, ws=(2, 2), ignore_border=True)
hidden = T.tanh(pooled + b.dimshuffle("x", 0, "x", "x"))
p_y = T.nnet.softmax(T.dot(hidden.flatten(2), V))
cost = T.mean(T.nnet.categorical_crossentropy(p_y, y))
params = [W, b, V]
grads = T.grad(cost, params)
evaluate = theano.function([x, y], [cost] + grads)
train = theano.function([x, y], cost, updates=[(p, p - 0.2 * g) for p, g in zip(params, grads)])
first = evaluate(images, labels)
initial = [p.get_value().tolist() for p in params]
costs = [float(train(images, labels)) for _ in range(10)]
print(json.dumps({"images": images.tolist(), "labels": labels.tolist(), "params": initial,
                  "cost": float(first[0]), "grads": [np.asarray(g).tolist() for g in first[1:]], "costs": costs}))
