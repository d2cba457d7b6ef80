"""Public test helpers: gradients against finite differences, backends against the interpreter."""

from __future__ import annotations

import numpy as np

import symnet as sn
from symnet.graph import SharedVariable, graph_inputs
from symnet.tensor_type import is_float


def symbolic_like(array: np.ndarray, name: str, dtype=None):
    """An input variable for ``array``: unknown sizes, except size-1 axes (broadcastable)."""
    shape = tuple(1 if s == 1 else None for s in array.shape)
    return sn.tensor(name, dtype or array.dtype.name, shape=shape)


def check_grad(fn, args, *, eps=1e-6, rtol=1e-5, atol=1e-8, target="interp", seed=0):
    """Assert that ``sn.grad`` of ``fn`` matches central finite differences, in float64.

    ``fn`` takes one symbolic variable per array in ``args`` and returns an expression.
    Float arrays are differentiated (as float64); integer arrays are passed through.
    Non-scalar outputs are reduced with a fixed random projection, ``sum(out * P)``, so
    every output element takes part.
    """
    rng = np.random.default_rng(seed)
    args = [np.asarray(a, dtype=np.float64) if is_float(np.asarray(a).dtype.name) else np.asarray(a) for a in args]
    variables = [symbolic_like(a, f"arg{i}") for i, a in enumerate(args)]
    out = fn(*variables)
    out_value = sn.function(variables, out, target="interp", on_unused_input="ignore")(*args)
    projection = sn.constant(rng.standard_normal(np.shape(out_value)))
    cost = sn.sum(sn.cast(out, "float64") * projection)
    wrt = [v for v, a in zip(variables, args) if is_float(a.dtype.name)]
    grads = sn.grad(cost, wrt, disconnected="zero")
    f_cost = sn.function(variables, cost, target=target, on_unused_input="ignore")
    f_grads = sn.function(variables, grads, target=target, on_unused_input="ignore")
    analytic = f_grads(*args)
    float_positions = [i for i, a in enumerate(args) if is_float(a.dtype.name)]
    for i, g in zip(float_positions, analytic):
        numeric = np.zeros_like(args[i])
        for index in np.ndindex(args[i].shape):
            shifted = [a.copy() for a in args]
            shifted[i][index] += eps
            plus = f_cost(*shifted)
            shifted[i][index] -= 2 * eps
            minus = f_cost(*shifted)
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=rtol, atol=atol, err_msg=f"gradient of argument {i}")


def assert_backends_agree(inputs, outputs, args, *, updates=None, targets=("cpu",), rtol=1e-5, atol=1e-6):
    """Assert that each target computes what the interpreter computes (outputs and updates).

    Shared variables are reset between targets, so every target starts from the same state.
    """
    outputs_list = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    update_pairs = list(updates.items() if isinstance(updates, dict) else updates or [])
    shared = [v for v in graph_inputs(list(outputs_list) + [new for _, new in update_pairs]) if isinstance(v, SharedVariable)]
    shared += [s for s, _ in update_pairs if s not in shared]
    initial = {s: s.get_value() for s in shared}

    def run(target):
        for s, value in initial.items():
            s.set_value(value)
        f = sn.function(inputs, list(outputs_list), updates=update_pairs, target=target, on_unused_input="ignore")
        results = f(*args)
        return results, {s: s.get_value() for s in shared}

    expected, expected_state = run("interp")
    for target in targets:
        got, state = run(target)
        for k, (e, g) in enumerate(zip(expected, got)):
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"{target}: output {k}")
            assert np.asarray(g).dtype == np.asarray(e).dtype, f"{target}: output {k} dtype {g.dtype} != {e.dtype}"
        for s in shared:
            np.testing.assert_allclose(state[s], expected_state[s], rtol=rtol, atol=atol, err_msg=f"{target}: {s.label()}")
    for s, value in initial.items():
        s.set_value(value)


# -- random graphs --------------------------------------------------------------------------
# Ops the generator composes: each takes the variables it needs and returns an expression.
# Every formula is defined (and smooth enough for gradients) on all of R.
_UNARY = {
    "neg": lambda x: -x,
    "exp_tanh": lambda x: sn.exp(sn.tanh(x)),
    "sigmoid": lambda x: sn.sigmoid(x),
    "softplus": lambda x: sn.softplus(x),
    "sin": lambda x: sn.sin(x),
    "square": lambda x: sn.square(x),
    "log_1_x2": lambda x: sn.log(1 + x * x),
    "sqrt_1_x2": lambda x: sn.sqrt(1 + x * x),
    "tanh": lambda x: sn.tanh(x),
    "scale": lambda x: 0.5 * x - 1,
    "pow3": lambda x: x**3,
}
_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "maximum": lambda a, b: sn.maximum(a, b),
    "where": lambda a, b: sn.where(a > b, a * b, a - b),
}
_REDUCE = {"sum": sn.sum, "mean": sn.mean, "max": sn.max, "logsumexp": sn.logsumexp}
_SIZES = (0, 1, 1, 2, 3, 4)


