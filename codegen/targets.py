"""The one place that branches on the target name."""

from __future__ import annotations


def build(target: str, program, inputs, updates, fastmath, single: bool, vector_math: bool):
    match target:
        case "cpu":
            from codegen.build import build_cpu

            return build_cpu(program, inputs, updates, fastmath, single, vector_math)
        case "cuda":
            raise NotImplementedError("target 'cuda' is not built yet (an open issue); use 'cpu' or 'interp'")
    raise ValueError(f"unknown target {target!r}")
