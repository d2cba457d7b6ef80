"""Elementwise ops, each a sympy expression over scalar symbols; gradients come from sympy.diff.

An ``Elemwise`` op is its name, arity, dtype rule and a builder returning the sympy
expression over the symbols ``x0, x1, …``. The NumPy reference evaluates that expression
with ``sympy.lambdify``; the backends print it. Fusing a chain is substitution.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

from symnet import diskcache
from symnet.config import config
from symnet.ops.base import Op
from symnet.tensor_type import TensorType, broadcast_shapes, is_float, upcast

# dtype rules: how the output dtype follows from the input dtypes.
#   "upcast"  NumPy promotion of all inputs
#   "float"   promotion, and floatX if that is not a float (exp of ints)
#   "bool"    comparisons
#   "select"  promotion of all inputs but the first (where)
#   a dtype   cast


def scalar_symbols(n: int) -> list:
    import sympy

    return [sympy.Symbol(f"x{i}", real=True) for i in range(n)]


@dataclass(frozen=True)
class Elemwise(Op):
    name: str
    nin: int
    key: tuple = ()
    dtype_rule: str = "upcast"
    fn: Callable = field(default=None, compare=False, hash=False, repr=False)

    # -- the expression --------------------------------------------------------------
    def expression(self):
        """(symbols, sympy expression); built once per op."""
        cached = _EXPRESSIONS.get(self)
        if cached is None:
            symbols = scalar_symbols(self.nin)
            cached = (symbols, _as_sympy(self.fn(*symbols)))
            _EXPRESSIONS[self] = cached
        return cached

    @classmethod
    def from_expr(cls, name: str, symbols, expr, dtype_rule: str = "upcast") -> Elemwise:
        """An op computing ``expr`` over ``symbols`` (renamed to x0, x1, … for its identity)."""
        import sympy

        canonical = scalar_symbols(len(symbols))
        expr = _as_sympy(expr).xreplace(dict(zip(symbols, canonical)))
        op = cls(name, len(symbols), ("expr", sympy.srepr(expr)), dtype_rule, lambda *s: expr)
        _EXPRESSIONS.setdefault(op, (canonical, expr))
        return op

    # -- Op protocol -------------------------------------------------------------------
    def output_types(self, *types):
        if len(types) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(types)}")
        shape = broadcast_shapes(*(t.shape for t in types))
        return [TensorType(self.out_dtype([t.dtype for t in types]), shape)]

    def out_dtype(self, dtypes) -> str:
        match self.dtype_rule:
            case "upcast":
                return upcast(*dtypes)
            case "float":
                dtype = upcast(*dtypes)
                return dtype if is_float(dtype) else config.floatX
            case "bool":
                return "bool"
            case "select":
                return upcast(*dtypes[1:])
            case dtype:
                return dtype

    def infer_shape(self, node, sizes):
        return [sizes.broadcast(node.inputs, node)]

    def flops(self, node, values) -> int:
        import sympy  # not at import: a recalled program runs without it

        _, expr = self.expression()
        return int(np.size(values[node.outputs[0]])) * max(1, int(sympy.count_ops(expr)))

    def evaluate(self, *arrays):
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        dtype = self.out_dtype([a.dtype.name for a in arrays])
        with np.errstate(all="ignore"):
            # broadcast first: sympy prints And/Or as logical_or.reduce((a, b)), which
            # needs operands of one shape
            result = np.asarray(self.numpy_function()(*np.broadcast_arrays(*arrays)))
        return [np.broadcast_to(result, shape).astype(dtype)]

    def numpy_function(self):
        fn = _NUMPY_FUNCTIONS.get(self)
        if fn is None:
            import sympy

            symbols, expr = self.expression()
            fn = sympy.lambdify(symbols, expr, modules=[_numpy_namespace(), "numpy"])
            _NUMPY_FUNCTIONS[self] = fn
        return fn

    def pullback(self, node, cotangents):
        """d/dx_i: the cotangent times sympy.diff(expr, x_i), summed back to x_i's shape."""
        from symnet import expr as T

        (g,) = cotangents
        out = node.outputs[0]
        if g is None or not is_float(out.dtype):
            return [None] * self.nin
        grads = []
        for i, x in enumerate(node.inputs):
            made = self.derivative(i) if is_float(x.dtype) else None
            if made is None:
                grads.append(None)
                continue
            op, used = made
            gi = op(*[node.inputs[j] for j in used], g)
            grads.append(T.cast(T.sum_to(gi, x.type), x.dtype))
        return grads

    def derivative(self, i: int):
        """(op, used): the op computing cotangent × ∂expr/∂x_i from the inputs ``used`` and
        the cotangent (its last argument); None where the derivative is 0.

        Derived with sympy once, then remembered on disk by this op's identity, so building
        the gradient graph in a later process imports no sympy; there the op derives its
        expression again only if a compile needs it (a graph-keyed cache hit does not)."""
        key = f"{self.name}|{self.nin}|{self.key!r}|{self.dtype_rule}|{i}"
        entry = _DERIVATIVES.get(key)
        if entry is None:
            made = self._derive(i)
            _DERIVATIVES.put(key, [] if made is None else _entry_of(*made))
            return made
        if not entry:
            return None
        text, used = entry
        return Elemwise(f"{self.name}_grad{i}", len(used) + 1, ("expr", text), "upcast", partial(_derived, self, i, entry)), used

    def _derive(self, i: int):
        """(op, used) derived with sympy (``from_expr``: the cotangent is its last symbol),
        or None where the derivative is 0."""
        import sympy

        symbols, expr = self.expression()
        # powsimp: d(a**b)/da is printed as b*a**b/a by sympy, 0/0 at a = 0
        derivative = sympy.powsimp(sympy.diff(expr, symbols[i]))
        if derivative == 0:
            return None
        used = [j for j in range(self.nin) if symbols[j] in derivative.free_symbols]
        g = sympy.Symbol(f"x{self.nin}", real=True)
        return Elemwise.from_expr(f"{self.name}_grad{i}", [symbols[j] for j in used] + [g], g * derivative), used

    def __reduce__(self):
        """Pickled with its sympy expression (sympy pickles its own objects; the builder
        ``fn`` is a lambda, which cannot be pickled)."""
        return _rebuilt, (self.name, self.nin, self.key, self.dtype_rule, self.expression()[1])

    def __str__(self) -> str:
        if self.key and self.key[0] != "expr":
            return f"{self.name}{{{', '.join(map(str, self.key))}}}"
        return self.name


