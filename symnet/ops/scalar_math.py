"""Neural-net scalar primitives as sympy functions: compact derivatives, explicit subgradients.

``diff(Max(0, x))`` in sympy is a Heaviside with H(0) = 1/2 and ``log(1 + exp(x))``
overflows; defining relu, step, sigmoid and softplus ourselves fixes the derivative
(``fdiff``) and leaves the numerically stable spelling to each printer.
"""

import sympy


class step(sympy.Function):
    """1 for x > 0, else 0 (the relu subgradient PyTorch uses: 0 at x = 0)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sympy.Integer(1) if x > 0 else sympy.Integer(0)

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class relu(sympy.Function):
    """max(x, 0)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x if x > 0 else sympy.Integer(0)

    def fdiff(self, argindex=1):
        return step(self.args[0])


class sigmoid(sympy.Function):
    """1 / (1 + exp(-x)); derivative s * (1 - s)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number and x == 0:
            return sympy.Rational(1, 2)

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)


class softplus(sympy.Function):
    """log(1 + exp(x)), printed stably as max(x, 0) + log1p(exp(-|x|)); derivative sigmoid."""

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


class trunc(sympy.Function):
    """Conversion to an integer dtype: rounds toward zero, as NumPy's astype does."""

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class _Flat(sympy.Function):
    """A piecewise-constant function of its arguments: derivative 0 almost everywhere
    (sympy's own floor and sign differentiate to unevaluated Derivatives and DiracDeltas)."""

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class floor_of(_Flat):
    """The largest integer <= x (NumPy's floor; integers are kept as they are)."""


class ceil_of(_Flat):
    """The smallest integer >= x."""


class round_half_even(_Flat):
    """The nearest integer, halves to the even one (NumPy's round and rint)."""


class round_half_away(_Flat):
    """The nearest integer, halves away from zero (C's round)."""


class sign_of(_Flat):
    """-1, 0 or 1 by the sign of x; NaN stays NaN (NumPy's sign)."""


class floor_div(_Flat):
    """a // b: floor(a / b), Python's and NumPy's floor division."""


class mod(sympy.Function):
    """a % b with the sign of b (Python's and NumPy's remainder): a - b * floor(a / b)."""

    def fdiff(self, argindex=1):
        return sympy.Integer(1) if argindex == 1 else -floor_div(*self.args)


# sympy names of the functions above, for printers' lookup tables.
NN_FUNCTIONS = {
    f.__name__: f
    for f in (step, relu, sigmoid, softplus, trunc, floor_of, ceil_of, round_half_even, round_half_away, sign_of, floor_div, mod)
}
