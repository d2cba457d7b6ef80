"""The THEANO workload of ``python -m symnet bench``: the Theano tutorials' minibatch
classifiers (logistic regression 784-10 and the MLP 784-500-10 with tanh, SGD through
``givens``), written once against Theano's API and run by ``symnet.theano`` and, where
installed, by PyTensor (``import pytensor as theano``) in the same run: the first epoch in
a fresh process with empty caches (compilation included) and the median later epoch."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROWS, FEATURES, CLASSES, BATCH, HIDDEN = 5000, 784, 10, 100, 500
EPOCHS = 4
MODELS = ("logistic", "mlp")


def _modules(backend: str):
    """(theano, T, softmax): PyTensor moved Theano's T.nnet.softmax to T.special."""
    if backend == "symnet":
        import symnet.theano as theano
        import symnet.theano.tensor as T

        return theano, T, T.nnet.softmax
    import pytensor as theano
    import pytensor.tensor as T
    from pytensor.tensor.special import softmax

    return theano, T, lambda z: softmax(z, axis=-1)


def run(backend: str, model: str) -> dict:
    """Build and train ``model`` with ``backend``'s Theano API: seconds of each epoch (the
    first from the ``theano.function`` call, so it includes compiling) and the costs."""
    theano, T, softmax = _modules(backend)
    floatX = "float32"
    rng = np.random.RandomState(0)
    data_x = rng.rand(ROWS, FEATURES).astype(floatX)
    data_y = (data_x[:, :CLASSES].argmax(axis=1)).astype("int64")
    train_x, train_y = theano.shared(data_x, name="train_x"), theano.shared(data_y, name="train_y")
    x, y, index = T.matrix("x", dtype=floatX), T.lvector("y"), T.lscalar("index")
    params = []
    h = x
    if model == "mlp":
        bound = np.sqrt(6.0 / (FEATURES + HIDDEN))
        W1 = theano.shared(rng.uniform(-bound, bound, (FEATURES, HIDDEN)).astype(floatX), name="W1")
        b1 = theano.shared(np.zeros(HIDDEN, floatX), name="b1")
        h, params = T.tanh(T.dot(x, W1) + b1), [W1, b1]
    W = theano.shared(np.zeros((HIDDEN if model == "mlp" else FEATURES, CLASSES), floatX), name="W")
    b = theano.shared(np.zeros(CLASSES, floatX), name="b")
    params += [W, b]
    p_y = softmax(T.dot(h, W) + b)
    cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    grads = T.grad(cost, params)
    lr = np.asarray(0.1, floatX)
    start = time.perf_counter()
    train = theano.function(
        [index], cost, updates=[(p, p - lr * g) for p, g in zip(params, grads)],
        givens={x: train_x[index * BATCH : (index + 1) * BATCH], y: train_y[index * BATCH : (index + 1) * BATCH]},
    )
    seconds, costs = [], []
    for _ in range(EPOCHS):
        epoch_costs = [float(train(i)) for i in range(ROWS // BATCH)]
        seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        costs.append(float(np.mean(epoch_costs)))
    return {"seconds": seconds, "costs": costs}


def fresh_run(backend: str, model: str) -> dict:
    """``run`` in a fresh process with empty symnet, Numba and PyTensor caches."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SYMNET_CACHE_DIR=cache, NUMBA_CACHE_DIR=os.path.join(cache, "numba"),
                   PYTENSOR_FLAGS=f"floatX=float32,base_compiledir={os.path.join(cache, 'pytensor')}")
        script = f"import json\nfrom symnet.bench_theano import run\nprint(json.dumps(run({backend!r}, {model!r})))\n"
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pytensor_installed() -> bool:
    try:
        import pytensor  # noqa: F401
    except ImportError:
        return False
    return True


def rows() -> list:
    """Per model: symnet's first epoch and later epoch against PyTensor's in the same run
    (whose costs must be symnet's), or with no baseline where PyTensor is not installed."""
    from symnet.bench import row, verify

    out = []
    peer = _pytensor_installed()
    for model in MODELS:
        ours = fresh_run("symnet", model)
        theirs = fresh_run("pytensor", model) if peer else None
        if theirs is not None:
            verify(f"THEANO {model} (pytensor)", [np.array(ours["costs"])], [np.array(theirs["costs"])], rtol=1e-3)
        name = "pytensor, same script" if theirs else "pytensor not installed"
        first = theirs["seconds"][0] if theirs else float("nan")
        out.append(row(f"THEANO {model} first epoch, empty caches", ours["seconds"][0], name, first, key=f"THEANO-{model}-first"))
        later = statistics.median(theirs["seconds"][1:]) if theirs else float("nan")
        out.append(row(f"THEANO {model} later epoch", ours["seconds"][1:], name, later, key=f"THEANO-{model}-epoch"))
    return out
