"""Ctrl-C (SIGINT) while a call writes shared variables leaves each at its old or its new value,
never some of each; ``fit`` interrupted returns the history of the epochs that finished.

The signal is raised at a chosen Python call through ``sys.setprofile``, so each test hits
the window it means to, every run."""

import signal
import sys

import numpy as np
import pytest

import symnet as sn
from symnet import interrupts, nn


@pytest.fixture
def sigint_raises_keyboard_interrupt():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
    sys.setprofile(None)


def _interrupt_at(wanted, nth: int = 1) -> None:
    """SIGINT at the ``nth`` Python call for which ``wanted(frame)`` holds."""
    seen = [0]

    def hook(frame, event, arg):
        if event == "call" and wanted(frame):
            seen[0] += 1
            if seen[0] == nth:
                sys.setprofile(None)
                signal.raise_signal(signal.SIGINT)

    sys.setprofile(hook)


def test_deferred_runs_the_block_to_its_end_then_interrupts(sigint_raises_keyboard_interrupt):
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            signal.raise_signal(signal.SIGINT)
            done.append(1)
    assert done == [1]


def _two_counters(target):
    a = sn.shared(np.zeros(4), name="a")
    b = sn.shared(np.zeros(4), name="b")
    x = sn.vector("x", dtype="float64")
    return sn.function([x], sn.sum(x), updates=[(a, a + 1.0), (b, b + 1.0)], target=target), a, b


def test_interpreted_commit_is_all_or_nothing(sigint_raises_keyboard_interrupt):
    f, a, b = _two_counters("interp")
    # in the first shared variable's assignment (the container setter), before the second's
    _interrupt_at(lambda frame: frame.f_code.co_name == "container" and frame.f_code.co_argcount == 2
                  and "graph.py" in frame.f_code.co_filename)
    with pytest.raises(KeyboardInterrupt):
        f(np.ones(2))
    np.testing.assert_array_equal(a.get_value(), b.get_value())
    np.testing.assert_array_equal(a.get_value(), np.ones(4))


@pytest.mark.cuda
def test_cuda_driver_finishes_its_launches_before_the_interrupt(sigint_raises_keyboard_interrupt):
    f, a, b = _two_counters("cuda")
    f(np.ones(2))
    # at the first call the generated driver makes (a kernel launch or a size check)
    _interrupt_at(lambda frame: frame.f_back is not None and frame.f_back.f_code.co_name == "run"
                  and "symnet_gen_" in frame.f_back.f_code.co_filename)
    with pytest.raises(KeyboardInterrupt):
        f(np.ones(2))
    np.testing.assert_array_equal(a.get_value(), [2.0] * 4)
    np.testing.assert_array_equal(b.get_value(), [2.0] * 4)


def test_fit_interrupted_returns_the_history_so_far(sigint_raises_keyboard_interrupt):
    model = nn.Sequential([nn.Dense(2, activation="tanh", input_dim=3), nn.Dense(1)], seed=0)
    model.compile(optimizer="adam", loss="mse", target="interp")
    x = np.random.default_rng(0).normal(size=(8, 3))
    y = x.sum(axis=1, keepdims=True)
    # in the third epoch's batch loop
    _interrupt_at(lambda frame: frame.f_code.co_name == "run_batches", nth=3)
    with pytest.warns(UserWarning, match="interrupted in epoch 3/10; the history has the 2 epochs"):
        history = model.fit(x, y, batch_size=4, epochs=10, verbose=0)
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert np.isfinite(model.fit(x, y, batch_size=4, epochs=1, verbose=0).history["loss"][0])
