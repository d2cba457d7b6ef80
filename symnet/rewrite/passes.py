"""The pass order, read top to bottom: what runs between a user's graph and a backend."""

from __future__ import annotations

from symnet.rewrite.canonicalize import CANONICALIZE, REMOVE_STOP_GRADIENT
from symnet.rewrite.engine import rewrite
from symnet.rewrite.fold import FOLD
from symnet.rewrite.stabilize import STABILIZE


def optimize(outputs: list) -> list:
    """The optimized graph for ``outputs`` (a list of variables), same values, fewer nodes."""
    # merge: identical subexpressions become one node (the backward graph repeats forward work)
    outputs = rewrite(outputs)
    # canonicalize: no-ops gone, one spelling per expression (1 - sigmoid(x) is sigmoid(-x))
    outputs = rewrite(outputs, CANONICALIZE + REMOVE_STOP_GRADIENT)
    # stabilize: before folding, so that constant subgraphs are folded in their stable form
    outputs = rewrite(outputs, STABILIZE + CANONICALIZE + REMOVE_STOP_GRADIENT)
    # fold: constants computed once (by each op's evaluate), then tidy what folding exposed
    outputs = rewrite(outputs, FOLD + CANONICALIZE)
    return outputs


def stabilize_for_grad(cost, wrt):
    """The cost in stable form before differentiation, so gradients are stable too.

    ``wrt`` stay leaves (identical objects) so their cotangents can be found; stop_gradient
    stays, because grad must see it.
    """
    (cost,) = rewrite([cost], CANONICALIZE + STABILIZE, frozen=wrt)
    return cost
