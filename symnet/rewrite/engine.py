"""The rewrite engine: rebuild a graph bottom-up, hash-consing nodes (merge) and applying rules.

Every node is rebuilt through one table keyed by (op, inputs), so two nodes with the same
op and inputs become one (graph-level CSE), and constants with equal values become one.
After a node is rebuilt, rules are tried on its outputs until none fires; a replacement is
itself rebuilt the same way, so rules compose (canonicalize, then stabilize, …).
"""

from __future__ import annotations

import logging
from collections import Counter

from symnet.graph import Constant, Variable, inherit_trace, toposort

log = logging.getLogger("symnet.rewrite")

MAX_FIRINGS_PER_VARIABLE = 32


class Rewriter:
    """One rewrite of one graph. ``memo`` maps every variable seen to its rewritten form."""

    def __init__(self, rules=(), frozen=()):
        self.rules = list(rules)
        self.frozen = set(frozen)
        self.memo: dict = {v: v for v in frozen}
        self.table: dict = {}
        self.canonical: set = set()
        self.constants: dict = {}
        self.fired: Counter = Counter()

    def __call__(self, outputs: list) -> list:
        return [self.rewrite(v) for v in outputs]

    def rewrite(self, v: Variable) -> Variable:
        for node in toposort([v], is_leaf=self.is_done):
            inputs = [self.lookup(x) for x in node.inputs]
            for old, new in zip(node.outputs, self.make(node, inputs)):
                self.memo[old] = self.apply_rules(new)
        return self.lookup(v)

    def is_done(self, v: Variable) -> bool:
        return v in self.memo or v.owner in self.canonical

    def lookup(self, v: Variable) -> Variable:
        if v in self.memo:
            return self.memo[v]
        if isinstance(v, Constant):
            return self.constants.setdefault(v.signature(), v)
        return v

    def make(self, node, inputs) -> list:
        """The canonical node for (op, inputs): an existing one, the old one, or a new one."""
        key = (node.op, tuple(id(v) for v in inputs))
        existing = self.table.get(key)
        if existing is not None:
            return existing.outputs
        if all(a is b for a, b in zip(inputs, node.inputs)):
            new = node
        else:
            with inherit_trace(node.trace):
                new = node.op.make_node(*inputs)
        self.table[key] = new
        self.canonical.add(new)
        return new.outputs

    def apply_rules(self, v: Variable) -> Variable:
        start = v
        for _ in range(MAX_FIRINGS_PER_VARIABLE):
            if v in self.memo and self.memo[v] is not v:
                v = self.memo[v]
                continue
            replacement = self.first_firing(v)
            if replacement is None:
                break
            new = self.rewrite(replacement)
            self.memo[v] = new
            v = new
        else:
            log.warning("rewrite rules did not settle on %r", v)
        self.memo[start] = v
        return v

    def first_firing(self, v: Variable) -> Variable | None:
        for rule in self.rules:
            bindings: dict = {}
            if not rule.pattern.match(v, bindings, self.frozen):
                continue
            with inherit_trace(v.owner.trace if v.owner else None):
                replacement = rule.build(**bindings)
            if replacement is None or replacement is v:
                continue
            if not compatible(replacement, v):
                log.debug("rule %s: %s cannot replace %s", rule.name, replacement.type, v.type)
                continue
            self.fired[rule.name] += 1
            log.debug("rule %s fired on %r", rule.name, v)
            return replacement
        return None


def compatible(new: Variable, old: Variable) -> bool:
    """A replacement must keep dtype, ndim and which axes broadcast."""
    return new.type.dtype == old.type.dtype and new.type.broadcastable == old.type.broadcastable


def rewrite(outputs: list, rules=(), frozen=()) -> list:
    """``outputs`` rebuilt with equal nodes merged and ``rules`` applied to a fixed point."""
    return Rewriter(rules, frozen)(list(outputs))
