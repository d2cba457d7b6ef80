"""A cost model of compiled graphs: floating-point operations and bytes moved per call.

FLOPs are counted per graph node by its op's ``flops`` (an elementwise op costs the operations of its sympy
expression per output element; a matmul 2·M·N·K; a reduction one per input element).
Bytes are counted per step of the compiled program, as its kernels move them: a fused
loop reads its inputs and writes its outputs once, whatever it computes in between; a
single op (a matmul, a copy) reads its inputs and writes its output; views move nothing.
Sizes come from running the program's graph through the interpreter on the given inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet import interp
from symnet.graph import Constant, SharedVariable, graph_inputs, toposort


@dataclass(frozen=True)
class Cost:
    flops: int
    bytes: int

    def rates(self, seconds: float) -> tuple:
        """(GFLOP/s, GB/s) at ``seconds`` per call."""
        return self.flops / seconds / 1e9, self.bytes / seconds / 1e9


def cost(f, *args) -> Cost:
    """The FLOPs and bytes of one call ``f(*args)`` of a compiled Function."""
    from symnet.codegen.rules import CPU  # its rules say which steps the CPU driver prints as views

    program = getattr(f, "program", None)
    steps = program.steps if program is not None else toposort(f.graph.results)
    outputs = program.outputs if program is not None else f.graph.results
    values = _values(f, outputs, steps, args)
    flops = 0
    moved = 0
    for step in steps:
        nodes = getattr(step, "nodes", None) or [step]
        flops += sum(node.op.flops(node, values) for node in nodes)
        if hasattr(step, "nodes"):  # a fused loop: its inputs once, its stored outputs once
            loaded = [v for v in step.inputs if not (isinstance(v, Constant) and v.ndim == 0)]  # literals
            moved += sum(_nbytes(values[v]) for v in loaded) + sum(_nbytes(values[v]) for v in step.outputs)
        elif not CPU.is_view(step.op):
            moved += sum(_nbytes(values[v]) for v in step.inputs) + sum(_nbytes(values[v]) for v in step.outputs)
    return Cost(int(flops), int(moved))


def _values(f, outputs: list, steps: list, args) -> dict:
    """Every variable the steps touch, evaluated by the interpreter on ``args``."""
    env = dict(zip(f.graph.inputs, (np.asarray(a) for a in args)))
    env.update({v: v.container for v in graph_inputs(outputs) if isinstance(v, SharedVariable)})
    touched = []
    for step in steps:
        for node in getattr(step, "nodes", None) or [step]:
            touched += list(node.inputs) + list(node.outputs)
    touched = list(dict.fromkeys(touched))
    return dict(zip(touched, interp.evaluate(touched, env)))


def _nbytes(value) -> int:
    return int(np.asarray(value).nbytes)
