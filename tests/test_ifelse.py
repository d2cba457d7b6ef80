"""``sn.ifelse`` on every target against NumPy: only the branch taken runs (a guarded index
never fails in the branch not taken), work both branches or anything else reads is done once
outside, gradients, ifelse in a loop's step, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import symnet as sn
from symnet.graph import toposort
from symnet.ops.ifelse import Branches, IfElse
from symnet.testing import check_grad

TARGETS = ("interp", "cpu", "cuda")
X = np.arange(12.0).reshape(4, 3) / 10
CALLS = ((1, 1.0), (2, 1.0), (100, -1.0), (0, -2.0), (3, 0.0))


@pytest.fixture(scope="module")
def guarded():
    """Per target: a row guarded by its index's range, a nested ifelse among two outputs,
    and the gradient of a cost through them (the gradient of the guarded row would scatter
    at the index whichever branch is taken, as Theano's does: not differentiated here)."""
    x = sn.matrix("x", dtype="float64")
    n, c = sn.scalar("n", dtype="int64"), sn.scalar("c", dtype="float64")
    row = sn.ifelse(n < x.shape[0], x[n], x[0] * 0 - 1)
    total, scaled = sn.ifelse(c > 0, [x.sum(), sn.ifelse(n > 1, x * 2, x * 3)], [(x**2).sum() * c, x + c])
    cost = total + (scaled * scaled).sum()
    return {t: sn.function([x, n, c], [row, total, scaled, *sn.grad(cost, [x, c])], target=t) for t in TARGETS}


def _reference(x, n, c):
    row = x[n] if n < len(x) else x[0] * 0 - 1
    if c > 0:
        total, scaled = x.sum(), x * (2 if n > 1 else 3)
        grad_x, grad_c = 1 + 2 * scaled * (2 if n > 1 else 3), 0.0
    else:
        total, scaled = (x**2).sum() * c, x + c
        grad_x, grad_c = 2 * x * c + 2 * scaled, (x**2).sum() + 2 * scaled.sum()
    grad_x = grad_x * np.ones_like(x)
    return row, total, scaled, grad_x, grad_c


@pytest.mark.parametrize("target", TARGETS)
def test_ifelse_computes_the_branch_taken_as_numpy_does(guarded, target):
    for n, c in CALLS:
        for got, want in zip(guarded[target](X, n, c), _reference(X, n, c)):
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"at n={n}, c={c}")


def test_ifelse_differentiates_as_finite_differences():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    for k in (1, -1):
        check_grad(lambda x, y, k: sn.ifelse(k > 0, sn.tanh(x) * y, x * x + y), [x, y, np.array(k)], target="cpu")


def test_work_one_branch_needs_moves_into_it_and_shared_work_stays_outside():
    x, y = sn.vector("x"), sn.vector("y")
    c = sn.scalar("c")
    h = sn.exp(x)
    f = sn.function([c, x, y], [sn.ifelse(c > 0, sn.tanh(y).sum() + h.sum(), h.max()), h], target="cpu")
    outer = toposort(f.graph.outputs)
    (branches,) = [n for n in outer if isinstance(n.op, Branches)]
    assert [n.op.name for n in outer].count("exp") == 1  # computed once, read by both branches and an output
    assert "tanh" not in [n.op.name for n in outer]
    assert "tanh" in [n.op.name for n in branches.op.orders[0]] and "exp" not in [n.op.name for n in branches.op.orders[0]]
    got = f(np.float32(1), np.ones(2, np.float32), np.zeros(2, np.float32))
    np.testing.assert_allclose(got[0], 2 * np.e, rtol=1e-6)


def test_a_constant_condition_picks_its_branch_before_compiling():
    x = sn.vector("x")
    f = sn.function([x], sn.ifelse(sn.constant(2) > 1, x * 2, x * 3), target="cpu")
    assert not [n for n in toposort(f.graph.outputs) if isinstance(n.op, (IfElse, Branches))]
    np.testing.assert_array_equal(f(np.ones(2, np.float32)), [2, 2])


@pytest.mark.parametrize("target", ("interp", "cpu"))
def test_ifelse_in_a_loops_step_and_its_gradient(target):
    xs = sn.vector("xs", dtype="float64")
    h0 = sn.scalar("h0", dtype="float64")
    hs, _ = sn.scan(lambda x, h: sn.ifelse(x > 0, h + x, h * 0.5), sequences=[xs], outputs_info=[h0])
    f = sn.function([xs, h0], [hs, sn.grad(hs[-1], xs)], target=target)
    values = np.array([1.0, -2.0, 3.0, -1.0])
    expected, h = [], 4.0
    for v in values:
        h = h + v if v > 0 else h * 0.5
        expected.append(h)
    got, grad = f(values, 4.0)
    np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(grad, [0.25, 0, 0.5, 0])  # x_t adds into h where positive, halved by each later negative


def test_bad_ifelse_calls_are_errors_before_anything_runs():
    x, y, m = sn.vector("x"), sn.vector("y", dtype="float64"), sn.matrix("m")
    c = sn.scalar("c")
    with pytest.raises(TypeError, match="condition must be a scalar"):
        sn.ifelse(x > 0, x, x)
    with pytest.raises(TypeError, match="same dtype and number of dimensions"):
        sn.ifelse(c, x, y)
    with pytest.raises(TypeError, match="same dtype and number of dimensions"):
        sn.ifelse(c, x, m)
    with pytest.raises(ValueError, match="then branch has 2 outputs, the else branch 1"):
        sn.ifelse(c, [x, x], [x])
    with pytest.raises(sn.ShapeError, match=r"shape \(2,\) in the then branch and \(3,\)"):
        sn.ifelse(c, sn.constant(np.zeros(2, np.float32)), sn.constant(np.zeros(3, np.float32)))


def test_compiled_branches_must_make_one_shape():
    c, x, y = sn.scalar("c"), sn.vector("x"), sn.vector("y")
    out = sn.ifelse(c > 0, x, y)
    args = (np.float32(1), np.ones(2, np.float32), np.ones(3, np.float32))
    np.testing.assert_array_equal(sn.function([c, x, y], out, target="interp")(*args), [1, 1])
    with pytest.raises(sn.ShapeError, match=r"(?s)ifelse output 0: the branches make different shapes.*test_ifelse.py"):
        sn.function([c, x, y], out, target="cpu")(*args)


def test_the_theano_module_layout():
    from symnet.theano.ifelse import ifelse

    import symnet.theano.tensor as T

    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    f = sn.theano.function([a, b, x, y], [ifelse(T.lt(a, b), T.mean(x), T.mean(y)), T.switch(T.lt(a, b), T.mean(x), T.mean(y))])
    ones, twos = np.ones((2, 3), np.float32), np.full((2, 3), 2, np.float32)
    assert [float(v) for v in f(0, 1, ones, twos)] == [1.0, 1.0]
    assert [float(v) for v in f(1, 0, ones, twos)] == [2.0, 2.0]
    x, y = T.scalars("xy")  # Theano's plural constructors: one input per name, or per character
    n = T.lscalars("n")
    assert (x.name, y.name, n.dtype) == ("x", "y", "int64") and len(T.fmatrices(3)) == 3
