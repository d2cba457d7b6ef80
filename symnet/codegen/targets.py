"""The one place that branches on the target name."""

from __future__ import annotations


def build(target: str, program, inputs, updates, fastmath, single: bool, vector_math: bool, signature=None):
    match target:
        case "cpu":
            from symnet.codegen.build import build_cpu

            return build_cpu(program, inputs, updates, fastmath, single, vector_math, signature)
        case "cuda":
            from symnet.codegen.build import build_cuda

            return build_cuda(program, inputs, updates, single, fast_math=vector_math)
    raise ValueError(f"unknown target {target!r}")


def recall(target: str, signature, inputs):
    """The program built before for a graph with ``signature``, or None (CUDA builds are
    not remembered: their first call compiles on the device anyway)."""
    if target != "cpu":
        return None
    from symnet.codegen.build import recall_cpu

    return recall_cpu(signature, inputs)
