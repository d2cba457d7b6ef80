"""Patterns over the graph: a rewrite rule is a pattern plus a function building a replacement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from symnet.graph import Constant, Variable


class Pattern:
    def match(self, v: Variable, bindings: dict, frozen) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Bind(Pattern):
    """Any variable, bound to ``name`` (the same name twice must bind the same variable)."""

    name: str

    def match(self, v, bindings, frozen):
        if self.name in bindings:
            return bindings[self.name] is v
        bindings[self.name] = v
        return True


@dataclass(frozen=True)
class Const(Pattern):
    """A constant whose every element equals ``value``."""

    value: float

    def match(self, v, bindings, frozen):
        return isinstance(v, Constant) and v.data.size > 0 and bool(np.all(v.data == self.value))


@dataclass(frozen=True)
class Node(Pattern):
    """The output of an op: ``op`` is an Op (equality) or an Op class (isinstance).

    ``node`` (if given) binds the matched output variable, so a rule can read the op's
    parameters. Frozen variables (gradient targets) never match: they are leaves.
    """

    op: object
    inputs: tuple
    node: str | None = None

    def match(self, v, bindings, frozen):
        owner = v.owner
        if owner is None or v in frozen or len(owner.inputs) != len(self.inputs):
            return False
        if isinstance(self.op, type):
            if not isinstance(owner.op, self.op):
                return False
        elif owner.op != self.op:
            return False
        if self.node is not None:
            bindings[self.node] = v
        return all(p.match(x, bindings, frozen) for p, x in zip(self.inputs, owner.inputs))


@dataclass(frozen=True)
class AnyInputs(Pattern):
    """The output of any node whose op is an instance of ``op``, whatever its inputs."""

    op: type
    node: str

    def match(self, v, bindings, frozen):
        if v.owner is None or v in frozen or not isinstance(v.owner.op, self.op):
            return False
        bindings[self.node] = v
        return True


def node(op, *inputs, bind: str | None = None) -> Node:
    """``node(log, node(sigmoid, x))`` reads as the expression it matches."""
    return Node(op, tuple(inputs), bind)


x, y = Bind("x"), Bind("y")


@dataclass(frozen=True)
class Rule:
    """``build(**bindings)`` returns the replacement variable, or None to decline."""

    name: str
    pattern: Pattern
    build: Callable
