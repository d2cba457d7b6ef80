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
    out_value = sn.function(variables, out, target="interp")(*args)
    projection = sn.constant(rng.standard_normal(np.shape(out_value)))
    cost = sn.sum(sn.cast(out, "float64") * projection)
    wrt = [v for v, a in zip(variables, args) if is_float(a.dtype.name)]
    grads = sn.grad(cost, wrt, disconnected="zero")
    f_cost = sn.function(variables, cost, target=target)
    f_grads = sn.function(variables, grads, target=target)
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
        f = sn.function(inputs, list(outputs_list), updates=update_pairs, target=target)
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
