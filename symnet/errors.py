"""Exceptions and warnings raised to users: shape mismatches, disconnected gradients, fallbacks."""


class ShapeError(ValueError):
    """Array shapes that do not fit the graph: at build time where sizes are known, else at call time."""


class DisconnectedInputError(ValueError):
    """``grad(cost, wrt)`` where ``cost`` does not depend on ``wrt``."""


class FallbackWarning(UserWarning):
    """A compiled target has no rule for an op and runs its NumPy ``evaluate`` instead."""
