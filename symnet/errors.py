"""Exceptions raised to users: shape mismatches and disconnected gradients."""


class ShapeError(ValueError):
    """Array shapes that do not fit the graph: at build time where sizes are known, else at call time."""


class DisconnectedInputError(ValueError):
    """``grad(cost, wrt)`` where ``cost`` does not depend on ``wrt``."""
