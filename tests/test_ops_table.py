"""Table-driven op tests: evaluate vs NumPy, gradients vs finite differences, build/call errors.

The table lives in ``tests/op_table.py`` so backend tests can run the same cases.
"""

import numpy as np
import pytest
from tests.op_table import (
    LAYOUTS,
    eval_params,
    grad_params,
    instances,
    make_inputs,
    reference,
    relayout,
    second_order_params,
    symbolic_inputs,
    tolerance,
)

import symnet as sn
from symnet import expr as T
from symnet.testing import check_grad


def interp(inputs, outputs):
    return sn.function(inputs, outputs, target="interp", on_unused_input="ignore")


# -- (a) evaluate vs NumPy ----------------------------------------------------------------------


def _assert_matches(case, got, out, expected, where):
    assert got.dtype == np.dtype(out.dtype), f"{where}: computed {got.dtype}, the graph promised {out.dtype}"
    assert got.dtype.kind == expected.dtype.kind or {got.dtype.kind, expected.dtype.kind} <= {"i", "u"}, (
        f"{where}: symnet gives {got.dtype}, NumPy {expected.dtype}"
    )
    assert got.shape == expected.shape, f"{where}: shape {got.shape}, NumPy {expected.shape}"
    assert out.type.accepts(got), f"{where}: shape {got.shape} does not fit the static type {out.type}"
    # the coarser float decides: a float64 result of float32 work (x * x.shape[-1]) is float32-accurate
    rtol, atol = max(tolerance(case, out.dtype), tolerance(case, expected.dtype.name))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=where)


@pytest.mark.parametrize("case, dtype", eval_params())
def test_evaluate_matches_numpy(case, dtype):
    """Every shape set, in every memory layout, with unknown and with static sizes."""
    for shapes, arrays in instances(case, dtype):
        expected = reference(case, arrays)
        inputs = symbolic_inputs(arrays)
        out = case.build(*inputs)
        f = interp(inputs, out)
        for layout in LAYOUTS:
            got = f(*[relayout(a, layout) for a in arrays])
            _assert_matches(case, got, out, expected, f"{case.name} {dtype} shapes={shapes} layout={layout}")

        static = symbolic_inputs(arrays, static=True)
        out = case.build(*static)
        known = tuple(s if s is not None else e for s, e in zip(out.type.shape, expected.shape))
        assert known == expected.shape, f"{case.name} {dtype} shapes={shapes}: static shape {out.type}"
        got = interp(static, out)(*arrays)
        _assert_matches(case, got, out, expected, f"{case.name} {dtype} shapes={shapes} static")


@pytest.mark.parametrize("case, dtype", eval_params())
def test_constant_folding_matches_numpy(case, dtype):
    """All inputs constant: the whole graph is folded at compile time by ``evaluate``."""
    for shapes, arrays in instances(case, dtype):
        expected = reference(case, arrays)
        out = case.build(*[sn.constant(a) for a in arrays])
        got = interp([], out)()
        _assert_matches(case, got, out, expected, f"{case.name} {dtype} shapes={shapes} folded")


# -- (b) gradients vs central finite differences, float64 -------------------------------------------


@pytest.mark.parametrize("case", grad_params())
def test_gradient_matches_finite_differences(case):
    rng = np.random.default_rng(1)
    for shapes in case.grad_shapes:
        arrays = make_inputs(case, "float64", shapes, rng)
        check_grad(case.build, arrays, rtol=1e-5 * case.grad_tol, atol=1e-7 * case.grad_tol)


@pytest.mark.parametrize("case", second_order_params())
def test_second_derivative_matches_finite_differences(case):
    """grad of (grad of sum(w * op(x, …)) with respect to x), against differences of the first."""
    rng = np.random.default_rng(2)
    arrays = make_inputs(case, "float64", case.grad_shapes[0], rng)
    weight = sn.constant(rng.standard_normal(reference(case, arrays).shape))

    def first_derivative(*inputs):
        return sn.grad(sn.sum(case.build(*inputs) * weight), inputs[0])

    check_grad(first_derivative, arrays, rtol=1e-5 * case.grad_tol, atol=1e-7 * case.grad_tol)


