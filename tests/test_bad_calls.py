"""A catalogue of bad calls to every public entry point: each raises a typed error that names
the argument, and leaves shared state as it was (never a crash, a hang or a half-update)."""

import numpy as np
import pytest

import symnet as sn
from symnet import nn

x = sn.matrix("x", "float64")
w = sn.shared(np.linspace(-1, 1, 3), name="w")
cost = sn.sum(sn.tanh(x @ w))


@pytest.fixture(scope="module")
def F():
    """Compiled on first use, not at collection: every xdist worker collects this module."""
    return {target: sn.function([x], cost, updates=[(w, w - 0.1 * sn.grad(cost, w))], target=target) for target in ("interp", "cpu")}


MODEL = nn.Sequential([nn.Dense(2, input_shape=(3,))])
MODEL.compile(optimizer="sgd", loss="mse")
X, Y = np.ones((4, 3)), np.ones((4, 2))


def _read_only():
    a = np.ones((2, 3))
    a.setflags(write=False)
    return a


BUILD = [
    ("function inputs None", lambda: sn.function(None, cost), TypeError, "inputs must be a list"),
    ("function inputs a variable", lambda: sn.function(x, cost), TypeError, "inputs must be a list"),
    ("function output None", lambda: sn.function([x], [cost, None]), TypeError, "output 1 must be"),
    ("function update not a pair", lambda: sn.function([x], cost, updates=[(w,)]), TypeError, "pairs"),
    ("function update None", lambda: sn.function([x], cost, updates=[(w, None)]), TypeError, "update of w"),
    ("function update wrong rank", lambda: sn.function([x], cost, updates=[(w, x)]), sn.ShapeError, "update of w"),
    ("function unknown target", lambda: sn.function([x], cost, target="tpu"), ValueError, "unknown target 'tpu'"),
    ("grad cost None", lambda: sn.grad(None, w), TypeError, "grad: cost"),
    ("grad cost not scalar", lambda: sn.grad(x @ w, w), TypeError, "scalar cost"),
    ("grad wrt None", lambda: sn.grad(cost, None), TypeError, "wrt"),
    ("grad wrt an array", lambda: sn.grad(cost, np.ones(3)), TypeError, "wrt"),
    ("grad wrt an integer", lambda: sn.grad(cost, sn.vector("i", "int32")), TypeError, "with respect to i"),
    ("grad disconnected", lambda: sn.grad(cost, sn.vector("v")), sn.DisconnectedInputError, "v"),
    ("scan fn None", lambda: sn.scan(None, sequences=x), TypeError, "scan: fn"),
    ("scan fn returns None", lambda: sn.scan(lambda a: None, sequences=x), TypeError, "output 0 of <lambda>"),
    ("scan scalar sequence", lambda: sn.scan(lambda a: a, sequences=sn.scalar("s")), ValueError, "scalar s"),
    ("scan negative n_steps", lambda: sn.scan(lambda a: a, outputs_info=sn.vector("h"), n_steps=-1), ValueError, "n_steps"),
    ("scan text n_steps", lambda: sn.scan(lambda a: a, outputs_info=sn.vector("h"), n_steps="3"), TypeError, "n_steps"),
    ("scan non_sequence None", lambda: sn.scan(lambda a, b: a, sequences=x, non_sequences=[None]), TypeError, r"non_sequences\[0\]"),
    ("shared None", lambda: sn.shared(None, name="v"), TypeError, "shared variable v"),
    ("shared text", lambda: sn.shared("abc"), TypeError, "shared variable"),
    ("set_value wrong shape", lambda: w.set_value(np.ones(4)), sn.ShapeError, "w has shape"),
    ("set_value None", lambda: w.set_value(None), (TypeError, sn.ShapeError), "w"),
    ("Dense units negative", lambda: nn.Dense(-1), ValueError, "Dense: units"),
    ("Dense units text", lambda: nn.Dense("a"), ValueError, "Dense: units"),
    ("Dense units None", lambda: nn.Dense(None), ValueError, "Dense: units"),
    ("Dense units fraction", lambda: nn.Dense(2.5), ValueError, "Dense: units"),
    ("Dense activation", lambda: nn.Dense(3, activation="nope"), ValueError, "activation 'nope'"),
    ("Conv2D filters", lambda: nn.Conv2D(0, 3), ValueError, "Conv2D: filters"),
    ("Conv2D kernel", lambda: nn.Conv2D(3, kernel_size=0), ValueError, "kernel_size"),
    ("LSTM units", lambda: nn.LSTM(0), ValueError, "LSTM: units"),
    ("Dropout rate", lambda: nn.Dropout(2.0), ValueError, "rate"),
    ("load_model None", lambda: nn.load_model(None), TypeError, "path"),
    ("load_model missing", lambda: nn.load_model("/nonexistent/model.npz"), FileNotFoundError, "model.npz"),
]


@pytest.mark.parametrize("label, thunk, error, message", BUILD, ids=[b[0] for b in BUILD])
def test_bad_definitions_raise_a_typed_error_naming_the_argument(label, thunk, error, message):
    before = w.get_value()
    with pytest.raises(error, match=message):
        thunk()
    np.testing.assert_array_equal(w.get_value(), before)


