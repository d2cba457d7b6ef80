"""The op table: one entry per op and calling form, shared by every table-driven test.

Each ``OpCase`` says how to build the symbolic expression, what NumPy computes for it, the
domain and dtype of every input, the shapes to try and whether it is differentiable.
``tests/test_ops_table.py`` drives (a) evaluate vs NumPy and (b) gradients vs finite
differences from it; a backend test runs the same cases against the interpreter (c)::

    @pytest.mark.parametrize("case, dtype", eval_params())
    def test_cpu_matches_interp(case, dtype):
        for shapes, arrays in instances(case, dtype):
            inputs = symbolic_inputs(arrays)  # or static=True: every size known
            out = case.build(*inputs)
            rtol, atol = tolerance(case, out.dtype)
            for layout in LAYOUTS:
                args = [relayout(a, layout) for a in arrays]
                assert_backends_agree(inputs, out, args, targets=("cpu",), rtol=rtol, atol=atol)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.special
import sympy

import symnet as sn
from symnet import expr as T
from symnet.testing import symbolic_like

FLOATS = ("float32", "float64")
INTS = ("int32", "int64")
NUMERIC = FLOATS + INTS
ALL = NUMERIC + ("bool",)


# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """One input of a case: where its values lie and its dtype.

    ``dtype=None`` means the dtype under test; a fixed dtype (indices, conditions, a mixed
    operand) does not vary. Domains:

    - ``real``: floats in (-3, 3), ints in [-5, 5]
    - ``positive``: floats in (0.5, 3), ints in [1, 5] (log, sqrt, bases of pow)
    - ``negative``: floats in (-3, -0.5), ints in [-5, -1]
    - ``nonzero``: |v| in (0.3, 3), ints ±[1, 5] (divisors; also keeps relu/abs off their kink)
    - ``unit``: floats in (0.05, 0.95) (probabilities)
    - ``gt_minus_one``: floats in (-0.9, 3), ints in [0, 5] (log1p)
    - ``exponent``: floats in (-2, 2), ints in [0, 3]
    - ``ties``: a few values only, so comparisons see equal pairs
    - ``wide``: floats in (-100, 100): overflow tests of the stable ops
    - ``index``: ints in [0, high); ``signed_index``: ints in [-high, high)
    - ``bool``: random booleans
    """

    domain: str = "real"
    dtype: str | None = None
    high: int = 0


def sample(arg: Arg, shape: tuple, dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Values for ``arg`` (C-contiguous) of ``shape`` and ``dtype``."""
    dtype = arg.dtype or dtype
    domain = arg.domain
    if domain == "index":
        return rng.integers(0, arg.high, shape).astype(dtype)
    if domain == "signed_index":
        return rng.integers(-arg.high, arg.high, shape).astype(dtype)
    if dtype == "bool":
        if domain not in ("real", "ties", "bool", "nonzero"):
            raise ValueError(f"domain {domain!r} has no bool values")
        return rng.random(shape) < 0.5
    if dtype.startswith("int"):
        low, high = {
            "real": (-5, 6),
            "ties": (-2, 3),
            "positive": (1, 6),
            "negative": (-5, 0),
            "gt_minus_one": (0, 6),
            "exponent": (0, 4),
            "nonzero": (1, 6),
            "bool": (0, 2),
        }[domain]
        values = rng.integers(low, high, shape)
        if domain == "nonzero":
            values *= rng.choice([-1, 1], shape)
        return values.astype(dtype)
    match domain:
        case "real":
            values = rng.uniform(-3, 3, shape)
        case "positive":
            values = rng.uniform(0.5, 3, shape)
        case "negative":
            values = rng.uniform(-3, -0.5, shape)
        case "nonzero":
            values = rng.uniform(0.3, 3, shape) * rng.choice([-1.0, 1.0], shape)
        case "unit":
            values = rng.uniform(0.05, 0.95, shape)
        case "gt_minus_one":
            values = rng.uniform(-0.9, 3, shape)
        case "exponent":
            values = rng.uniform(-2, 2, shape)
        case "ties":
            values = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], shape)
        case "wide":
            values = rng.uniform(-100, 100, shape)
        case "bool":
            values = (rng.random(shape) < 0.5).astype(float)
        case _:
            raise ValueError(f"unknown domain {domain!r}")
    return np.asarray(values, dtype=dtype)


# Memory layouts an input may arrive in; each holds the same values.
LAYOUTS = ("C", "F", "strided", "permuted")


def relayout(a: np.ndarray, layout: str) -> np.ndarray:
    """``a``'s values in another memory layout: Fortran order, a negative-stride view of a
    larger buffer, or a view with permuted strides."""
    if a.ndim == 0:
        return a
    match layout:
        case "C":
            return np.ascontiguousarray(a)
        case "F":
            return np.asfortranarray(a)
        case "strided":
            buffer = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
            view = buffer[(slice(None, None, -2),) * a.ndim]
            view[...] = a
            return view
        case "permuted":
            order = tuple(range(1, a.ndim)) + (0,)
            moved = np.ascontiguousarray(np.transpose(a, order))
            return np.transpose(moved, np.argsort(order))
    raise ValueError(f"unknown layout {layout!r}")


# -- the case record --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpCase:
    """One op in one calling form.

    ``build`` takes one symbolic variable per ``args`` entry and returns an expression;
    ``reference`` takes the same arrays and returns what NumPy computes. ``shapes`` lists
    input-shape tuples for the evaluate tests (sizes 0 and 1, broadcasting);
    ``grad_shapes`` small ones (≤ 12 elements an input) for the gradient tests.
    ``tol`` scales the dtype's tolerance; ``second_order`` adds a grad-of-grad check.
    """

    name: str
    build: Callable
    reference: Callable
    args: tuple
    shapes: tuple
    dtypes: tuple = FLOATS
    grad: bool = True
    grad_shapes: tuple = ()
    tol: float = 1.0
    grad_tol: float = 1.0
    second_order: bool = False
    marks: tuple = field(default=())

    @property
    def arity(self) -> int:
        return len(self.args)

    def __post_init__(self):
        for shapes in self.shapes + self.grad_shapes:
            if len(shapes) != self.arity:
                raise ValueError(f"{self.name}: {shapes} has not {self.arity} shapes")
        for shapes in self.grad_shapes:
            if any(int(np.prod(s)) > 12 for s in shapes):
                raise ValueError(f"{self.name}: gradient shapes {shapes} are too large")


def make_inputs(case: OpCase, dtype: str, shapes: tuple, rng: np.random.Generator) -> list:
    return [sample(arg, shape, dtype, rng) for arg, shape in zip(case.args, shapes)]


def instances(case: OpCase, dtype: str, seed: int = 0):
    """``(shapes, arrays)`` for each evaluate shape set of ``case`` in ``dtype``."""
    rng = np.random.default_rng(seed)
    for shapes in case.shapes:
        yield shapes, make_inputs(case, dtype, shapes, rng)


def symbolic_inputs(arrays: list, static: bool = False) -> list:
    """Inputs typed like ``arrays``: size-1 axes broadcastable, other sizes unknown; with
    ``static`` every size is known (exercises the build-time shape rules)."""
    if static:
        return [sn.tensor(f"in{i}", a.dtype.name, shape=a.shape) for i, a in enumerate(arrays)]
    return [symbolic_like(a, f"in{i}") for i, a in enumerate(arrays)]


def reference(case: OpCase, arrays: list) -> np.ndarray:
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(case.reference(*arrays))


TOLERANCE = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}


def tolerance(case: OpCase, out_dtype: str) -> tuple:
    """(rtol, atol) for comparing an output of ``out_dtype``; integers and bools are exact."""
    rtol, atol = TOLERANCE.get(out_dtype, (0.0, 0.0))
    return rtol * case.tol, atol * case.tol


# -- shape sets -----------------------------------------------------------------------------