@pytest.mark.parametrize("case, dtype", [p for p in eval_params() if p.values[0].args[0].domain == "wide"])
def test_gradient_is_finite_on_wide_inputs(case, dtype):
    """The stable ops and stabilized losses keep finite gradients where exp overflows."""
    for shapes, arrays in instances(case, dtype):
        inputs = symbolic_inputs(arrays)
        shape = reference(case, arrays).shape
        weight = sn.constant(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape))
        cost = sn.sum(sn.cast(case.build(*inputs), "float64") * weight)
        grad = interp(inputs, sn.grad(cost, inputs[0]))(*arrays)
        assert np.isfinite(grad).all(), f"{case.name} {dtype} shapes={shapes}: {grad}"


def test_second_derivative_of_tanh_is_closed_form():
    x = sn.vector("x", "float64")
    d2 = sn.grad(sn.sum(sn.grad(sn.sum(sn.tanh(x)), x)), x)  # diagonal Hessian: -2 tanh (1 - tanh²)
    values = np.linspace(-2, 2, 7)
    t = np.tanh(values)
    np.testing.assert_allclose(interp([x], d2)(values), -2 * t * (1 - t**2), rtol=1e-12)
    check_grad(lambda x: sn.grad(sn.sum(sn.tanh(x)), x), [values])


def test_cast_between_floats_passes_the_gradient_through():
    x = sn.vector("x", "float32")
    g = sn.grad(sn.sum(sn.cast(x, "float64") * 3.0), x)
    assert g.dtype == "float32"
    np.testing.assert_array_equal(interp([x], g)(np.ones(3, "float32")), np.full(3, 3.0, "float32"))


# -- errors -------------------------------------------------------------------------------------


def _t(shape, dtype="float32", name="x"):
    return sn.tensor(name, dtype, shape=shape)


BUILD_ERRORS = [
    ("matmul_inner_sizes", lambda: _t((2, 3)) @ _t((4, 5), name="y"), sn.ShapeError, "inner"),
    ("matmul_scalar", lambda: sn.matmul(sn.scalar("s"), sn.vector("v")), TypeError, "dimension"),
    ("dot_3d_inner_sizes", lambda: sn.dot(_t((2, 3, 4)), _t((5, 2), name="y")), sn.ShapeError, "inner"),
    ("add_known_sizes", lambda: _t((3,)) + _t((4,), name="y"), sn.ShapeError, "broadcast"),
    ("reshape_not_divisible", lambda: _t((2, 3)).reshape(4, -1), sn.ShapeError, "reshape"),
    ("reshape_wrong_count", lambda: _t((2, 3)).reshape(7), sn.ShapeError, "reshape"),
    ("reshape_two_unknowns", lambda: sn.matrix("x").reshape(-1, -1), sn.ShapeError, "reshape"),
    ("index_out_of_bounds", lambda: _t((3,))[3], IndexError, "out of bounds"),
    ("index_negative_out_of_bounds", lambda: _t((3, 2))[:, -3], IndexError, "out of bounds"),
    ("too_many_indices", lambda: sn.vector("x")[0, 0], IndexError, "too many"),
    ("two_ellipses", lambda: sn.matrix("x")[..., ...], IndexError, "ellipsis"),
    ("slice_step_zero", lambda: sn.vector("x")[::0], ValueError, "step"),
    ("float_index", lambda: sn.vector("x")[1.5], TypeError, "index"),
    ("take_bool_mask", lambda: sn.vector("x")[sn.vector("m", "bool")], TypeError, "integers"),
    ("take_float_indices", lambda: sn.vector("x")[sn.vector("i")], TypeError, "integers"),
    (
        "take_along_axis_ndim",
        lambda: T.take_along_axis(sn.matrix("x"), sn.vector("i", "int64"), 1),
        TypeError,
        "dims",
    ),
    (
        "concatenate_sizes",
        lambda: sn.concatenate([_t((2, 3)), _t((2, 4), name="y")], 0),
        sn.ShapeError,
        "differ",
    ),
    ("concatenate_ndim", lambda: sn.concatenate([sn.matrix("x"), sn.vector("y")], 0), TypeError, "ndim"),
    ("one_hot_float", lambda: sn.one_hot(sn.vector("i"), 3), TypeError, "integer"),
    ("transpose_axes", lambda: sn.matrix("x").transpose(0, 0), ValueError, "permutation"),
    ("sum_axis", lambda: sn.sum(sn.matrix("x"), 2), np.exceptions.AxisError, "out of bounds"),
    ("sum_repeated_axis", lambda: sn.sum(sn.matrix("x"), (1, -1)), ValueError, "repeated"),
    ("softmax_axis", lambda: sn.softmax(sn.matrix("x"), 2), np.exceptions.AxisError, "axis"),
    ("where_known_sizes", lambda: sn.where(_t((2,), "bool", "c"), _t((3,)), 0.0), sn.ShapeError, "broadcast"),
    (
        "user_op_arity",
        lambda: sn.elementwise(lambda a: a, name="ident")(sn.vector("x"), sn.vector("y")),
        TypeError,
        "1 argument",
    ),
]


