"""``sn.config.debug_nans``: a non-finite result raises FloatingPointError naming the node it
came from and the user's line; shared variables keep their values; off, nothing is checked."""

import numpy as np
import pytest

import symnet as sn



@pytest.fixture
def debug_nans(monkeypatch):
    monkeypatch.setattr(sn.config, "debug_nans", True)


def _train_step(target):
    w = sn.shared(np.ones((3, 2)), name="w")
    b = sn.shared(np.zeros(2), name="b")
    x = sn.matrix("x", dtype="float64")
    loss = sn.mean(sn.log(x @ w + b))  # LOG LINE
    gw, gb = sn.grad(loss, [w, b])
    f = sn.function([x], loss, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], target=target)
    return f, w, b


def _line(marker: str) -> int:
    return next(k for k, text in enumerate(open(__file__).read().splitlines(), 1) if marker in text and "_line(" not in text)


@pytest.mark.parametrize("target", ["cpu", "interp"])
def test_a_nan_names_the_node_and_line_and_leaves_shared_state_alone(debug_nans, target):
    f, w, b = _train_step(target)
    assert np.isfinite(f(np.ones((4, 3))))  # a finite call updates as usual
    w0, b0 = w.get_value(), b.get_value()
    held = w.get_value(borrow=True)
    with pytest.raises(FloatingPointError) as e:
        f(-np.ones((4, 3)))
    message = str(e.value)
    assert "output 0" in message and "nan first appeared in the output of node log(" in message
    assert f"test_debug_nans.py\", line {_line('# LOG LINE')}" in message
    np.testing.assert_array_equal(w.get_value(), w0)
    np.testing.assert_array_equal(b.get_value(), b0)
    np.testing.assert_array_equal(held, w0)  # restored in place
    assert np.isfinite(f(np.ones((4, 3))))
    assert not np.array_equal(w.get_value(), w0)


def test_off_nothing_is_checked():
    f, w, _ = _train_step("cpu")
    assert not sn.config.debug_nans
    with np.errstate(all="ignore"):
        assert np.isnan(f(-np.ones((4, 3))))
    assert not np.array_equal(w.get_value(), np.ones((3, 2)))  # the update was applied


@pytest.mark.parametrize("target", ["cpu", "interp"])
def test_the_origin_is_on_the_path_to_the_bad_result(debug_nans, target):
    x = sn.vector("x", dtype="float64")
    y = sn.vector("y", dtype="float64")
    masked = sn.where(x > 0, sn.log(x), 0.0)  # log(-1) is nan, but where() drops it
    f = sn.function([x, y], masked + sn.sqrt(y), target=target)  # SQRT LINE
    with pytest.raises(FloatingPointError, match=r"node sqrt\(y\)") as e:
        f(-np.ones(3), np.array([1.0, -4.0, 9.0]))
    assert f"line {_line('# SQRT LINE')}" in str(e.value)
    assert "y in [-4, 9]" in str(e.value)


@pytest.mark.parametrize("target", ["cpu", "interp"])
def test_an_update_alone_or_an_input_can_be_the_culprit(debug_nans, target):
    s = sn.shared(np.array([1.0, 2.0]), name="s")
    x = sn.vector("x", dtype="float64")
    f = sn.function([x], sn.sum(x), updates=[(s, s / sn.sum(x))], target=target)
    with pytest.raises(FloatingPointError, match=r"the update of s .*inf first appeared in the output of node true_div"):
        f(np.zeros(2))
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])
    with pytest.raises(FloatingPointError, match="an input x already holds nan"):
        f(np.array([1.0, np.nan]))
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0])


def test_run_batches_stops_at_the_batch_that_went_bad(debug_nans):
    s = sn.shared(np.array(0.0), name="s")
    x = sn.vector("x", dtype="float64")
    f = sn.function([x], sn.sum(x), updates=[(s, s + sn.sum(sn.log(x)))])
    batches = np.array([1.0, np.e, -1.0, 2.0])
    with pytest.raises(FloatingPointError, match="node log"):
        f.run_batches(batches, batch_size=2)
    assert s.get_value() == pytest.approx(1.0)  # the first batch's update, not the second's


@pytest.mark.cuda
def test_cuda_overflow_is_caught_and_state_restored(debug_nans):
    # an overflow, not log(-1): the simulator's math.log raises on a negative argument
    s = sn.shared(np.ones(3), name="s")
    x = sn.vector("x", dtype="float64")
    square = x * x  # SQUARE LINE
    f = sn.function([x], sn.sum(square), updates=[(s, s + 1.0)], target="cuda")
    assert f(np.ones(3)) == 3.0
    with pytest.raises(FloatingPointError, match=f"(?s)inf first appeared in the output of node mul.*line {_line('# SQUARE LINE')}"):
        f(np.full(3, 1e200))
    np.testing.assert_array_equal(s.get_value(), [2.0, 2.0, 2.0])
