"""``sn.scan`` with Theano's semantics: sequences, recurrent outputs and their taps,
non-sequences, n_steps, go_backwards, shared variables and random draws in the step, updates
from fn; its gradient (backpropagation through time) against finite differences, a second
derivative, and the compiled targets against the interpreter."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symnet as sn
from symnet.graph import toposort
from symnet.ops.scan import Scan
from symnet.testing import assert_backends_agree, check_grad


def run(inputs, outputs, *args, updates=None, target="interp"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sn.FallbackWarning)
        return sn.function(inputs, outputs, updates=updates, target=target)(*args)


def test_a_running_sum_feeds_each_output_back():
    x = sn.vector("x", dtype="float64")
    sums, updates = sn.scan(lambda v, total: total + v, sequences=x, outputs_info=sn.constant(0.0))
    assert updates == {}
    np.testing.assert_allclose(run([x], sums, np.arange(5.0)), np.cumsum(np.arange(5.0)))


def test_n_steps_without_sequences_and_non_sequences_come_last():
    # Theano's tutorial: A ** k elementwise
    A, k = sn.vector("A", dtype="float64"), sn.scalar("k", dtype="int64")
    powers, _ = sn.scan(lambda prior, A: prior * A, outputs_info=sn.ones_like(A), non_sequences=A, n_steps=k)
    got = run([A, k], powers, np.arange(4.0), 3)
    np.testing.assert_allclose(got, [np.arange(4.0) ** p for p in (1, 2, 3)])
    assert run([A, k], powers, np.arange(4.0), 0).shape == (0, 4)


def test_taps_give_several_previous_values_oldest_first():
    init = sn.constant(np.array([0, 1], dtype="int64"))
    fib, _ = sn.scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]), n_steps=6)
    np.testing.assert_array_equal(run([], fib), [1, 2, 3, 5, 8, 13])  # the initial rows are not in the output


def test_outputs_without_feedback_and_go_backwards():
    x, y = sn.vector("x", dtype="float64"), sn.vector("y", dtype="float64")
    (prod, diff), _ = sn.scan(lambda a, b: [a * b, a - b], sequences=[x, y], go_backwards=True)
    xv, yv = np.arange(4.0), np.arange(4.0) * 3
    got = run([x, y], [prod, diff], xv, yv)
    np.testing.assert_allclose(got[0], (xv * yv)[::-1])  # stacked in the order the steps ran
    np.testing.assert_allclose(got[1], (xv - yv)[::-1])


def test_the_shortest_sequence_decides_and_n_steps_truncates():
    a = sn.tensor(shape=(5,), dtype="float64", name="a")
    b = sn.tensor(shape=(3,), dtype="float64", name="b")
    s, _ = sn.scan(lambda u, v: u + v, sequences=[a, b])
    np.testing.assert_allclose(run([a, b], s, np.ones(5), np.arange(3.0)), [1, 2, 3])
    x = sn.vector("x", dtype="float64")
    t, _ = sn.scan(lambda u: 2 * u, sequences=x, n_steps=2)
    np.testing.assert_allclose(run([x], t, np.arange(5.0)), [0, 2])


def test_shared_variables_read_in_the_step_and_updated_by_it():
    W = sn.shared(np.float64(2.0), name="W")
    c = sn.shared(np.float64(0.0), name="c")
    x = sn.vector("x", dtype="float64")
    outs, updates = sn.scan(lambda v: (v * W + c, {c: c + 1}), sequences=x)
    f = sn.function([x], outs, updates=updates, target="interp")
    np.testing.assert_allclose(f(np.arange(3.0)), [0, 3, 6])  # c moves on at every step
    assert c.get_value() == 3.0
    np.testing.assert_allclose(f(np.arange(3.0)), [3, 6, 9])


def test_a_random_draw_in_the_step_differs_per_step_and_per_call():
    rng = sn.RandomStream(seed=3)
    like = sn.vector("like", dtype="float32")
    noise, _ = sn.scan(lambda t: rng.uniform_like(like) + 0 * t, sequences=sn.constant(np.zeros(3, "float32")))
    f = sn.function([like], noise, updates=rng.updates(), target="interp")
    first, second = f(np.zeros(4, "float32")), f(np.zeros(4, "float32"))
    assert len({tuple(row) for row in first}) == 3
    assert not np.array_equal(first, second)


def test_bad_scans_say_what_is_wrong():
    x = sn.vector("x", dtype="float64")
    with pytest.raises(ValueError, match="give sequences or n_steps"):
        sn.scan(lambda: x)
    with pytest.raises(TypeError, match="initial value"):
        sn.scan(lambda v, h: h + v, sequences=x, outputs_info=sn.constant(np.int64(0)))
    with pytest.raises(ValueError, match="fn returned 2 outputs but outputs_info has 1"):
        sn.scan(lambda v, h: [h + v, h], sequences=x, outputs_info=sn.constant(0.0))
    with pytest.raises(ValueError, match="leading axis"):
        sn.scan(lambda v: v, sequences=sn.scalar("s"))
    k = sn.scalar("k", dtype="int64")
    powers, _ = sn.scan(lambda p: 2 * p, outputs_info=x, n_steps=k)
    with pytest.raises(NotImplementedError, match="n_steps as an int"):
        run([x, k], powers, np.ones(2), 2, target="cpu")


def rnn(X, h0, W, U):
    hs, _ = sn.scan(lambda xt, h, W, U: sn.tanh(xt @ U + h @ W), sequences=X, outputs_info=h0, non_sequences=[W, U])
    return hs


def test_the_gradient_is_backpropagation_through_time():
    rng = np.random.default_rng(0)
    X, h0 = rng.standard_normal((4, 3, 2)), rng.standard_normal((3, 3))
    W, U = rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((2, 3)) * 0.5
    check_grad(rnn, [X, h0, W, U])
    check_grad(lambda X, h0, W, U: rnn(X, h0, W, U)[-1], [X, h0, W, U])  # only the last state
    # the same weights read from outside fn (closures), and an output that is not fed back
    Wv = sn.constant(W)

    def closed(X, h0):
        (hs, ys), _ = sn.scan(lambda xt, h: [sn.tanh(xt @ U + h @ Wv), sn.sin(h)], sequences=X, outputs_info=[h0, None])
        return sn.sum(hs) + sn.sum(ys * ys)

    check_grad(closed, [X, h0])


def test_the_gradient_through_go_backwards_and_a_shared_state():
    rng = np.random.default_rng(1)

    def backwards(x, h0):
        hs, _ = sn.scan(lambda v, h: sn.sin(h * v + v), sequences=x, outputs_info=h0, go_backwards=True)
        return hs

    check_grad(backwards, [rng.standard_normal(5), rng.standard_normal(())])


def test_second_derivative_through_scan():
    s = sn.scalar("s", dtype="float64")
    p, _ = sn.scan(lambda prev, s: sn.sin(prev * s), outputs_info=s, non_sequences=s, n_steps=3)
    g = sn.grad(p[-1], s)
    second = sn.grad(g, s)

    def value(v):
        out = v
        for _ in range(3):
            out = np.sin(out * v)
        return out

    got = run([s], [g, second], 0.7)
    e = 1e-4
    np.testing.assert_allclose(got[0], (value(0.7 + e) - value(0.7 - e)) / (2 * e), rtol=1e-6)
    np.testing.assert_allclose(got[1], (value(0.7 + e) - 2 * value(0.7) + value(0.7 - e)) / e**2, rtol=1e-4)


@pytest.mark.parametrize("target", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_compiled_targets_agree_with_the_interpreter(target):
    rng = np.random.default_rng(2)
    X = sn.tensor3("X", dtype="float64")
    h0 = sn.matrix("h0", dtype="float64")
    W = sn.shared(rng.standard_normal((3, 3)) * 0.5, name="W")
    U = sn.shared(rng.standard_normal((2, 3)) * 0.5, name="U")
    hs = rnn(X, h0, W, U)
    loss = sn.sum(hs**2)
    grads = sn.grad(loss, [W, U, X, h0])
    updates = [(W, W - 0.1 * grads[0])]
    args = [rng.standard_normal((4, 5, 2)), rng.standard_normal((5, 3))]
    with warnings.catch_warnings():
        warnings.simplefilter("error", sn.FallbackWarning)  # compiled as a loop, no fallback
        assert_backends_agree([X, h0], [loss, hs] + grads, args, updates=updates, targets=(target,), rtol=1e-9, atol=1e-9)
        # empty and one-step sequences, a non-contiguous one
        for x in (np.zeros((0, 5, 2)), rng.standard_normal((1, 5, 2)), rng.standard_normal((5, 4, 2)).transpose(1, 0, 2)):
            assert_backends_agree([X, h0], [loss, hs], [x, args[1]], targets=(target,), rtol=1e-9, atol=1e-9)


def _step_modules(f) -> set:
    """The modules of the loops' steps (drivers of their own) that ``f``'s driver calls."""
    return {name for name, source in f.native.info.kernel_modules.items() if "def run_serial(" in source}


def test_the_cpu_compiles_the_loop_once_whatever_its_length():
    """The step is a module of its own, called in a loop of the driver: no fallback, and the
    same step modules, forward and backward, for 3 and 12 timesteps."""
    W = sn.constant(np.full((2, 2), 0.5))
    fs = []
    for steps in (3, 12):
        X = sn.tensor(shape=(steps, 4, 2), dtype="float64", name="X")
        hs, _ = sn.scan(lambda x, h: sn.tanh(x + h @ W), sequences=X, outputs_info=sn.zeros_like(X[0]))
        loss = sn.sum(hs[-1] ** 2)
        with warnings.catch_warnings():
            warnings.simplefilter("error", sn.FallbackWarning)
            f = sn.function([X], [loss, sn.grad(loss, X)])
        x = np.random.default_rng(steps).standard_normal((steps, 4, 2))
        got, want = f(x), sn.function([X], [loss, sn.grad(loss, X)], target="interp")(x)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        fs.append(f)
    assert len(_step_modules(fs[0])) == 2 and _step_modules(fs[0]) == _step_modules(fs[1])
    assert "for i in range(12):" in fs[1].source and "t = 12 - 1 - i" in fs[1].source  # the loop, and its reverse


@pytest.mark.parametrize("target", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_compiled_loops_keep_state_and_draw_anew_like_the_interpreter(target):
    c = sn.shared(np.float64(0.5), name="c")
    rng = sn.RandomStream(seed=5)
    x = sn.matrix("x", dtype="float64")
    noisy, updates = sn.scan(lambda row: (row * c + rng.uniform_like(row), {c: c * 2}), sequences=x)
    k = sn.scalar("k", dtype="float64")
    powers, _ = sn.scan(lambda p, k: p * k, outputs_info=sn.ones_like(k), non_sequences=k, n_steps=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sn.FallbackWarning)
        assert_backends_agree([x, k], [noisy, powers], [np.arange(6.0).reshape(3, 2), np.float64(3.0)],
                              updates=list(updates.items()) + rng.updates(), targets=(target,), rtol=1e-12, atol=1e-12)


def test_what_reads_only_sequences_is_computed_before_the_loop():
    """x_t @ U and elementwise work on the slices become one product and one pass over all
    steps; the step keeps what reads the state. Results and gradients are unchanged."""
    from symnet.ops.linalg import Matmul

    rng = np.random.default_rng(3)
    X, h0 = sn.tensor3("X", dtype="float64"), sn.matrix("h0", dtype="float64")
    U, W = sn.constant(rng.standard_normal((2, 3))), sn.constant(rng.standard_normal((3, 3)) * 0.5)
    table = sn.constant(np.array([1.0, 2.0, 3.0]))  # an array constant in the step: an input of the loop
    hs, _ = sn.scan(lambda x, h: sn.tanh(sn.exp(-x * x) @ U + h @ W) * table, sequences=X, outputs_info=h0)
    step = [n.op for n in hs.owner.op.order]
    assert sum(isinstance(op, Matmul) for op in step) == 1  # h @ W only
    assert not any(op.name == "exp" for op in step)
    args = [rng.standard_normal((4, 5, 2)), rng.standard_normal((5, 3))]
    loss = sn.sum(hs**2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sn.FallbackWarning)
        assert_backends_agree([X, h0], [hs] + sn.grad(loss, [X, h0]), args, rtol=1e-10, atol=1e-10)
    check_grad(lambda X, h0: sn.scan(lambda x, h: sn.tanh(sn.exp(-x * x) @ U + h @ W) * table, sequences=X, outputs_info=h0)[0],
               args)


@pytest.mark.parametrize("target", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_a_scan_inside_a_scan_compiles_with_its_gradient(target):
    M = sn.matrix("M", dtype="float64")

    def row_total(row, acc):
        partial, _ = sn.scan(lambda v, p: p + v * v, sequences=row, outputs_info=sn.constant(0.0))
        return acc + partial[-1]

    totals, _ = sn.scan(row_total, sequences=M, outputs_info=sn.constant(0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", sn.FallbackWarning)
        assert_backends_agree([M], [totals, sn.grad(sn.sum(totals), M)], [np.arange(12.0).reshape(3, 4)], targets=(target,))


def test_a_scan_the_cpu_cannot_compile_runs_its_reference_and_may_leave_outputs_unread():
    init = sn.vector("init", dtype="float64")
    fib, doubled = sn.scan(lambda a, b: [a + b, 2 * b], outputs_info=[dict(initial=init, taps=[-2, -1]), None], n_steps=5)[0]
    with pytest.warns(sn.FallbackWarning, match="no rule for scan"):
        f = sn.function([init], fib)  # the second output is never read
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), [1, 2, 3, 5, 8])


def test_the_gradient_reads_stored_forward_values_and_the_forward_loop_runs_once():
    from symnet.graph import toposort
    from symnet.ops.scan import Scan

    W = sn.constant(np.full((3, 3), 0.3))
    X, h0 = sn.tensor3("X", dtype="float64"), sn.matrix("h0", dtype="float64")
    hs, _ = sn.scan(lambda x, h: sn.tanh(x + h @ W), sequences=X, outputs_info=h0)
    loss = sn.sum(hs**2)
    f = sn.function([X, h0], [loss, sn.grad(loss, h0)], target="interp")
    loops = [n.op for n in toposort(f.graph.results) if isinstance(n.op, Scan)]
    assert len(loops) == 2  # the forward loop (stacking what its gradient reads) and the backward one
    backward = [op for op in loops if op.reverse][0]
    names = [n.op.name for n in backward.order]
    assert "tanh" not in names and names.count("matmul") == 1  # tanh's output is stored; only g @ W.T


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_an_rbm_gibbs_chain_draws_from_a_random_stream_at_every_step():
    """The Gibbs chain of Theano's RBM tutorial (h → v → h, Bernoulli samples as uniform
    draws below the means), five steps from a given hidden state: the chain, rebuilt in
    NumPy from the uniforms the scan drew, is the scan's; compiled, it draws the same."""
    rng = np.random.default_rng(0)
    W = sn.shared(0.8 * rng.standard_normal((6, 4)), name="W")
    vbias, hbias = sn.shared(np.full(6, -0.1), name="vbias"), sn.shared(np.full(4, 0.2), name="hbias")
    stream = sn.RandomStream(seed=7)

    def gibbs_hvh(h):
        v_mean = sn.sigmoid(h @ W.T + vbias)
        v_draw = stream.uniform_like(v_mean)
        v = sn.cast(v_draw < v_mean, "float64")
        h_mean = sn.sigmoid(v @ W + hbias)
        h_draw = stream.uniform_like(h_mean)
        return [v_mean, v_draw, v, h_mean, h_draw, sn.cast(h_draw < h_mean, "float64")]

    h0 = sn.matrix("h0", dtype="float64")
    chain, updates = sn.scan(gibbs_hvh, outputs_info=[None] * 5 + [h0], n_steps=5, name="gibbs")
    assert not updates
    start = (rng.random((3, 4)) < 0.5).astype(np.float64)
    v_mean, v_draw, v, h_mean, h_draw, h = sn.function([h0], chain, updates=stream.updates(), target="interp")(start)
    assert all(a.shape == (5, 3, 6) for a in (v_mean, v_draw, v)) and all(a.shape == (5, 3, 4) for a in (h_mean, h_draw, h))
    Wn = W.get_value()
    previous = start
    for t in range(5):
        np.testing.assert_allclose(v_mean[t], _sigmoid(previous @ Wn.T - 0.1), rtol=1e-12)
        np.testing.assert_array_equal(v[t], v_draw[t] < v_mean[t])
        np.testing.assert_allclose(h_mean[t], _sigmoid(v[t] @ Wn + 0.2), rtol=1e-12)
        np.testing.assert_array_equal(h[t], h_draw[t] < h_mean[t])
        previous = h[t]
    draws = np.concatenate([v_draw.ravel(), h_draw.ravel()])
    assert 0 <= draws.min() and draws.max() < 1 and len(np.unique(draws)) == draws.size  # fresh at every step
    with warnings.catch_warnings():
        warnings.simplefilter("error", sn.FallbackWarning)
        assert_backends_agree([h0], chain, [start], updates=stream.updates(), targets=("cpu",), rtol=1e-12, atol=1e-12)


def test_outputs_that_nothing_reads_are_not_stacked():
    """Of a loop's three outputs only the running sum is read: the product, fed back, is
    kept as its final state only; the per-step total, not fed back, is not computed."""
    x = sn.matrix("x", dtype="float64")
    zero = sn.zeros_like(x[0])
    (total, product, _), _ = sn.scan(lambda v, s, p: [s + v, p * v + 1, sn.sum(v)], sequences=x,
                                     outputs_info=[zero, zero, None])
    args = [np.arange(6.0).reshape(3, 2)]
    for target in ("interp", "cpu"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", sn.FallbackWarning)
            f = sn.function([x], total, target=target)
        np.testing.assert_allclose(f(*args), np.cumsum(args[0], axis=0))
        loops = [n.op for n in toposort(f.graph.results) if isinstance(n.op, Scan)]
        assert len(loops) == 1 and len(loops[0].inner_outputs) == 2 and loops[0].keep_last == (False, True)