@pytest.mark.parametrize("build, error, match", [pytest.param(*e[1:], id=e[0]) for e in BUILD_ERRORS])
def test_bad_graphs_raise_at_build_time(build, error, match):
    with pytest.raises(error, match=match):
        build()


# (name, build () -> (inputs, output), arguments, error, words the message must contain)
CALL_ERRORS = [
    ("known_size", lambda: ([x := _t((None, 3))], x * 2), [np.ones((2, 4))], sn.ShapeError, ["x", "(?, 3)"]),
    ("known_size_1", lambda: ([x := _t((1, None))], x * 2), [np.ones((2, 4))], sn.ShapeError, ["x"]),
    ("ndim", lambda: ([x := sn.matrix("x")], x * 2), [np.ones(3)], (TypeError, sn.ShapeError), ["x", "dims"]),
    ("dtype_kind", lambda: ([k := sn.vector("k", "int64")], k * 2), [np.ones(3)], TypeError, ["k"]),
    (
        "matmul_inner",
        lambda: ([a := sn.matrix("a"), b := sn.matrix("b")], a @ b),
        [np.ones((2, 3)), np.ones((4, 2))],
        sn.ShapeError,
        ["matmul", "test_ops_table.py"],
    ),
    (
        "reshape_count",
        lambda: ([x := sn.vector("x")], x.reshape(2, -1)),
        [np.ones(5)],
        sn.ShapeError,
        ["reshape"],
    ),
    (
        "undeclared_broadcast",
        lambda: ([x := sn.vector("x"), y := sn.vector("y")], x + y),
        [np.ones(3), np.ones(1)],
        sn.ShapeError,
        ["y", "broadcastable"],
    ),
    (
        "mismatched_sizes",
        lambda: ([x := sn.vector("x"), y := sn.vector("y")], x * y),
        [np.ones(3), np.ones(4)],
        sn.ShapeError,
        ["mul", "test_ops_table.py"],
    ),
    (
        "take_out_of_range",
        lambda: ([x := sn.vector("x"), i := sn.vector("i", "int64")], x[i]),
        [np.ones(3), np.array([0, 7])],
        (IndexError, sn.ShapeError),
        ["take", "7"],
    ),
    (
        "concatenate_sizes",
        lambda: ([x := sn.matrix("x"), y := sn.matrix("y")], sn.concatenate([x, y], 0)),
        [np.ones((2, 3)), np.ones((2, 4))],
        sn.ShapeError,
        ["concatenate"],
    ),
    (
        "conv2d_channels",
        lambda: ([x := sn.tensor4("x"), w := sn.tensor4("w")], sn.conv2d(x, w)),
        [np.ones((1, 3, 5, 5), "float32"), np.ones((2, 2, 3, 3), "float32")],
        sn.ShapeError,
        ["3 channels, the kernel expects 2", "test_ops_table.py"],
    ),
    (
        "ragged_list",
        lambda: ([x := sn.matrix("x")], x + 1),
        [[[1.0, 2.0], [3.0]]],
        TypeError,
        ["input 0 (x)", "rows of different lengths"],
    ),
    (
        "pool_window",
        lambda: ([x := sn.tensor4("x")], sn.max_pool2d(x, 3)),
        [np.ones((1, 1, 2, 5), "float32")],
        sn.ShapeError,
        ["window (3) is larger", "max_pool2d", "test_ops_table.py"],
    ),
]


@pytest.mark.parametrize("build, args, error, words", [pytest.param(*e[1:], id=e[0]) for e in CALL_ERRORS])
def test_bad_calls_raise_naming_the_culprit(build, args, error, words):
    inputs, out = build()
    f = interp(inputs, out)
    with pytest.raises(error) as info:
        f(*args)
    for word in words:
        assert word in str(info.value), f"{word!r} not in: {info.value}"
