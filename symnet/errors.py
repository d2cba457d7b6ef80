"""Exceptions and warnings raised to users: shape mismatches, disconnected gradients, fallbacks."""


class ShapeError(ValueError):
    """Array shapes that do not fit the graph: at build time where sizes are known, else at call time."""


class DisconnectedInputError(ValueError):
    """``grad(cost, wrt)`` where ``cost`` does not depend on ``wrt``."""


class UnusedInputError(ValueError):
    """``function(inputs, ...)`` with an input that no output or update reads (Theano's rule;
    ``on_unused_input="ignore"`` or ``"warn"`` allows it)."""


class FallbackWarning(UserWarning):
    """A compiled target has no rule for an op and runs its NumPy ``evaluate`` instead."""