def random_graph(draw, max_ops: int = 8, dtype: str = "float64"):
    """(inputs, outputs, arrays): a random graph over the op table's kinds of ops.

    ``draw`` is Hypothesis's (``st.data().draw`` or a composite's): the graph's shapes,
    broadcasting, ops and sharing all come from it, so failures shrink. Values are
    standard normal, from a seed drawn alongside. Ops mix elementwise chains with
    broadcasting, reductions (any axis, keepdims or not), softmax, transposes and matmuls,
    and reuse earlier values (a DAG, not a chain).
    """
    from hypothesis import strategies as st

    rank = draw(st.integers(0, 3), label="rank")
    frame = tuple(draw(st.sampled_from(_SIZES), label="size") for _ in range(rank))
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    rng = np.random.default_rng(seed)
    inputs, arrays, pool = [], [], []

    def new_input(shape):
        array = rng.standard_normal(shape).astype(dtype)
        v = symbolic_like(array, f"in{len(inputs)}")
        inputs.append(v)
        arrays.append(array)
        pool.append((v, tuple(shape)))
        return v, tuple(shape)

    def broadcastable_shape():
        # right-aligned sub-shape of the frame, some axes collapsed to 1
        lead = draw(st.integers(0, rank), label="lead")
        return tuple(1 if draw(st.booleans(), label="collapse") else s for s in frame[lead:])

    for _ in range(draw(st.integers(1, 3), label="inputs")):
        new_input(broadcastable_shape())
    for _ in range(draw(st.integers(1, max_ops), label="ops")):
        v, shape = draw(st.sampled_from(pool), label="operand")
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "softmax", "transpose", "matmul"]), label="kind")
        if kind == "unary":
            name = draw(st.sampled_from(sorted(_UNARY)), label="unary")
            out, out_shape = _UNARY[name](v), shape
        elif kind == "binary":
            partners = [(w, s) for w, s in pool if _broadcast(shape, v, s, w) is not None]
            w, w_shape = draw(st.sampled_from(partners), label="partner")
            if draw(st.booleans(), label="swap"):
                (v, shape), (w, w_shape) = (w, w_shape), (v, shape)
            name = draw(st.sampled_from(sorted(_BINARY)), label="binary")
            out, out_shape = _BINARY[name](v, w), _broadcast(shape, v, w_shape, w)
        elif kind == "reduce" and shape:
            axis = draw(st.integers(0, len(shape) - 1), label="axis")
            keepdims = draw(st.booleans(), label="keepdims")
            name = draw(st.sampled_from(sorted(_REDUCE)), label="reduce")
            if name in ("max", "logsumexp") and shape[axis] == 0:
                name = "sum"  # the maximum of nothing is an error, not a value
            out = _REDUCE[name](v, axis=axis, keepdims=keepdims)
            out_shape = tuple(1 if k == axis else s for k, s in enumerate(shape)) if keepdims else shape[:axis] + shape[axis + 1 :]
        elif kind == "softmax" and shape and shape[-1] > 0:
            out, out_shape = sn.softmax(v, axis=-1), shape
        elif kind == "transpose" and len(shape) >= 2:
            out, out_shape = sn.transpose(v), shape[::-1]
        elif kind == "matmul" and 1 <= len(shape) <= 2:
            k = draw(st.sampled_from(_SIZES[1:]), label="columns")
            w, _ = new_input((shape[-1], k))
            out, out_shape = v @ w, shape[:-1] + (k,)
        else:
            continue
        pool.append((out, out_shape))
    outputs = [pool[-1][0]]
    extra = draw(st.sampled_from(pool), label="second output")[0]
    if extra is not outputs[0]:
        outputs.append(extra)
    return inputs, outputs, arrays


def _broadcast(a_shape, a, b_shape, b):
    """The broadcast shape of a and b, or None where symnet would refuse (an axis of size 1
    broadcasts only where the type knows it is 1)."""
    n = max(len(a_shape), len(b_shape))
    a_shape, b_shape = (1,) * (n - len(a_shape)) + a_shape, (1,) * (n - len(b_shape)) + b_shape
    a_known = (True,) * (n - a.ndim) + a.type.broadcastable
    b_known = (True,) * (n - b.ndim) + b.type.broadcastable
    out = []
    for sa, sb, ka, kb in zip(a_shape, b_shape, a_known, b_known):
        if sa == sb:
            out.append(sa)
        elif sa == 1 and ka:
            out.append(sb)
        elif sb == 1 and kb:
            out.append(sa)
        else:
            return None
    return tuple(out)


def check_random_graphs(graphs: list, target: str = "cpu", rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Compile ``graphs`` (from :func:`random_graph`) as one function for ``target`` and assert
    it agrees with the interpreter: values, and gradients of a random projection of the
    outputs with respect to every float input."""
    inputs, outputs, arrays, costs = [], [], [], []
    rng = np.random.default_rng(len(graphs))
    for k, (graph_inputs_, graph_outputs, graph_arrays) in enumerate(graphs):
        for v in graph_inputs_:
            v.name = f"g{k}_{v.name}"
        inputs += graph_inputs_
        arrays += graph_arrays
        outputs += graph_outputs
        values = sn.function(graph_inputs_, graph_outputs, target="interp", on_unused_input="ignore")(*graph_arrays)
        cost = sum(sn.sum(out * sn.constant(rng.standard_normal(np.shape(val)), dtype=out.dtype)) for out, val in zip(graph_outputs, values))
        costs.append(sn.grad(cost, graph_inputs_, disconnected="zero"))
    grads = [g for gs in costs for g in gs]
    expected = sn.function(inputs, outputs + grads, target="interp", on_unused_input="ignore")(*arrays)
    got = sn.function(inputs, outputs + grads, target=target, on_unused_input="ignore")(*arrays)
    for k, (g, e) in enumerate(zip(got, expected)):
        what = f"output {k}" if k < len(outputs) else f"gradient {k - len(outputs)}"
        assert np.shape(g) == np.shape(e), f"{what}: shape {np.shape(g)} != {np.shape(e)}"
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=what)
