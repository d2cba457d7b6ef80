"""Constant folding: a node whose inputs are all constants is evaluated once, by its ``evaluate``."""

from __future__ import annotations

from dataclasses import dataclass

from symnet.graph import Constant
from symnet.rewrite.pattern import Pattern, Rule

MAX_FOLDED_ELEMENTS = 1 << 16  # larger results stay computed at run time (smaller binaries)


@dataclass(frozen=True)
class AllConstantInputs(Pattern):
    def match(self, v, bindings, frozen):
        owner = v.owner
        if owner is None or v in frozen or not owner.inputs:
            return False
        if not all(isinstance(x, Constant) for x in owner.inputs):
            return False
        bindings["v"] = v
        return True


def fold(v):
    owner = v.owner
    try:
        outputs = owner.op.evaluate(*(x.data for x in owner.inputs))
    except Exception:  # an invalid constant expression fails at call time, with its trace
        return None
    value = outputs[v.index]
    if value.size > MAX_FOLDED_ELEMENTS:
        return None
    return Constant(value.astype(v.dtype))


FOLD = [Rule("constant_fold", AllConstantInputs(), fold)]