CALLS = [
    ("None", (None,), TypeError, r"input 0 \(x\)"),
    ("text", ("abc",), TypeError, r"input 0 \(x\)"),
    ("ragged rows", ([[1.0, 2.0, 3.0], [1.0]],), TypeError, r"input 0 \(x\).*different lengths"),
    ("objects", (np.array([[object()] * 3] * 2),), TypeError, r"input 0 \(x\)"),
    ("complex", (np.ones((2, 3), complex),), TypeError, r"input 0 \(x\).*complex128"),
    ("wrong rank", (np.ones(3),), TypeError, r"input 0 \(x\).*2 dims"),
    ("wrong inner size", (np.ones((2, 4)),), sn.ShapeError, "3"),
    ("too many arguments", (np.ones((2, 3)), np.ones(3)), TypeError, "takes 1 arguments"),
    ("no arguments", (), TypeError, "takes 1 arguments"),
]


@pytest.mark.parametrize("target", ["interp", "cpu"])
@pytest.mark.parametrize("label, args, error, message", CALLS, ids=[c[0] for c in CALLS])
def test_bad_calls_raise_a_typed_error_and_update_nothing(F, target, label, args, error, message):
    before = w.get_value()
    with pytest.raises(error, match=message):
        F[target](*args)
    np.testing.assert_array_equal(w.get_value(), before)


@pytest.mark.parametrize("target", ["interp", "cpu"])
def test_awkward_but_valid_arrays_are_accepted(F, target):
    """Non-contiguous, read-only, empty and NaN inputs are values, not errors; a call updates w."""
    strided = np.ones((2, 6))[:, ::2]
    for value in (strided, _read_only(), np.zeros((0, 3)), np.full((2, 3), np.nan), np.ones((3, 2)).T):
        before = w.get_value()
        expected = sn.function([x], cost, target="interp")(value)
        got = F[target](value)
        np.testing.assert_allclose(got, expected, equal_nan=True)
        w.set_value(before)
    assert strided.flags.writeable


FIT = [
    ("x None", dict(x=None), TypeError, "fit: x"),
    ("x text", dict(x="abc"), TypeError, "fit: x"),
    ("y None", dict(y=None), TypeError, "fit: y"),
    ("x scalar", dict(x=3.0), ValueError, "fit: x"),
    ("rows differ", dict(y=Y[:3]), ValueError, "4 rows but y has 3"),
    ("wrong width", dict(x=np.ones((4, 5))), ValueError, r"shape \(3,\)"),
    ("NaN in x", dict(x=np.full((4, 3), np.nan)), ValueError, "nan"),
    ("no rows", dict(x=np.ones((0, 3)), y=np.ones((0, 2))), ValueError, "no training rows"),
    ("batch_size 0", dict(batch_size=0), ValueError, "batch_size"),
    ("batch_size None", dict(batch_size=None), ValueError, "batch_size"),
    ("epochs negative", dict(epochs=-1), ValueError, "epochs"),
    ("validation_split", dict(validation_split=1.5), ValueError, "validation_split"),
]


@pytest.mark.parametrize("label, changes, error, message", FIT, ids=[f[0] for f in FIT])
def test_bad_fit_arguments_raise_and_leave_the_weights(label, changes, error, message):
    weights = [a.copy() for a in MODEL.get_weights()]
    kwargs = dict(x=X, y=Y, epochs=1, verbose=0)
    kwargs.update(changes)
    with pytest.raises(error, match=message):
        MODEL.fit(**kwargs)
    for a, b in zip(weights, MODEL.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_predict_and_weights(tmp_path):
    with pytest.raises(ValueError, match=r"x of shape \(None, 3\)"):
        MODEL.predict(np.ones(3))
    with pytest.raises(ValueError, match="2 weight arrays, got 1"):
        MODEL.set_weights([np.ones(3)])
    garbage = tmp_path / "model.npz"
    garbage.write_bytes(b"\x00garbage\x80" * 8)
    with pytest.raises(ValueError, match="not a symnet model file"):
        nn.load_model(garbage)
    np.save(tmp_path / "array.npy", np.ones(3))
    with pytest.raises(ValueError, match="not a symnet model file"):
        nn.load_model(tmp_path / "array.npy")
    np.savez(tmp_path / "other.npz", a=np.ones(3))
    with pytest.raises(ValueError, match="no architecture record"):
        nn.load_model(tmp_path / "other.npz")


@pytest.mark.parametrize("target", ["interp", "cpu"])
def test_a_result_too_large_to_allocate_is_a_memory_error_that_updates_nothing(F, target):
    # a broadcast view of 2**40 rows costs nothing to pass; x @ w would need 8 TiB
    before = w.get_value()
    with pytest.raises(MemoryError):
        F[target](np.broadcast_to(np.ones(3), (2**40, 3)))
    np.testing.assert_array_equal(w.get_value(), before)
