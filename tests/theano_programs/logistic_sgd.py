"""The Theano tutorial's logistic regression, as it was written for Theano: data in shared
variables, a minibatch index through givens, SGD by updates. Prints the costs as JSON."""

import json
import sys

import numpy as np
import theano
import theano.tensor as T

rng = np.random.RandomState(1234)
n_in, n_out, batch_size = 20, 3, 25
data_x = rng.randn(200, n_in).astype(theano.config.floatX)
data_y = np.argmax(data_x[:, :n_out] + 0.3 * rng.randn(200, n_out), axis=1).astype("int32")
train_set_x = theano.shared(np.asarray(data_x, dtype=theano.config.floatX), borrow=True)
train_set_y = T.cast(theano.shared(data_y, borrow=True), "int32")


class LogisticRegression:
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(value=np.zeros((n_in, n_out), dtype=theano.config.floatX), name="W", borrow=True)
        self.b = theano.shared(value=np.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


index = T.lscalar()
x = T.matrix("x")
y = T.ivector("y")
classifier = LogisticRegression(input=x, n_in=n_in, n_out=n_out)
cost = classifier.negative_log_likelihood(y)
g_W = T.grad(cost=cost, wrt=classifier.W)
g_b = T.grad(cost=cost, wrt=classifier.b)
learning_rate = float(sys.argv[1])
updates = [(classifier.W, classifier.W - learning_rate * g_W), (classifier.b, classifier.b - learning_rate * g_b)]
train_model = theano.function(
    inputs=[index],
    outputs=[cost, classifier.errors(y)],
    updates=updates,
    givens={
        x: train_set_x[index * batch_size : (index + 1) * batch_size],
        y: train_set_y[index * batch_size : (index + 1) * batch_size],
    },
)
costs = []
for epoch in range(3):
    for minibatch_index in range(200 // batch_size):
        c, e = train_model(minibatch_index)
        costs.append(float(c))
print(json.dumps({"costs": costs, "W": classifier.W.get_value().tolist(), "floatX": theano.config.floatX}))
