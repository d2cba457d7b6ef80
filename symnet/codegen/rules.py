"""Back-end rules by op type: how a target prints an op that fusion leaves as a single step.

A rule is registered for an op class (``@CPU(Matmul)``) and called as ``rule(driver, node,
o, a)`` with the output's and the inputs' names in the driver; it emits the op's code
through the driver and says what the output is: ``BUFFER``, ``VIEW`` or ``SCALAR``. An op
with no rule for a target runs its NumPy ``evaluate`` there (the driver's ``fallback``).
"""

from __future__ import annotations

import importlib

BUFFER = "buffer"  # a new array the call owns (reusable once dead, writable in place)
VIEW = "view"  # shows the memory of the op's first input
SCALAR = "scalar"  # a driver number, not an array


class Rules:
    """One target's rules, looked up by the op's class (then its base classes)."""

    def __init__(self, target: str, module: str):
        self.target = target
        self.module = module  # where the rules are registered, imported on first look-up
        self.loaded = False
        self.by_type: dict = {}  # op class → [(when, rule)]
        self.views: set = set()  # op classes whose output may show their first input's memory

    def __call__(self, *op_types, when=None, view: bool = False):
        """Register the decorated function for ``op_types``; ``when(op)`` narrows it to some
        parameters (other ops of the type fall back); ``view``: the output may be a view of
        the first input, which then lives as long as the output does."""

        def register(rule):
            for op_type in op_types:
                self.by_type.setdefault(op_type, []).append((when, rule))
                if view:
                    self.views.add(op_type)
            return rule

        return register

    def load(self) -> None:
        if not self.loaded:
            importlib.import_module(self.module)
            self.loaded = True

    def find(self, op):
        """The rule for ``op``, or None."""
        self.load()
        for cls in type(op).__mro__:
            for when, rule in self.by_type.get(cls, ()):
                if when is None or when(op):
                    return rule
        return None

    def is_view(self, op) -> bool:
        self.load()
        return any(cls in self.views for cls in type(op).__mro__)


CPU = Rules("cpu", "symnet.codegen.emit.cpu_rules")
CUDA = Rules("cuda", "symnet.codegen.emit.cuda_rules")
