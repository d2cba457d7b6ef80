"""The one place that branches on the target name."""

from __future__ import annotations


def build(target: str, program, inputs, updates, fastmath, single: bool, vector_math: bool):
    match target:
        case "cpu":
            from codegen.build import build_cpu

            return build_cpu(program, inputs, updates, fastmath, single, vector_math)
        case "cuda":
            from codegen.build import build_cuda

            return build_cuda(program, inputs, updates, single, fast_math=vector_math)
    raise ValueError(f"unknown target {target!r}")