UNARY = (((),), ((0,),), ((1,),), ((5,),), ((3, 4),), ((2, 0, 3),), ((1, 3, 1),), ((2, 3, 4),))
UNARY_GRAD = (((),), ((3, 4),))
BINARY = (
    ((), ()),
    ((0,), (0,)),
    ((1,), (1,)),
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (1, 3, 1)),
    ((0, 3), (1, 3)),
    ((3, 4), ()),
    ((), (2, 3)),
)
BINARY_GRAD = (((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((2, 3), ()), ((1, 3), (2, 1)))
TERNARY = (
    ((), (), ()),
    ((3, 4), (3, 4), (3, 4)),
    ((3, 1), (1, 4), ()),
    ((0, 4), (1, 4), (4,)),
    ((2, 3, 4), (3, 1), (4,)),
)
TERNARY_GRAD = (((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()))


def _grad_shapes(shapes, default_shapes, default_grad):
    """The gradient shape sets: the default's for the default shapes, else those of
    ``shapes`` that are small and not empty."""
    if shapes is default_shapes:
        return default_grad
    return tuple(s for s in shapes if all(0 < int(np.prod(one)) <= 12 for one in s))


def unary(name, build, ref, domain="real", dtypes=NUMERIC, shapes=UNARY, grad_shapes=None, **kw):
    grad_shapes = _grad_shapes(shapes, UNARY, UNARY_GRAD) if grad_shapes is None else grad_shapes
    return OpCase(name, build, ref, (Arg(domain),), shapes, dtypes, grad_shapes=grad_shapes, **kw)


def binary(name, build, ref, domains=("real", "real"), dtypes=NUMERIC, shapes=BINARY, grad_shapes=None, **kw):
    args = tuple(d if isinstance(d, Arg) else Arg(d) for d in domains)
    grad_shapes = _grad_shapes(shapes, BINARY, BINARY_GRAD) if grad_shapes is None else grad_shapes
    return OpCase(name, build, ref, args, shapes, dtypes, grad_shapes=grad_shapes, **kw)


def ternary(name, build, ref, args, dtypes=NUMERIC, shapes=TERNARY, grad_shapes=None, **kw):
    grad_shapes = _grad_shapes(shapes, TERNARY, TERNARY_GRAD) if grad_shapes is None else grad_shapes
    return OpCase(name, build, ref, tuple(args), shapes, dtypes, grad_shapes=grad_shapes, **kw)


# -- elementwise ------------------------------------------------------------------------------


def _gelu(x):
    return x / 2 * (1 + scipy.special.erf(x / np.sqrt(2)))


def _elu(alpha):
    return lambda x: np.where(x > 0, x, alpha * np.expm1(x))


swish = sn.elementwise(lambda z: z / (1 + sympy.exp(-z)), name="swish")
gauss = sn.elementwise(lambda a, b: a * sympy.exp(-(b**2)), name="gauss")

ELEMENTWISE = [
    # arithmetic
    binary("add", lambda a, b: a + b, np.add, dtypes=ALL),
    binary("sub", lambda a, b: a - b, np.subtract),
    binary("mul", lambda a, b: a * b, np.multiply, dtypes=ALL, second_order=True),
    binary("true_div", lambda a, b: a / b, np.true_divide, ("real", "nonzero"), second_order=True),
    binary("pow", lambda a, b: a**b, np.power, ("positive", "exponent"), second_order=True),
    binary("floor_div", lambda a, b: a // b, np.floor_divide, ("real", "nonzero")),
    binary("mod", lambda a, b: a % b, np.remainder, ("real", "nonzero")),
    unary("mod_scalar", lambda x: x % 1.5, lambda x: np.remainder(x, x.dtype.type(1.5)), dtypes=FLOATS),
    unary("rfloordiv_scalar", lambda x: 7 // x, lambda x: np.floor_divide(x.dtype.type(7), x), "nonzero"),
    unary("floor", sn.floor, np.floor),
    unary("ceil", sn.ceil, np.ceil),
    unary("round", sn.round, np.round),
    unary("round_ties", sn.round, np.round, "ties", dtypes=FLOATS, grad=False),
    unary(
        "round_half_away_from_zero",
        lambda x: sn.round(x, "half_away_from_zero"),
        lambda x: np.where(np.abs(x - np.trunc(x)) >= 0.5, np.trunc(x) + np.sign(x), np.trunc(x)).astype(x.dtype),
        "ties",
        dtypes=FLOATS,
        grad=False,
    ),
    unary("sign", sn.sign, np.sign, "ties", grad=False),
    unary("sign_nonzero", sn.sign, np.sign, "nonzero"),
    unary("neg", lambda x: -x, np.negative),
    unary("abs", lambda x: abs(x), np.abs, "nonzero", dtypes=ALL),
    unary("sn_abs", sn.abs, np.abs, "nonzero"),
    # arithmetic with Python numbers (weak scalars keep the tensor's dtype, as in NumPy 2)
    unary("add_int", lambda x: x + 1, lambda x: x + 1, dtypes=ALL),
    unary("radd_float", lambda x: 2.5 + x, lambda x: 2.5 + x),
    unary("rsub_int", lambda x: 1 - x, lambda x: 1 - x),
    unary("mul_float", lambda x: x * 0.5, lambda x: x * 0.5),
    unary("rdiv_int", lambda x: 1 / x, lambda x: 1 / x, "nonzero"),
    unary("div_float", lambda x: x / 4.0, lambda x: x / 4.0),
    unary("pow_2", lambda x: x**2, lambda x: x**2, second_order=True),
    unary("pow_3", lambda x: x**3, lambda x: x**3, second_order=True),
    unary("pow_0", lambda x: x**0, lambda x: x**0),
    unary("pow_half", lambda x: x**0.5, lambda x: x**0.5, "positive", second_order=True),
    unary("pow_minus_1", lambda x: x**-1, lambda x: x**-1.0, "nonzero", dtypes=FLOATS),
    unary("pow_minus_1_5", lambda x: x**-1.5, lambda x: x**-1.5, "positive", dtypes=FLOATS),
    unary("rpow", lambda x: 2**x, lambda x: 2**x, "exponent", second_order=True),
    unary("rpow_float", lambda x: 1.5**x, lambda x: 1.5**x, "exponent"),
    # mixed dtypes: an integer operand promotes with the float one by NumPy's rules
    binary("add_int32", lambda a, k: a + k, np.add, ("real", Arg("real", "int32"))),
    binary("mul_int64", lambda a, k: a * k, np.multiply, ("real", Arg("real", "int64"))),
    binary("div_by_int", lambda a, k: a / k, np.true_divide, ("real", Arg("nonzero", "int32"))),
    binary("add_bool", lambda a, k: a + k, np.add, ("real", Arg("bool", "bool"))),
    binary("mul_float32", lambda a, b: a * b, np.multiply, ("real", Arg("real", "float32")), dtypes=ALL),
    # comparisons
    binary("lt", lambda a, b: a < b, np.less, ("ties", "ties"), dtypes=ALL, grad=False),
    binary("le", lambda a, b: a <= b, np.less_equal, ("ties", "ties"), dtypes=ALL, grad=False),
    binary("gt", lambda a, b: a > b, np.greater, ("ties", "ties"), dtypes=ALL, grad=False),
    binary("ge", lambda a, b: a >= b, np.greater_equal, ("ties", "ties"), dtypes=ALL, grad=False),
    binary("eq", sn.eq, np.equal, ("ties", "ties"), dtypes=ALL, grad=False),
    binary("neq", sn.neq, np.not_equal, ("ties", "ties"), dtypes=ALL, grad=False),
    unary("lt_float", lambda x: x < 0.5, lambda x: x < 0.5, "ties", grad=False),
    unary("ge_int", lambda x: x >= 0, lambda x: x >= 0, "ties", dtypes=ALL, grad=False),
    unary("eq_int", lambda x: sn.eq(x, 1), lambda x: x == 1, "ties", dtypes=ALL, grad=False),
    # selection
    ternary("where", sn.where, np.where, (Arg("bool", "bool"), Arg(), Arg()), dtypes=ALL),
    ternary("where_int_condition", sn.where, np.where, (Arg("ties", "int64"), Arg(), Arg())),
    binary(
        "where_scalar",
        lambda c, a: sn.where(c, a, 0.0),
        lambda c, a: np.where(c, a, np.zeros((), a.dtype)),
        (Arg("bool", "bool"), "real"),
        dtypes=FLOATS,
    ),
    binary("maximum", sn.maximum, np.maximum, dtypes=ALL),
    binary("minimum", sn.minimum, np.minimum, dtypes=ALL),
    unary(
        "maximum_scalar",
        lambda x: sn.maximum(x, 0.5),
        lambda x: np.maximum(x, x.dtype.type(0.5)),
        dtypes=FLOATS,
    ),
    ternary("clip", sn.clip, np.clip, (Arg("real"), Arg("negative"), Arg("positive"))),
    unary("clip_scalars", lambda x: sn.clip(x, -1, 2), lambda x: np.clip(x, -1, 2)),
    # transcendental (integer inputs give floatX)
    unary("exp", sn.exp, np.exp, second_order=True),
    unary("log", sn.log, np.log, "positive", second_order=True),
    unary("log1p", sn.log1p, np.log1p, "gt_minus_one"),
    unary("expm1", sn.expm1, np.expm1),
    unary("sqrt", sn.sqrt, np.sqrt, "positive", second_order=True),
    unary("square", sn.square, np.square, second_order=True),
    unary("sin", sn.sin, np.sin, second_order=True),
    unary("cos", sn.cos, np.cos),
    unary("tanh", sn.tanh, np.tanh, second_order=True),
    unary("erf", sn.erf, scipy.special.erf, second_order=True),
    unary("sigmoid", sn.sigmoid, scipy.special.expit, second_order=True),
    unary("sigmoid_wide", sn.sigmoid, scipy.special.expit, "wide", dtypes=FLOATS, grad=False),
    unary("softplus", sn.softplus, lambda x: np.logaddexp(0, x), second_order=True),
    unary("softplus_wide", sn.softplus, lambda x: np.logaddexp(0, x), "wide", dtypes=FLOATS, grad=False),
    unary("relu", sn.relu, lambda x: np.maximum(x, 0), "nonzero"),
    unary("leaky_relu", sn.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), "nonzero"),
    unary(
        "leaky_relu_0_2", lambda x: sn.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), "nonzero"
    ),
    unary("elu", sn.elu, _elu(1.0), "nonzero", second_order=True),
    unary("elu_0_5", lambda x: sn.elu(x, 0.5), _elu(0.5), "nonzero"),
    unary("gelu", sn.gelu, _gelu, second_order=True),
    unary("swish", swish, lambda x: x * scipy.special.expit(x), second_order=True),
    binary("gauss", gauss, lambda a, b: a * np.exp(-(b**2)), dtypes=FLOATS, second_order=True),
    # casts and constants-like
    *[
        unary(
            f"cast_{to}",
            lambda x, to=to: sn.cast(x, to),
            lambda x, to=to: x.astype(to),
            dtypes=ALL,
            grad=to == "float64",
        )
        for to in ALL
    ],
    unary("astype_float64", lambda x: x.astype("float64"), lambda x: x.astype("float64"), dtypes=ALL),
    unary("zeros_like", sn.zeros_like, np.zeros_like, dtypes=ALL),
    unary("ones_like", sn.ones_like, np.ones_like, dtypes=ALL),
]


# -- reductions -------------------------------------------------------------------------------


def _logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) with the max shifted out (scipy's rejects tuple axes)."""
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    shift = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCERS = {
    "sum": (sn.sum, np.sum, ALL),
    "mean": (sn.mean, np.mean, ALL),
    "max": (sn.max, np.max, ALL),
    "min": (sn.min, np.min, ALL),
    "prod": (sn.prod, np.prod, ALL),
    "logsumexp": (sn.logsumexp, _logsumexp, NUMERIC),
}
AXES = (None, 0, -1, (0, 2), (-1, 0))
IDENTITY = {"sum": True, "mean": True, "prod": True}  # reductions defined on empty axes


def _reduced_axes(axis, ndim):
    if axis is None:
        return set(range(ndim))
    return {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}


def _reduction_cases():
    cases = []
    for kind, (fn, ref, dtypes) in REDUCERS.items():
        for axis in AXES:
            for keepdims in (False, True):
                shapes = [(2, 3, 4), (1, 3, 1), (2, 0, 4), (0, 3, 0)]
                shapes = [
                    s for s in shapes if IDENTITY.get(kind) or all(s[a] for a in _reduced_axes(axis, 3))
                ]
                if axis is None:
                    shapes.append(())
                cases.append(
                    unary(
                        f"{kind}_axis{axis}_keep{int(keepdims)}".replace(" ", ""),
                        lambda x, fn=fn, axis=axis, keepdims=keepdims: fn(x, axis, keepdims),
                        lambda x, ref=ref, axis=axis, keepdims=keepdims: ref(x, axis=axis, keepdims=keepdims),
                        dtypes=dtypes,
                        shapes=tuple((s,) for s in shapes),
                        grad_shapes=(((2, 3, 2),), ((1, 3, 1),)),
                        second_order=kind in ("logsumexp", "mean") and axis == -1,
                    )
                )
    return cases


REDUCTIONS = _reduction_cases() + [
    unary(
        "sum_vector", lambda x: x.sum(0), lambda x: x.sum(0), dtypes=ALL, shapes=(((0,),), ((1,),), ((7,),))
    ),
    unary(
        "mean_method",
        lambda x: x.mean(axis=1, keepdims=True),
        lambda x: x.mean(axis=1, keepdims=True),
        shapes=(((3, 4),), ((1, 4),), ((3, 1),)),
    ),
    unary("max_method", lambda x: x.max(0), lambda x: x.max(0), shapes=(((3, 4),), ((1, 4),))),
    unary("min_method", lambda x: x.min(), lambda x: x.min(), shapes=(((3, 4),), ((1, 1),))),
    unary(
        "logsumexp_wide",
        lambda x: sn.logsumexp(x, -1),
        lambda x: _logsumexp(x, -1),
        "wide",
        dtypes=FLOATS,
        shapes=(((3, 4),),),
        grad=False,
    ),
    *[
        unary(
            f"argmax_axis{axis}_keep{int(keepdims)}",
            lambda x, axis=axis, keepdims=keepdims: sn.argmax(x, axis, keepdims),
            lambda x, axis=axis, keepdims=keepdims: np.argmax(x, axis=axis, keepdims=keepdims),
            "ties",
            dtypes=ALL,
            shapes=(((2, 3, 4),), ((1, 3, 1),), ((2, 3, 0),))
            if axis in (0, 1)
            else (((2, 3, 4),), ((1, 3, 1),)),
            grad=False,
        )
        for axis in (None, 0, 1, -1)
        for keepdims in (False, True)
    ],
    unary(
        "argmax_method",
        lambda x: x.argmax(1),
        lambda x: x.argmax(1),
        dtypes=ALL,
        shapes=(((3, 4),),),
        grad=False,
    ),
]


# -- matrix products --------------------------------------------------------------------------


def _matmul(a, b):
    if a.dtype == bool and b.dtype == bool:  # symnet counts: bool @ bool is int64 (NumPy: logical)
        return np.matmul(a.astype(np.int64), b.astype(np.int64))
    return np.matmul(a, b)


MATMUL_SHAPES = {
    "vec_vec": [((3,), (3,)), ((0,), (0,)), ((1,), (1,))],
    "mat_vec": [((2, 3), (3,)), ((0, 3), (3,)), ((2, 0), (0,))],
    "vec_mat": [((3,), (3, 4)), ((3,), (3, 0)), ((1,), (1, 4))],
    "mat_mat": [((2, 3), (3, 4)), ((2, 0), (0, 4)), ((0, 3), (3, 4)), ((1, 3), (3, 1)), ((1, 1), (1, 1))],
    "batch_mat": [((2, 2, 3), (3, 4)), ((0, 2, 3), (3, 4))],
    "mat_batch": [((2, 3), (2, 3, 2))],
    "batch_batch": [((2, 2, 3), (2, 3, 2))],
    "batch_broadcast": [((2, 1, 2, 3), (2, 3, 1)), ((1, 2, 3), (2, 3, 2))],
    "vec_batch": [((3,), (2, 3, 2))],
    "batch_vec": [((2, 2, 3), (3,))],
}

MATMUL = [
    binary(
        f"matmul_{kind}",
        lambda a, b: a @ b,
        _matmul,
        dtypes=ALL,
        shapes=tuple(shapes),
        grad_shapes=(shapes[0],),
        second_order=kind == "mat_mat",
    )
    for kind, shapes in MATMUL_SHAPES.items()
] + [
    binary("sn_matmul", sn.matmul, np.matmul, shapes=(((2, 3), (3, 4)),), grad_shapes=(((2, 3), (3, 4)),)),
    binary("dot_vec_vec", sn.dot, np.dot, shapes=(((3,), (3,)), ((0,), (0,))), grad_shapes=(((3,), (3,)),)),
    binary("dot_mat_vec", sn.dot, np.dot, shapes=(((2, 3), (3,)),), grad_shapes=(((2, 3), (3,)),)),
    binary("dot_vec_mat", sn.dot, np.dot, shapes=(((3,), (3, 2)),), grad_shapes=(((3,), (3, 2)),)),
    binary(
        "dot_mat_mat",
        sn.dot,
        np.dot,
        shapes=(((2, 3), (3, 2)), ((1, 3), (3, 1))),
        grad_shapes=(((2, 3), (3, 2)),),
    ),
    binary("dot_scalar_mat", sn.dot, np.dot, shapes=(((), (2, 3)),), grad_shapes=(((), (2, 3)),)),
    binary("dot_3d_mat", sn.dot, np.dot, shapes=(((2, 3, 2), (2, 3)), ((0, 1, 2), (2, 2))), grad_shapes=(((2, 1, 2), (2, 3)),)),
    binary("dot_mat_3d", sn.dot, np.dot, shapes=(((2, 3), (2, 3, 2)), ((1, 2), (1, 2, 0))), grad_shapes=(((2, 2), (1, 2, 3)),)),
    binary(
        "matmul_int32_float",
        lambda a, b: a @ b,
        np.matmul,
        (Arg("real", "int32"), "real"),
        shapes=(((2, 3), (3, 4)),),
        grad_shapes=(((2, 3), (3, 4)),),
    ),
]


# -- shapes, indexing, joining ----------------------------------------------------------------


def _single(shapes):
    return tuple((s,) for s in shapes)


TRANSPOSE = [
    unary(
        "T",
        lambda x: x.T,
        lambda x: x.T,
        dtypes=ALL,
        shapes=_single([(), (5,), (3, 4), (0, 3), (1, 4), (2, 3, 4)]),
    ),
    unary("sn_transpose", sn.transpose, np.transpose, dtypes=ALL, shapes=_single([(3, 4), (2, 1, 3)])),
    unary(
        "transpose_102",
        lambda x: x.transpose(1, 0, 2),
        lambda x: x.transpose(1, 0, 2),
        dtypes=ALL,
        shapes=_single([(2, 3, 2), (1, 3, 0)]),
        grad_shapes=(((2, 3, 2),),),
    ),
    unary(
        "transpose_tuple",
        lambda x: x.transpose((2, 0, 1)),
        lambda x: x.transpose((2, 0, 1)),
        dtypes=ALL,
        shapes=_single([(2, 3, 2), (2, 1, 3)]),
        grad_shapes=(((2, 3, 2),),),
    ),
    unary(
        "transpose_negative",
        lambda x: x.transpose(-1, 0, 1),
        lambda x: x.transpose(-1, 0, 1),
        shapes=_single([(2, 3, 2)]),
        grad_shapes=(((2, 3, 2),),),
    ),
]

SHAPE_OF = [
    unary(
        "shape_scale",
        lambda x: x * x.shape[-1],
        lambda x: x * x.shape[-1],
        shapes=_single([(3, 4), (0, 3), (2, 1), (5,)]),
    ),
    unary(
        "shape_product",
        lambda x: x.shape[0] * x.shape[1],
        lambda x: np.int64(x.shape[0] * x.shape[1]),
        dtypes=ALL,
        shapes=_single([(3, 4), (0, 3), (1, 1)]),
        grad=False,
    ),
]

RESHAPES = [
    # (name, input shape, target)
    ("flat", (2, 3, 2), (-1,)),
    ("rows", (2, 3, 2), (6, -1)),
    ("middle", (2, 3, 2), (3, -1, 2)),
    ("explicit", (3, 4), (2, 2, 3)),
    ("to_scalar", (1,), ()),
    ("from_scalar", (), (1, 1)),
    ("add_unit_axis", (3, 4), (3, 1, 4)),
    ("empty_flat", (0, 3), (-1,)),
    ("empty_rows", (0, 3), (3, -1)),
    ("transposed_source", (4, 3), (2, 6)),
]
RESHAPE = [
    unary(
        f"reshape_{name}",
        lambda x, target=target: x.reshape(target),
        lambda x, target=target: x.reshape(target),
        dtypes=ALL,
        shapes=((shape,),),
        grad_shapes=((shape,),) if np.prod(shape) else (),
    )
    for name, shape, target in RESHAPES
] + [
    unary(
        "sn_reshape_varargs",
        lambda x: sn.reshape(x, 2, -1),
        lambda x: x.reshape(2, -1),
        shapes=(((4, 3),),),
        grad_shapes=(((4, 3),),),
    ),
    unary(
        "reshape_of_transpose",
        lambda x: x.T.reshape(-1),
        lambda x: x.T.reshape(-1),
        dtypes=ALL,
        shapes=(((3, 4),),),
        grad_shapes=(((3, 4),),),
    ),
]

def _set(x, index, y):
    out = x.copy()
    out[index] = y
    return out


def _inc(x, index, y):
    out = x.copy()
    np.add.at(out, index, y)
    return out


def _set_mean(x, index, y):
    """``x[index] = y`` by integer arrays, an element indexed more than once getting the
    mean of its values (symnet's rule; NumPy leaves it unspecified)."""
    work = np.float64 if x.dtype.kind == "f" else np.int64
    sums, hits = np.zeros(x.shape, work), np.zeros(x.shape, np.int64)
    np.add.at(sums, index, np.broadcast_to(y, x[index].shape))
    np.add.at(hits, index, 1)
    mean = sums / np.maximum(hits, 1) if work is np.float64 else sums // np.maximum(hits, 1)
    return np.where(hits > 0, mean, x).astype(x.dtype)


# functions composed of other ops (symnet/composite.py)
COMPOSITE = [
    unary("argsort_ties", sn.argsort, lambda x: np.argsort(x, kind="stable"), "ties", dtypes=ALL,
          shapes=_single([(3, 5), (2, 0), (1, 1), (6,)]), grad=False),
    unary("argsort_axis0_flat", lambda x: sn.argsort(x, 0) + sn.argsort(x, None).reshape(x.shape) * 0,
          lambda x: np.argsort(x, 0, kind="stable") + np.argsort(x, None, kind="stable").reshape(x.shape) * 0, "ties",
          dtypes=NUMERIC, shapes=_single([(4, 3)]), grad=False),
    unary("sort", lambda x: sn.sort(x, 1), lambda x: np.sort(x, 1), dtypes=ALL, shapes=_single([(3, 4), (0, 2), (1, 1)]),
          grad_shapes=(((3, 4),),)),
    unary("cumsum_axis", lambda x: sn.cumsum(x, 1), lambda x: np.cumsum(x, 1), dtypes=ALL, shapes=_single([(3, 4), (2, 0), (1, 1)]),
          grad_shapes=(((3, 4),),)),
    unary("cumsum_flat", sn.cumsum, np.cumsum, dtypes=ALL, shapes=_single([(2, 3), (0,), ()])),
    unary("cumprod_axis", lambda x: sn.cumprod(x, 0), lambda x: np.cumprod(x, 0), "nonzero", dtypes=ALL,
          shapes=_single([(3, 2), (0, 2), (1, 3)]), grad_shapes=(((3, 2),),)),
    # prod is multilinear: finite differences are exact at its zeros, where the gradient
    # needs the product of the other elements
    unary("prod_with_zeros", lambda x: sn.prod(x, 1), lambda x: np.prod(x, 1), "ties", dtypes=FLOATS, shapes=_single([(3, 4), (2, 1)])),
    unary("var_axis", lambda x: sn.var(x, 0), lambda x: np.var(x, 0), dtypes=FLOATS, shapes=_single([(3, 4), (1, 2)])),
    unary("std_ddof", lambda x: sn.std(x, ddof=1), lambda x: np.std(x, ddof=1), "nonzero", dtypes=FLOATS, shapes=_single([(3, 4)])),
    unary("var_ints", lambda x: sn.var(x, 1, keepdims=True), lambda x: np.var(x, 1, keepdims=True).astype(sn.config.floatX),
          dtypes=INTS, shapes=_single([(3, 4)]), grad=False),
    binary("outer", sn.outer, np.outer, dtypes=NUMERIC, shapes=(((3,), (4,)), ((2, 2), (0,)), ((1,), (1,)))),
    binary("tensordot_axes", lambda a, b: sn.tensordot(a, b, axes=([2], [1])), lambda a, b: np.tensordot(a, b, axes=([2], [1])),
           dtypes=FLOATS, shapes=(((2, 3, 2), (3, 2)), ((1, 2, 3), (2, 3))), grad_shapes=(((2, 2, 2), (3, 2)),)),
    binary("tensordot_2", lambda a, b: sn.tensordot(a, b), np.tensordot, dtypes=FLOATS, shapes=(((3, 2), (3, 2)), ((2, 2, 2), (2, 2, 1)))),
    binary("batched_dot", sn.batched_dot, lambda a, b: np.einsum("bij,bjk->bik", a, b), dtypes=FLOATS,
           shapes=(((2, 3, 2), (2, 2, 1)), ((0, 2, 2), (0, 2, 3)))),
    binary("batched_dot_vectors", sn.batched_dot, lambda a, b: np.einsum("bi,bi->b", a, b), dtypes=FLOATS,
           shapes=(((3, 2), (3, 2)), ((1, 4), (1, 4)))),
    unary("tril", sn.tril, np.tril, dtypes=ALL, shapes=_single([(3, 4), (2, 2, 3), (0, 2)]), grad_shapes=(((3, 4),),)),
    unary("triu_k", lambda x: sn.triu(x, 1), lambda x: np.triu(x, 1), dtypes=ALL, shapes=_single([(3, 4), (1, 1)]), grad_shapes=(((3, 4),),)),
    unary("diag_of_vector", lambda x: sn.diag(x, -1), lambda x: np.diag(x, -1), dtypes=NUMERIC, shapes=_single([(3,), (0,), (1,)])),
    unary("diag_of_matrix", lambda x: sn.diag(x, 1), lambda x: np.diag(x, 1), dtypes=NUMERIC, shapes=_single([(3, 4), (1, 1), (0, 2)]),
          grad_shapes=(((3, 4),),)),
    unary("eye_like", lambda x: x * sn.eye(x.shape[0], x.shape[1], 1, dtype=x.dtype), lambda x: x * np.eye(*x.shape, 1, dtype=x.dtype),
          dtypes=NUMERIC, shapes=_single([(3, 4), (0, 2), (1, 1)]), grad_shapes=(((3, 4),),)),
    unary("tile", lambda x: sn.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), dtypes=ALL, shapes=_single([(2, 3), (0, 1)]),
          grad_shapes=(((2, 3),),)),
    unary("repeat_axis", lambda x: sn.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1), dtypes=ALL,
          shapes=_single([(2, 3), (0, 2), (1, 1)]), grad_shapes=(((2, 3),),)),
    unary("repeat_flat", lambda x: sn.repeat(x, 3), lambda x: np.repeat(x, 3), dtypes=NUMERIC, shapes=_single([(2, 2), (1,)]),
          grad_shapes=(((2, 2),),)),
]

# sizes and bounds the graph computes from shapes (values read by the driver)
SYMBOLIC_SIZES = [
    unary(
        f"{name}",
        build,
        ref,
        dtypes=ALL,
        shapes=_single(shapes),
        grad_shapes=tuple((s,) for s in shapes if 0 < np.prod(s) <= 12),
    )
    for name, build, ref, shapes in [
        ("reshape_rows_of_shape", lambda x: x.reshape(x.shape[0], -1), lambda x: x.reshape(x.shape[0], -1), [(2, 3, 2), (1, 4, 1)]),
        ("reshape_columns_of_shape", lambda x: x.reshape(-1, x.shape[1]), lambda x: x.reshape(-1, x.shape[1]), [(0, 3, 1), (2, 1, 2)]),
        ("reshape_sizes_of_shape", lambda x: x.reshape(x.shape[1] * x.shape[0], x.shape[2]), lambda x: x.reshape(-1, x.shape[2]), [(2, 3, 2), (0, 3, 1)]),
        ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), [(2, 3, 2), (0, 3, 1), (1, 1, 1)]),
        ("flatten_2", lambda x: x.flatten(2), lambda x: x.reshape(x.shape[0], -1), [(2, 3, 2), (1, 4, 1)]),
        ("slice_to_half", lambda x: x[: x.shape[0] // 2], lambda x: x[: x.shape[0] // 2], [(5, 2), (1, 2), (0, 2)]),
        ("slice_last_rows", lambda x: x[x.shape[0] - 2 :, 1:], lambda x: x[x.shape[0] - 2 :, 1:], [(4, 3), (1, 2)]),
        ("index_last_row_col", lambda x: x[0, x.shape[1] - 1], lambda x: x[0, x.shape[1] - 1], [(4, 3), (1, 1)]),
    ]
] + [
    unary("dimshuffle_theano", lambda x: x.dimshuffle(1, "x", 0), lambda x: x.T[:, None], dtypes=ALL, shapes=_single([(3, 4), (0, 2)]), grad_shapes=(((3, 4),),)),
    unary("dimshuffle_drop", lambda x: x.dimshuffle(0), lambda x: x[:, 0], dtypes=ALL, shapes=_single([(3, 1)]), grad_shapes=(((3, 1),),)),
    unary("norm_2", lambda x: x.norm(2), lambda x: np.sqrt(np.sum(np.square(x))), dtypes=FLOATS, shapes=_single([(3, 4), (0, 2)]), grad_shapes=(((3, 4),),)),
    unary("norm_1_axis", lambda x: x.norm(1, axis=0), lambda x: np.sum(np.abs(x), axis=0), "nonzero", dtypes=FLOATS, shapes=_single([(3, 4), (1, 2)])),
    unary("norm_3_keepdims", lambda x: x.norm(3, axis=1, keepdims=True), lambda x: np.sum(np.abs(x) ** 3, axis=1, keepdims=True) ** (1 / 3), "nonzero", dtypes=FLOATS, shapes=_single([(3, 4)])),
    unary("norm_inf", lambda x: x.norm(np.inf), lambda x: np.max(np.abs(x)), "nonzero", dtypes=FLOATS, shapes=_single([(3, 4)])),
]

# (name, input shape, index) — basic indexing; every index fits its shape.
INDEXES = [
    ("int", (3, 4), 0),
    ("int_negative", (3, 4), -1),
    ("int_pair", (3, 4), (1, -2)),
    ("vector_int", (5,), 2),
    ("slice", (3, 4), slice(1, 3)),
    ("slice_cols", (3, 4), (slice(None), slice(1, 3))),
    ("negative_step", (3, 4), slice(None, None, -1)),
    ("negative_step_2", (3, 4), (slice(None, None, -2), slice(1, None, 2))),
    ("negative_bounds", (3, 4), slice(-1, 0, -1)),
    ("tail", (3, 4), slice(-2, None)),
    ("overshoot", (3, 4), slice(1, 100)),
    ("empty_slice", (3, 4), slice(2, 1)),
    ("new_axis", (3, 4), None),
    ("new_axis_middle", (3, 4), (slice(None), None)),
    ("ellipsis_new_axis", (3, 4), (Ellipsis, None)),
    ("ellipsis_only", (3, 4), Ellipsis),
    ("ellipsis_int", (2, 3, 2), (Ellipsis, 0)),
    ("none_ellipsis_int", (2, 3, 2), (None, Ellipsis, 1)),
    ("int_ellipsis_slice", (2, 3, 2), (1, Ellipsis, slice(None, None, -1))),
    ("mixed", (2, 3, 2), (slice(1, None), slice(None, None, -1), None)),
    ("all_ints", (2, 3, 2), (1, 2, 0)),
    ("unit_axis", (1, 4), (0, slice(1, 3))),
]
INDEXING = [
    unary(
        f"index_{name}",
        lambda x, index=index: x[index],
        lambda x, index=index: x[index],
        dtypes=ALL,
        shapes=((shape,),),
        grad_shapes=((shape,),),
    )
    for name, shape, index in INDEXES
]

TAKE = [
    binary(
        "set_subtensor_rows",
        lambda x, y: sn.set_subtensor(x[1 : x.shape[0] - 1], y),
        lambda x, y: _set(x, slice(1, len(x) - 1), y),
        dtypes=NUMERIC,
        shapes=(((4, 3), (2, 3)), ((4, 3), (3,)), ((2, 1), (1,))),
        grad_shapes=(((4, 3), (2, 3)), ((4, 2), (1, 2))),
    ),
    binary(
        "inc_subtensor_column",
        lambda x, y: sn.inc_subtensor(x[:, -1], y),
        lambda x, y: _inc(x, (slice(None), -1), y),
        dtypes=NUMERIC,
        shapes=(((4, 3), (4,)), ((0, 2), (0,)), ((3, 1), ())),
        grad_shapes=(((4, 3), (4,)),),
    ),
    binary(
        "set_subtensor_array_rows",
        lambda x, y: sn.set_subtensor(x[[2, 0]], y),
        lambda x, y: _set(x, [2, 0], y),
        dtypes=ALL,
        shapes=(((3, 2), (2, 2)), ((4,), (2,)), ((3, 2), (2,)), ((3, 0), (2, 0))),
        grad_shapes=(((3, 2), (2, 2)),),
    ),
    binary(
        "set_subtensor_repeated_columns",
        lambda x, y: sn.set_subtensor(x[:, [1, 0, 1]], y),
        lambda x, y: _set_mean(x, (slice(None), [1, 0, 1]), y),
        dtypes=NUMERIC,
        shapes=(((2, 3), (2, 3)), ((1, 2), (3,)), ((0, 2), (0, 3))),
        grad_shapes=(((2, 3), (2, 3)),),
    ),
    binary(
        "set_subtensor_repeated_pairs",
        lambda x, y: sn.set_subtensor(x[[1, 1, 0], [0, 0, 2]], y),
        lambda x, y: _set_mean(x, ([1, 1, 0], [0, 0, 2]), y),
        dtypes=NUMERIC,
        shapes=(((2, 3), (3,)), ((2, 3, 2), (3, 2)), ((2, 3), ())),
        grad_shapes=(((2, 3), (3,)),),
    ),
    binary(
        "inc_subtensor_repeated_rows",
        lambda x, y: sn.inc_subtensor(x[[0, 2, 0]], y),
        lambda x, y: _inc(x, [0, 2, 0], y),
        dtypes=NUMERIC,
        shapes=(((3, 2), (3, 2)), ((4,), (3,))),
        grad_shapes=(((3, 2), (3, 2)),),
    ),
    binary(
        "inc_subtensor_pairs",
        lambda x, y: sn.inc_subtensor(x[[1, 1, 0], [0, 0, 2]], y),
        lambda x, y: _inc(x, ([1, 1, 0], [0, 0, 2]), y),
        dtypes=FLOATS,
        shapes=(((2, 3), (3,)), ((2, 3, 2), (3, 2))),
        grad_shapes=(((2, 3), (3,)),),
    ),
    binary(
        "index_row_per_label",
        lambda x, i: x[sn.arange(x.shape[0]), i],
        lambda x, i: x[np.arange(len(x)), i],
        ("real", Arg("signed_index", "int64", 3)),
        dtypes=ALL,
        shapes=(((4, 3), (4,)), ((1, 3), (1,)), ((0, 3), (0,))),
        grad_shapes=(((4, 3), (4,)),),
    ),
    binary(
        "index_two_arrays_broadcast",
        lambda x, i: x[:, i, i[:1].T],
        lambda x, i: x[:, i, i[:1].T],
        ("real", Arg("index", "int32", 2)),
        dtypes=ALL,
        shapes=(((2, 3, 2), (1, 4)), ((1, 2, 2, 2), (1, 1))),
        grad_shapes=(((2, 2, 2), (1, 3)),),
    ),
    binary(
        "index_array_and_int",
        lambda x, i: x[1:, i, -1],
        lambda x, i: x[1:, i, -1],
        ("real", Arg("signed_index", "int64", 2)),
        dtypes=ALL,
        shapes=(((3, 2, 2), (5,)), ((3, 2, 1), (0,))),
        grad_shapes=(((3, 2, 2), (3,)),),
    ),
    unary("arange_of_shape", lambda x: x[:, 0] * sn.arange(x.shape[0]), lambda x: x[:, 0] * np.arange(len(x)),
          shapes=_single([(4, 2), (0, 1), (1, 3)])),
    unary("arange_backwards", lambda x: x * sn.arange(x.shape[0] + 1, 1, -1), lambda x: x * np.arange(len(x) + 1, 1, -1),
          shapes=_single([(4,), (0,), (1,)])),
    binary(
        "take",
        lambda x, i: x[i],
        lambda x, i: x[i],
        ("real", Arg("signed_index", "int64", 5)),
        dtypes=ALL,
        shapes=(((5, 3), (4,)), ((5, 3), (0,)), ((5, 3), (1,)), ((5,), (2, 3))),
        grad_shapes=(((5, 2), (6,)), ((5,), (2, 3))),
    ),
    binary(
        "take_scalar_index",
        lambda x, i: x[i],
        lambda x, i: x[i],
        ("real", Arg("signed_index", "int64", 4)),
        dtypes=ALL,
        shapes=(((4, 3), ()), ((4,), ())),
        grad_shapes=(((4, 3), ()),),
    ),
    binary(
        "take_int32",
        lambda x, i: x[i],
        lambda x, i: x[i],
        ("real", Arg("index", "int32", 4)),
        shapes=(((4, 2, 2), (3,)),),
        grad_shapes=(((4, 2), (5,)),),
    ),
    unary(
        "take_list",
        lambda x: x[[0, 2, 2, -1]],
        lambda x: x[[0, 2, 2, -1]],
        dtypes=ALL,
        shapes=(((4, 3),),),
        grad_shapes=(((4, 3),),),
    ),
    unary(
        "take_array",
        lambda x: x[np.array([1, 1, 0])],
        lambda x: x[np.array([1, 1, 0])],
        shapes=(((2, 3),),),
        grad_shapes=(((2, 3),),),
    ),
    binary(
        "take_along_axis_1",
        lambda x, i: T.take_along_axis(x, i, 1),
        lambda x, i: np.take_along_axis(x, i, 1),
        ("real", Arg("index", "int64", 4)),
        dtypes=ALL,
        shapes=(((3, 4), (3, 2)), ((3, 4), (1, 2)), ((1, 4), (3, 2)), ((3, 4), (3, 0)), ((0, 4), (0, 2))),
        grad_shapes=(((3, 4), (3, 2)), ((3, 4), (1, 5)), ((1, 4), (3, 2))),
    ),
    binary(
        "take_along_axis_0",
        lambda x, i: T.take_along_axis(x, i, 0),
        lambda x, i: np.take_along_axis(x, i, 0),
        ("real", Arg("index", "int32", 3)),
        shapes=(((3, 4), (2, 4)), ((3, 4), (5, 1))),
        grad_shapes=(((3, 4), (2, 4)),),
    ),
    binary(
        "take_along_axis_negative",
        lambda x, i: T.take_along_axis(x, i, -1),
        lambda x, i: np.take_along_axis(x, i, -1),
        ("real", Arg("signed_index", "int64", 2)),
        shapes=(((2, 3, 2), (2, 1, 2)), ((2, 3, 2), (2, 3, 3))),
        grad_shapes=(((2, 3, 2), (1, 3, 3)),),
    ),
]

JOIN = [
    binary(
        "concatenate_0",
        lambda a, b: sn.concatenate([a, b], 0),
        lambda a, b: np.concatenate([a, b], 0),
        dtypes=ALL,
        shapes=(((2, 3), (4, 3)), ((0, 3), (2, 3)), ((1, 3), (1, 3)), ((2,), (3,))),
        grad_shapes=(((2, 3), (1, 3)), ((2,), (3,))),
    ),
    binary(
        "concatenate_negative",
        lambda a, b: sn.concatenate([a, b], -1),
        lambda a, b: np.concatenate([a, b], -1),
        dtypes=ALL,
        shapes=(((2, 3), (2, 2)), ((2, 3), (2, 0)), ((2, 1, 3), (2, 1, 1))),
        grad_shapes=(((2, 3), (2, 2)),),
    ),
    ternary(
        "concatenate_three",
        lambda a, b, c: sn.concatenate([a, b, c], 1),
        lambda a, b, c: np.concatenate([a, b, c], 1),
        (Arg(), Arg(), Arg()),
        dtypes=ALL,
        shapes=(((2, 1, 2), (2, 0, 2), (2, 3, 2)),),
        grad_shapes=(((2, 1, 2), (2, 2, 2), (2, 1, 2)),),
    ),
    binary(
        "concatenate_mixed",
        lambda a, b: sn.concatenate([a, b], 0),
        lambda a, b: np.concatenate([a, b], 0),
        ("real", Arg("real", "int32")),
        shapes=(((2, 3), (1, 3)),),
        grad_shapes=(((2, 3), (1, 3)),),
    ),
    unary(
        "concatenate_one",
        lambda a: sn.concatenate([a], 0),
        lambda a: np.concatenate([a], 0),
        shapes=(((3, 2),),),
    ),
    binary(
        "stack_0",
        lambda a, b: sn.stack([a, b]),
        lambda a, b: np.stack([a, b]),
        dtypes=ALL,
        shapes=(((3,), (3,)), ((0,), (0,)), ((), ())),
        grad_shapes=(((3,), (3,)),),
    ),
    ternary(
        "stack_1",
        lambda a, b, c: sn.stack([a, b, c], 1),
        lambda a, b, c: np.stack([a, b, c], 1),
        (Arg(), Arg(), Arg()),
        dtypes=ALL,
        shapes=(((2, 3), (2, 3), (2, 3)),),
        grad_shapes=(((2, 3), (2, 3), (2, 3)),),
    ),
    binary(
        "stack_negative",
        lambda a, b: sn.stack([a, b], -1),
        lambda a, b: np.stack([a, b], -1),
        shapes=(((2, 3), (2, 3)), ((1, 3), (1, 3))),
        grad_shapes=(((2, 3), (2, 3)),),
    ),
]


# -- neural-net ops and losses ----------------------------------------------------------------


def _softmax(axis):
    return lambda x: scipy.special.softmax(x, axis=axis)


def _log_softmax(axis):
    return lambda x: scipy.special.log_softmax(x, axis=axis)


def _one_hot(n, dtype=None):
    return lambda i: (i[..., None] == np.arange(n)).astype(dtype or sn.config.floatX)


SOFTMAX_SHAPES = _single([(3, 4), (2, 3, 2), (1, 4), (3, 1), (0, 4)])
NNET = [
    unary(
        "softmax",
        sn.softmax,
        _softmax(-1),
        shapes=SOFTMAX_SHAPES,
        grad_shapes=(((3, 4),), ((2, 3, 2),)),
        second_order=True,
    ),
    unary(
        "softmax_axis0",
        lambda x: sn.softmax(x, 0),
        _softmax(0),
        shapes=_single([(3, 4), (1, 4)]),
        grad_shapes=(((3, 4),),),
    ),
    unary(
        "softmax_axis1",
        lambda x: sn.softmax(x, 1),
        _softmax(1),
        shapes=_single([(2, 3, 2)]),
        grad_shapes=(((2, 3, 2),),),
    ),
    unary(
        "softmax_wide", sn.softmax, _softmax(-1), "wide", dtypes=FLOATS, shapes=_single([(3, 4)]), grad=False
    ),
    unary(
        "log_softmax",
        sn.log_softmax,
        _log_softmax(-1),
        shapes=SOFTMAX_SHAPES,
        grad_shapes=(((3, 4),), ((2, 3, 2),)),
        second_order=True,
    ),
    unary(
        "log_softmax_axis0",
        lambda x: sn.log_softmax(x, 0),
        _log_softmax(0),
        shapes=_single([(3, 4), (1, 4)]),
        grad_shapes=(((3, 4),),),
    ),
    unary(
        "log_softmax_wide",
        sn.log_softmax,
        _log_softmax(-1),
        "wide",
        dtypes=FLOATS,
        shapes=_single([(3, 4)]),
        grad=False,
    ),
    OpCase(
        "one_hot",
        lambda i: sn.one_hot(i, 4),
        _one_hot(4),
        (Arg("signed_index", high=5),),
        _single([(5,), (2, 3), (0,), ()]),
        INTS,
        grad=False,
    ),
    OpCase(
        "one_hot_int64",
        lambda i: sn.one_hot(i, 3, "int64"),
        _one_hot(3, "int64"),
        (Arg("index", high=3),),
        _single([(4,)]),
        INTS,
        grad=False,
    ),
]


def _bce(p, t):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _bce_logits(z, t):
    return t * np.logaddexp(0, -z) + (1 - t) * np.logaddexp(0, z)


def _sparse(log_p, i):
    return -np.take_along_axis(log_p, i[..., None], -1)[..., 0]


LOSS_SHAPES = (((3, 4), (3, 4)), ((2, 3, 2), (2, 3, 2)), ((1, 4), (1, 4)), ((0, 4), (0, 4)))
LOSSES = [
    binary(
        "binary_crossentropy",
        sn.nn.binary_crossentropy,
        _bce,
        ("unit", "unit"),
        dtypes=FLOATS,
        shapes=BINARY,
        grad_shapes=BINARY_GRAD,
    ),
    binary(
        "binary_crossentropy_sigmoid",
        lambda z, t: sn.nn.binary_crossentropy(sn.sigmoid(z), t),
        _bce_logits,
        ("real", "unit"),
        dtypes=FLOATS,
        shapes=BINARY,
        second_order=True,
    ),
    binary(
        "binary_crossentropy_sigmoid_wide",
        lambda z, t: sn.nn.binary_crossentropy(sn.sigmoid(z), t),
        _bce_logits,
        ("wide", "unit"),
        dtypes=FLOATS,
        shapes=(((3, 4), (3, 4)),),
        grad=False,
    ),
    binary(
        "categorical_crossentropy",
        sn.nn.categorical_crossentropy,
        lambda p, t: -np.sum(t * np.log(p), -1),
        ("unit", "unit"),
        dtypes=FLOATS,
        shapes=LOSS_SHAPES + (((3, 4), (1, 4)),),
        grad_shapes=(((3, 4), (3, 4)), ((3, 4), (1, 4))),
    ),
    binary(
        "categorical_crossentropy_softmax",
        lambda z, t: sn.nn.categorical_crossentropy(sn.softmax(z), t),
        lambda z, t: -np.sum(t * scipy.special.log_softmax(z, -1), -1),
        ("real", "unit"),
        dtypes=FLOATS,
        shapes=LOSS_SHAPES,
        grad_shapes=(((3, 4), (3, 4)),),
        second_order=True,
    ),
    binary(
        "categorical_crossentropy_softmax_wide",
        lambda z, t: sn.nn.categorical_crossentropy(sn.softmax(z), t),
        lambda z, t: -np.sum(t * scipy.special.log_softmax(z, -1), -1),
        ("wide", "unit"),
        dtypes=FLOATS,
        shapes=(((3, 4), (3, 4)),),
        grad=False,
    ),
    binary(
        "sparse_categorical_crossentropy",
        sn.nn.sparse_categorical_crossentropy,
        lambda p, i: _sparse(np.log(p), i),
        ("unit", Arg("index", "int64", 4)),
        dtypes=FLOATS,
        shapes=(((3, 4), (3,)), ((2, 3, 4), (2, 3)), ((1, 4), (1,)), ((0, 4), (0,))),
        grad_shapes=(((3, 4), (3,)),),
    ),
    binary(
        "sparse_categorical_crossentropy_softmax",
        lambda z, i: sn.nn.sparse_categorical_crossentropy(sn.softmax(z), i),
        lambda z, i: _sparse(scipy.special.log_softmax(z, -1), i),
        ("real", Arg("index", "int32", 4)),
        dtypes=FLOATS,
        shapes=(((3, 4), (3,)), ((1, 4), (1,))),
        grad_shapes=(((3, 4), (3,)),),
    ),
    binary(
        "sparse_categorical_crossentropy_softmax_wide",
        lambda z, i: sn.nn.sparse_categorical_crossentropy(sn.softmax(z), i),
        lambda z, i: _sparse(scipy.special.log_softmax(z, -1), i),
        ("wide", Arg("index", "int64", 4)),
        dtypes=FLOATS,
        shapes=(((3, 4), (3,)),),
        grad=False,
    ),
    binary("mse", sn.nn.mse, lambda y, t: np.square(y - t), dtypes=NUMERIC, second_order=True),
]


# -- convolution and pooling (NCHW) -------------------------------------------------------------


def conv_ref(stride=(1, 1), padding=(0, 0)):
    """Cross-correlation by explicit loops over output positions (no window tricks)."""

    def ref(x, w):
        (sh, sw), (ph, pw) = stride, padding
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        kh, kw = w.shape[2:]
        ho, wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
        out = np.zeros((x.shape[0], w.shape[0], ho, wo), np.result_type(x, w))
        for y in range(ho):
            for z in range(wo):
                patch = xp[:, :, y * sh : y * sh + kh, z * sw : z * sw + kw]
                out[:, :, y, z] = np.einsum("ncij,fcij->nf", patch, w)
        return out

    return ref


def pool_ref(reduce, size, stride=None):
    stride = stride or size

    def ref(x):
        (kh, kw), (sh, sw) = size, stride
        ho, wo = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
        dtype = x.dtype if reduce is np.max or x.dtype.kind == "f" else sn.config.floatX
        out = np.zeros(x.shape[:2] + (ho, wo), dtype)
        for y in range(ho):
            for z in range(wo):
                patch = x[:, :, y * sh : y * sh + kh, z * sw : z * sw + kw].astype(dtype)
                out[:, :, y, z] = reduce(patch, axis=(2, 3)) if patch.size else 0
        return out

    return ref


CONV_SHAPES = (
    ((2, 3, 5, 6), (4, 3, 3, 2)),
    ((0, 2, 4, 4), (3, 2, 3, 3)),
    ((1, 1, 1, 1), (1, 1, 1, 1)),
    ((2, 0, 3, 3), (2, 0, 2, 2)),
    ((2, 2, 4, 4), (0, 2, 3, 3)),
)
POOL_SHAPES = _single([(2, 3, 4, 6), (1, 1, 5, 5), (0, 2, 4, 4), (2, 1, 2, 3), (2, 2, 3, 7)])
def padded_pool_ref(size, stride, pads, mode, partial):
    """NumPy pooling with padding ((top, bottom), (left, right)) and, with ``partial``, the
    windows that reach past the padded edge (symnet's ``pool2d``, Theano's pool_2d)."""
    def pool(x):
        (h, w), out = x.shape[2:], []
        for n, (b, a), k, s in zip((h, w), pads, size, stride):
            e = n + b + a
            out.append(min(-(-e // s), max(0, -(-(e - k) // s)) + 1) if partial else max(0, (e - k) // s + 1))
        res = np.zeros(x.shape[:2] + tuple(out), np.float64 if mode != "max" else x.dtype)
        for i in range(out[0]):
            for j in range(out[1]):
                r0, c0 = i * stride[0] - pads[0][0], j * stride[1] - pads[1][0]
                r1, c1 = r0 + size[0], c0 + size[1]
                window = x[:, :, max(r0, 0) : min(r1, h), max(c0, 0) : min(c1, w)]
                if mode == "max":
                    res[:, :, i, j] = window.max(axis=(2, 3))
                elif mode == "sum":
                    res[:, :, i, j] = window.sum(axis=(2, 3))
                elif mode == "average_exc_pad":
                    res[:, :, i, j] = window.mean(axis=(2, 3))
                else:
                    counted = (min(r1, h + pads[0][1]) - max(r0, -pads[0][0])) * (min(c1, w + pads[1][1]) - max(c0, -pads[1][0]))
                    res[:, :, i, j] = window.sum(axis=(2, 3)) / counted
        return res

    return pool


CONV = [
    binary(
        "conv2d",
        sn.conv2d,
        conv_ref(),
        dtypes=FLOATS,
        shapes=CONV_SHAPES,
        grad_shapes=(((1, 2, 2, 3), (1, 2, 2, 2)), ((2, 1, 3, 2), (2, 1, 2, 2))),
        second_order=True,
    ),
    binary(
        "conv2d_stride_padding",
        lambda x, w: sn.conv2d(x, w, (2, 1), (1, 2)),
        conv_ref((2, 1), (1, 2)),
        dtypes=FLOATS,
        shapes=(((2, 3, 5, 6), (4, 3, 3, 2)), ((1, 1, 2, 2), (2, 1, 3, 3)), ((1, 2, 1, 1), (3, 2, 1, 1))),
        grad_shapes=(((1, 1, 3, 4), (2, 1, 3, 2)),),
        second_order=True,
    ),
    binary(
        "conv2d_float32_float64",
        sn.conv2d,
        conv_ref(),
        (Arg("real", "float32"), Arg("real", "float64")),
        dtypes=("float64",),
        shapes=(((2, 2, 3, 3), (1, 2, 2, 2)),),
        grad_shapes=(((1, 1, 3, 3), (1, 1, 2, 2)),),
    ),
    unary("max_pool2d", lambda x: sn.max_pool2d(x, 2), pool_ref(np.max, (2, 2)), shapes=POOL_SHAPES,
          grad_shapes=(((1, 1, 3, 4),), ((2, 1, 2, 2),))),
    unary("max_pool2d_ties", lambda x: sn.max_pool2d(x, (2, 3), (1, 2)), pool_ref(np.max, (2, 3), (1, 2)), "ties",
          shapes=POOL_SHAPES, grad=False),
    unary("max_pool2d_stride", lambda x: sn.max_pool2d(x, (2, 3), (1, 2)), pool_ref(np.max, (2, 3), (1, 2)),
          dtypes=FLOATS, shapes=POOL_SHAPES, grad_shapes=(((1, 1, 3, 4),),)),
    unary("pool2d_partial_max", lambda x: sn.pool2d(x, 2, partial=True), padded_pool_ref((2, 2), (2, 2), ((0, 0), (0, 0)), "max", True),
          shapes=_single([(1, 2, 5, 5), (2, 1, 3, 4), (1, 1, 1, 1)]), grad_shapes=(((1, 1, 3, 3),),)),
    unary("pool2d_padded_average_exc_pad", lambda x: sn.pool2d(x, 3, (1, 2), 1, "average_exc_pad"),
          padded_pool_ref((3, 3), (1, 2), ((1, 1), (1, 1)), "average_exc_pad", False), dtypes=FLOATS,
          shapes=_single([(1, 2, 4, 5), (1, 1, 1, 2)]), grad_shapes=(((1, 1, 2, 3),),)),
    unary("pool2d_uneven_padding_average_inc_pad_partial", lambda x: sn.pool2d(x, (2, 3), 2, ((1, 0), (0, 2)), "average_inc_pad", True),
          padded_pool_ref((2, 3), (2, 2), ((1, 0), (0, 2)), "average_inc_pad", True), dtypes=FLOATS,
          shapes=_single([(2, 1, 5, 4), (1, 1, 2, 1)]), grad_shapes=(((1, 1, 3, 2),),)),
    unary("pool2d_sum_partial", lambda x: sn.pool2d(x, (3, 2), (2, 3), mode="sum", partial=True),
          padded_pool_ref((3, 2), (2, 3), ((0, 0), (0, 0)), "sum", True), dtypes=FLOATS,
          shapes=_single([(1, 2, 6, 7), (1, 1, 2, 2)]), grad_shapes=(((1, 1, 4, 3),),)),
    unary("avg_pool2d", lambda x: sn.avg_pool2d(x, 2), pool_ref(np.mean, (2, 2)), shapes=POOL_SHAPES,
          grad_shapes=(((1, 2, 2, 3),),), second_order=True),
    unary("avg_pool2d_stride", lambda x: sn.avg_pool2d(x, 3, 1), pool_ref(np.mean, (3, 3), (1, 1)), dtypes=FLOATS,
          shapes=_single([(2, 2, 4, 5), (1, 1, 3, 3)]), grad_shapes=(((1, 1, 3, 4),),)),
]

# condition, then, else: each branch reached (the condition's values include 0 and nonzero)
CONTROL = [
    ternary("ifelse", sn.ifelse, lambda c, a, b: a if c else b, (Arg("ties", "int64"), Arg(), Arg()), dtypes=ALL,
            shapes=(((), (3, 4), (3, 4)), ((), (0, 2), (0, 2)), ((), (1,), (1,)), ((), (), ())),
            grad_shapes=(((), (2, 3), (2, 3)), ((), (), ()))),
    binary("ifelse_guarded_row", lambda n, x: sn.ifelse(n < x.shape[0], sn.exp(x[n]), x.sum(0)),
           lambda n, x: np.exp(x[n]) if n < len(x) else x.sum(0), (Arg("index", "int64", 4), "real"),
           dtypes=FLOATS, shapes=(((), (2, 3)), ((), (5, 1))), grad_shapes=(((), (4, 2)),)),
    binary("ifelse_computed_condition", lambda a, b: sn.ifelse(sn.sum(a) > sn.sum(b), a * 2, b - 1),
           lambda a, b: a * 2 if np.sum(a) > np.sum(b) else b - 1, dtypes=FLOATS + INTS,
           shapes=(((3, 4), (3, 4)), ((2, 1), (2, 1)), ((0,), (0,)), ((5,), (5,)), ((), ())),
           grad_shapes=(((2, 3), (2, 3)), ((3,), (3,)))),
]


CASES = (
    ELEMENTWISE
    + REDUCTIONS
    + MATMUL
    + TRANSPOSE
    + SHAPE_OF
    + RESHAPE
    + SYMBOLIC_SIZES
    + COMPOSITE
    + INDEXING
    + TAKE
    + JOIN
    + NNET
    + CONV
    + LOSSES
    + CONTROL
)

_names = [c.name for c in CASES]
assert len(set(_names)) == len(_names), "case names must be unique"


# -- pytest parameter lists ---------------------------------------------------------------------


def eval_params(cases=CASES) -> list:
    """One ``(case, dtype)`` parameter per dtype the case accepts, named ``op-dtype``."""
    return [pytest.param(c, d, id=f"{c.name}-{d}", marks=c.marks) for c in cases for d in c.dtypes]


def grad_params(cases=CASES) -> list:
    return [pytest.param(c, id=c.name, marks=c.marks) for c in cases if c.grad and c.grad_shapes]


def second_order_params(cases=CASES) -> list:
    return [pytest.param(c, id=c.name, marks=c.marks) for c in cases if c.grad and c.second_order]