def _rebuilt(name: str, nin: int, key: tuple, dtype_rule: str, expr) -> Elemwise:
    """An unpickled Elemwise: equal to the pickled one (same identity), its expression given."""
    op = Elemwise(name, nin, key, dtype_rule, lambda *symbols: expr)
    _EXPRESSIONS.setdefault(op, (scalar_symbols(nin), expr))
    return op


_EXPRESSIONS: dict = {}
_NUMPY_FUNCTIONS: dict = {}
_DERIVATIVES = diskcache.Table("derivatives")


def _entry_of(op: Elemwise, used: list) -> list:
    """What is remembered of a derivative op: its expression's srepr (its identity) and the
    inputs it reads."""
    return [op.key[1], used]


def _derived(op: Elemwise, i: int, entry: list, *symbols):
    """The expression of a derivative op remembered on disk, derived again from ``op``."""
    made = op._derive(i)
    if made is None or _entry_of(*made) != entry:
        raise RuntimeError(f"the remembered derivative of {op.name} differs from sympy's: delete {_DERIVATIVES.folder()}")
    return made[0].expression()[1]


def _as_sympy(value):
    import sympy

    return sympy.sympify(value)


def _numpy_namespace() -> dict:
    """NumPy spellings of our sympy functions, for the reference interpreter."""
    import scipy.special

    return {
        "sigmoid": scipy.special.expit,
        "softplus": lambda x: np.logaddexp(0, x),
        "relu": lambda x: np.maximum(x, 0),
        "step": lambda x: np.where(x > 0, 1, 0),
        "erf": scipy.special.erf,
        "trunc": np.trunc,
        "floor_of": np.floor,
        "ceil_of": np.ceil,
        "round_half_even": np.rint,
        "round_half_away": lambda x: np.where(np.abs(x - np.trunc(x)) >= 0.5, np.trunc(x) + np.sign(x), np.trunc(x)),
        "sign_of": np.sign,
        "floor_div": np.floor_divide,
        "mod": np.remainder,
    }


# -- the catalogue --------------------------------------------------------------------------
# sympy is imported on first use: a process that recalls compiled functions never needs it


def _sympy():
    import sympy

    return sympy


def _scalar_math():
    from symnet.ops import scalar_math

    return scalar_math


def _cfunctions():
    from sympy.codegen import cfunctions

    return cfunctions


def _indicator(condition):
    return _sympy().Piecewise((1, condition), (0, True))


def op(name: str, nin: int, fn: Callable, dtype_rule: str = "upcast", key: tuple = ()) -> Elemwise:
    return Elemwise(name, nin, key, dtype_rule, fn)


