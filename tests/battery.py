"""The op table in batches, for the backend tests: each batch one compiled function holding a
few cases as separate outputs, checked against the interpreter (values and gradients).

Compiling costs far more than running, so cases are batched: each output still gets its own
kernel and checks, and a failure names the case. Gradients are compared on the gradient
graphs: the interpreter's gradients are checked against finite differences in
test_ops_table.py. ``test_cpu_ops.py`` runs the batteries on the CPU, ``test_cuda.py`` on
CUDA (the simulator where there is no GPU)."""

from __future__ import annotations

import numpy as np
import pytest

import symnet as sn
from tests.op_table import CASES, instances, relayout, symbolic_inputs, tolerance

# Cases compiled together in one function. Numba's compile time grows faster than the
# function (measured on 40 gradient cases, cold cache: chunks of 2, 5, 10, 20 took 49, 45,
# 57, 74 s; 60 float32 forward cases: 30 s in chunks of 5, 33 s in chunks of 10).
CHUNK = 5


def _pick(shape_sets: list, count: int) -> list:
    """A few awkward shape sets: one with a zero size, one with size-1 axes, the largest."""
    def size(shapes):
        return sum(int(np.prod(s)) for s in shapes)

    chosen = []
    zero = [s for s in shape_sets if size(s) == 0 and any(len(x) for x in s)]
    ones = [s for s in shape_sets if any(1 in x for x in s)]
    for group in (zero, ones):
        if group:
            chosen.append(group[0])
    chosen.append(max(shape_sets, key=size))
    return list(dict.fromkeys(chosen))[-count:] if count < len(chosen) else list(dict.fromkeys(chosen))


def _items(dtype: str) -> list:
    """(case, shapes, arrays) to compile. float32 takes two shape sets per case, the first in
    C order and the second as strided views: both layouts, one compile."""
    count = 2 if dtype == "float32" else 1
    items = []
    for case in CASES:
        if dtype not in case.dtypes or case.marks:
            continue
        wanted = _pick(list(case.shapes), count)
        for shapes, arrays in instances(case, dtype, seed=7):
            if shapes in wanted:
                if wanted.index(shapes) == 1:
                    arrays = [relayout(a, "strided") if a.ndim else a for a in arrays]
                items.append((case, shapes, arrays))
    return items


def _chunks(dtype: str) -> list:
    items = _items(dtype)
    return [pytest.param(dtype, items[k : k + CHUNK], id=f"{dtype}-{k // CHUNK}") for k in range(0, len(items), CHUNK)]


def _batch(items: list):
    inputs, outputs = [], []
    for case, shapes, arrays in items:
        variables = symbolic_inputs(arrays)
        for i, v in enumerate(variables):
            v.name = f"{case.name}_{i}"
        inputs += variables
        outputs.append(case.build(*variables))
    return inputs, outputs


def _compare(items, outputs, got, expected) -> None:
    for (case, shapes, arrays), out, g, e in zip(items, outputs, got, expected):
        rtol, atol = tolerance(case, out.dtype)
        layouts = ["C" if a.flags.c_contiguous else "strided" for a in arrays]
        message = f"{case.name} shapes={shapes} layouts={layouts}"
        assert g.dtype == e.dtype and g.shape == e.shape, message
        np.testing.assert_allclose(g, e, rtol=max(rtol, 1e-6) * 4, atol=max(atol, 1e-7) * 4, err_msg=message)


def check_values(items, target: str) -> None:
    """The cases' outputs, compiled for ``target`` as one function, against the interpreter."""
    inputs, outputs = _batch(items)
    arrays = [a for _, _, case_arrays in items for a in case_arrays]
    expected = sn.function(inputs, outputs, target="interp", on_unused_input="ignore")(*arrays)
    got = sn.function(inputs, outputs, target=target, on_unused_input="ignore")(*arrays)
    _compare(items, outputs, got, expected)


# float64 forward values are covered by the gradient battery below (float64 throughout)
BATTERY = [p for d in ("float32", "int64", "int32", "bool") for p in _chunks(d)]


def grad_items() -> list:
    items = []
    for case in CASES:
        if case.grad and case.grad_shapes and not case.marks:
            rng = np.random.default_rng(3)
            from tests.op_table import make_inputs

            # one shape set per case on the CPU, one with size-1 axes where there is one
            # (broadcast gradients are summed back: where a backend goes wrong); the
            # interpreter's gradients are checked on all of them against finite differences
            broadcast = [s for s in case.grad_shapes if any(1 in x for x in s)]
            shapes = (broadcast or list(case.grad_shapes))[0]
            items.append((case, shapes, make_inputs(case, "float64", shapes, rng)))
    return [pytest.param(items[k : k + CHUNK], id=f"grads-{k // CHUNK}") for k in range(0, len(items), CHUNK)]


def check_gradients(items, target: str) -> None:
    """A random projection of each case's output and its gradients, compiled for ``target``
    as one function, against the interpreter."""
    inputs, outputs, grads = [], [], []
    rng = np.random.default_rng(5)
    arrays = []
    for case, shapes, case_arrays in items:
        variables = symbolic_inputs(case_arrays)
        out = case.build(*variables)
        value = sn.function(variables, out, target="interp", on_unused_input="ignore")(*case_arrays)
        cost = sn.sum(sn.cast(out, "float64") * sn.constant(rng.standard_normal(np.shape(value))))
        floats = [v for v in variables if v.dtype.startswith("float")]
        inputs += variables
        arrays += case_arrays
        outputs.append(cost)
        grads += sn.grad(cost, floats, disconnected="zero")
    expected = sn.function(inputs, outputs + grads, target="interp", on_unused_input="ignore")(*arrays)
    got = sn.function(inputs, outputs + grads, target=target, on_unused_input="ignore")(*arrays)
    for k, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-11, err_msg=f"output {k}")
