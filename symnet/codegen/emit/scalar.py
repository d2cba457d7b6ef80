"""Scalar printer: sympy expressions → Numba-compatible scalar code with typed constants.

Every number is printed as a module-level typed constant (``_f32_3 = np.float32(0.5)``):
a bare Python float in a float32 kernel would promote the whole expression to float64.
Neural-net functions get their numerically stable spellings here, not on the ops.
"""

from __future__ import annotations

import sympy
from sympy.printing.pycode import PythonCodePrinter

from symnet.codegen.vecmath import FUNCTIONS as VECMATH
from symnet.ops import scalar_math as sm
from symnet.ops.scalar_math import relu, sigmoid, softplus, step, trunc

SHORT = {"float32": "f32", "float64": "f64", "int64": "i64", "int32": "i32", "bool": "b"}


class Constants:
    """Typed constants of one module: one global per (value, dtype), named by position."""

    def __init__(self):
        self.names: dict = {}

    def name(self, value, dtype: str) -> str:
        key = (dtype, repr(value))
        if key not in self.names:
            self.names[key] = f"_{SHORT[dtype]}_{len(self.names)}"
        return self.names[key]

    def definitions(self) -> list:
        # inf and nan have no literal: NumPy parses their text
        return [f"{name} = np.{dtype}({value!r})" if value in ("inf", "-inf", "nan") else f"{name} = np.{dtype}({value})"
                for (dtype, value), name in self.names.items()]


class ScalarPrinter(PythonCodePrinter):
    """Prints one kernel's expressions: ``names`` maps sympy symbols to local names."""

    def __init__(self, constants: Constants, dtype: str, names: dict, vector_math: bool = False):
        super().__init__({"standard": "python3"})
        self.constants = constants
        self.dtype = dtype
        self.symbol_names = names
        # vectorizable forms from symnet.codegen.vecmath (imported as vm) for float kernels
        self.vector_math = vector_math and dtype.startswith("float")
        self.used_vecmath = False

    def vecmath(self, name: str, expr) -> str:
        self.used_vecmath = True
        return f"vm.{name}({self._print(expr.args[0])})"

    def number(self, value) -> str:
        if self.dtype.startswith("float"):
            return self.constants.name(float(value), self.dtype)
        if float(value).is_integer():
            return self.constants.name(int(value), self.dtype)
        return self.constants.name(float(value), "float64")

    def _print_Symbol(self, expr):
        return self.symbol_names[expr]

    def _print_Integer(self, expr):
        return self.number(int(expr))

    def _print_Rational(self, expr):
        return self.number(float(expr))

    def _print_Float(self, expr):
        return self.number(float(expr))

    def _print_NumberSymbol(self, expr):
        return self.number(float(expr))

    def _print_known_func(self, expr):
        if self.vector_math and expr.func.__name__ in VECMATH:
            return self.vecmath(expr.func.__name__, expr)
        return getattr(PythonCodePrinter, f"_print_{expr.func.__name__}")(self, expr)  # math.<name>

    _print_Zero = _print_One = _print_NegativeOne = _print_Integer
    _print_Half = _print_Rational
    _print_Exp1 = _print_Pi = _print_NumberSymbol

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        b = self.parenthesize(base, 100)
        if exponent.is_Integer and 0 < abs(int(exponent)) <= 4:
            product = "(" + "*".join([b] * abs(int(exponent))) + ")"  # a/b**2 must not print a/b*b
            return product if exponent > 0 else f"({self.number(1)}/{product})"
        if exponent == sympy.Rational(1, 2):
            return f"math.sqrt({self._print(base)})"
        if exponent == -sympy.Rational(1, 2):
            return f"{self.number(1)}/math.sqrt({self._print(base)})"
        return f"{b}**{self.parenthesize(exponent, 100)}"

    def _print_sign(self, expr):
        a = self._print(expr.args[0])
        return f"({self.number(0)} if {a} == {self.number(0)} else math.copysign({self.number(1)}, {a}))"

    def _print_Function(self, expr):
        if self.vector_math and expr.func.__name__ in VECMATH:
            return self.vecmath(expr.func.__name__, expr)
        a = self._print(expr.args[0]) if expr.args else ""
        one, zero = self.number(1), self.number(0)
        match expr.func:
            case f if f is sigmoid:
                # exp(-|a|) never overflows (the CUDA simulator's math.exp raises where it would)
                e = f"math.exp(-abs({a}))"
                return f"(({one} if {a} >= {zero} else {e})/({one} + {e}))"
            case f if f is softplus:
                return f"(max({a}, {zero}) + math.log1p(math.exp(-abs({a}))))"
            case f if f is relu:
                return f"max({a}, {zero})"
            case f if f is step:
                return f"({one} if {a} > {zero} else {zero})"
            case f if f is trunc:
                return f"int({a})"
            case f if f is sm.sign_of:
                # NaN fails all three tests and stays NaN, as in NumPy
                return f"({one} if {a} > {zero} else (-{one} if {a} < {zero} else ({zero} if {a} == {zero} else {a})))"
            case f if f is sm.floor_div or f is sm.mod:
                b = self._print(expr.args[1])
                return f"({a} {'//' if f is sm.floor_div else '%'} {b})"
            case f if f in (sm.floor_of, sm.ceil_of, sm.round_half_even, sm.round_half_away):
                return self.rounded(f, a)
        return super()._print_Function(expr)

    def rounded(self, f, a: str) -> str:
        """floor, ceil and the two roundings; ``math.floor``, ``round`` and ``int`` give
        int64 in Numba, exact below 2**52 in magnitude, and every float beyond (and NaN, inf)
        is its own rounding."""
        if not self.dtype.startswith("float"):
            return a  # integers are their own floor, ceil and rounding
        match f:
            case sm.floor_of:
                value = f"math.floor({a})"
            case sm.ceil_of:
                value = f"math.ceil({a})"
            case sm.round_half_even:
                value = f"round({a})"  # Python's round: halves to even
            case _:
                t = f"int({a})"
                value = f"{t} + (math.copysign({self.number(1)}, {a}) if abs({a} - {t}) >= {self.number(0.5)} else {self.number(0)})"
        return f"({a} if not abs({a}) < {self.number(2.0**52)} else {value})"


class SizePrinter(ScalarPrinter):
    """Integer arithmetic on sizes and bounds in the driver: Python int literals, and the
    code of each symbol's value in ``names``."""

    def __init__(self, names: dict):
        super().__init__(Constants(), "int64", names)

    def number(self, value) -> str:
        return str(int(value))


# sympy binds these names to its own _print_known_func when PythonCodePrinter is defined
for _name in set(VECMATH) - {"sigmoid", "softplus"}:
    setattr(ScalarPrinter, f"_print_{_name}", ScalarPrinter._print_known_func)