add = op("add", 2, lambda a, b: a + b)
sub = op("sub", 2, lambda a, b: a - b)
mul = op("mul", 2, lambda a, b: a * b)
true_div = op("true_div", 2, lambda a, b: a / b, "float")
power = op("pow", 2, lambda a, b: a**b)
neg = op("neg", 1, lambda a: -a)
lt = op("lt", 2, lambda a, b: _indicator(a < b), "bool")
le = op("le", 2, lambda a, b: _indicator(a <= b), "bool")
gt = op("gt", 2, lambda a, b: _indicator(a > b), "bool")
ge = op("ge", 2, lambda a, b: _indicator(a >= b), "bool")
eq = op("eq", 2, lambda a, b: _indicator(_sympy().Eq(a, b)), "bool")
neq = op("neq", 2, lambda a, b: _indicator(_sympy().Ne(a, b)), "bool")
where = op("where", 3, lambda c, a, b: _sympy().Piecewise((a, _sympy().Ne(c, 0)), (b, True)), "select")
exp = op("exp", 1, lambda a: _sympy().exp(a), "float")
log = op("log", 1, lambda a: _sympy().log(a), "float")
log1p = op("log1p", 1, lambda a: _cfunctions().log1p(a), "float")
expm1 = op("expm1", 1, lambda a: _cfunctions().expm1(a), "float")
sqrt = op("sqrt", 1, lambda a: _sympy().sqrt(a), "float")
square = op("square", 1, lambda a: a**2)
sin = op("sin", 1, lambda a: _sympy().sin(a), "float")
cos = op("cos", 1, lambda a: _sympy().cos(a), "float")
tanh = op("tanh", 1, lambda a: _sympy().tanh(a), "float")
erf = op("erf", 1, lambda a: _sympy().erf(a), "float")
sigmoid = op("sigmoid", 1, lambda a: _scalar_math().sigmoid(a), "float")
softplus = op("softplus", 1, lambda a: _scalar_math().softplus(a), "float")
relu = op("relu", 1, lambda a: _scalar_math().relu(a))
step = op("step", 1, lambda a: _scalar_math().step(a))
gelu = op("gelu", 1, lambda a: a / 2 * (1 + _sympy().erf(a / _sympy().sqrt(2))), "float")
abs_ = op("abs", 1, lambda a: _sympy().Abs(a))
maximum = op("maximum", 2, lambda a, b: _sympy().Piecewise((a, a >= b), (b, True)))
minimum = op("minimum", 2, lambda a, b: _sympy().Piecewise((a, a <= b), (b, True)))
clip = op("clip", 3, lambda x, lo, hi: _sympy().Piecewise((lo, x < lo), (hi, x > hi), (x, True)))
floor = op("floor", 1, lambda a: _scalar_math().floor_of(a))
ceil = op("ceil", 1, lambda a: _scalar_math().ceil_of(a))
round_half_even = op("round_half_even", 1, lambda a: _scalar_math().round_half_even(a))
round_half_away = op("round_half_away", 1, lambda a: _scalar_math().round_half_away(a))
sign = op("sign", 1, lambda a: _scalar_math().sign_of(a))
floor_div = op("floor_div", 2, lambda a, b: _scalar_math().floor_div(a, b))
mod = op("mod", 2, lambda a, b: _scalar_math().mod(a, b))
zeros_like = op("zeros_like", 1, lambda a: 0)
ones_like = op("ones_like", 1, lambda a: 1)


def leaky_relu(alpha: float) -> Elemwise:
    a = float(alpha)
    return op("leaky_relu", 1, lambda x: _sympy().Piecewise((x, x > 0), (_sympy().Float(a) * x, True)), "float", (a,))


def elu(alpha: float) -> Elemwise:
    a = float(alpha)
    return op(
        "elu", 1, lambda x: _sympy().Piecewise((x, x > 0), (_sympy().Float(a) * _cfunctions().expm1(x), True)), "float", (a,)
    )


def power_const(exponent: float) -> Elemwise:
    """x ** p for a constant p: derivative p*x**(p-1), printed as products for small ints."""
    p = float(exponent)
    if p.is_integer():
        return op("pow", 1, lambda x: x ** _sympy().Integer(int(p)), "upcast", (int(p),))
    return op("pow", 1, lambda x: x ** _sympy().Float(p), "float", (p,))


def cast(dtype: str) -> Elemwise:
    """Conversion to ``dtype``: truncation for integers, x != 0 for bool, identity for floats."""
    if dtype == "bool":
        return op("cast", 1, lambda a: _indicator(_sympy().Ne(a, 0)), dtype, (dtype,))
    if dtype.startswith("int"):
        return op("cast", 1, lambda a: _scalar_math().trunc(a), dtype, (dtype,))
    return op("cast", 1, lambda a: a, dtype, (dtype,))


def user_elementwise(fn: Callable, name: str) -> Elemwise:
    """An op from a user's sympy formula: ``fn`` takes one sympy symbol per argument."""
    import sympy

    nin = len(inspect.signature(fn).parameters)
    symbols = scalar_symbols(nin)
    expr = _as_sympy(fn(*symbols))
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"elementwise {name!r}: fn must return a sympy expression, got {type(expr).__name__}")
    stray = expr.free_symbols - set(symbols)
    if stray:
        raise TypeError(f"elementwise {name!r}: expression uses unknown symbols {sorted(map(str, stray))}")
    return Elemwise.from_expr(name, symbols, expr, "float")
