"""Graph invariants, checked after every pass in tests: links, types, immutable constants."""

from __future__ import annotations

from symnet.graph import Constant, toposort


class GraphInvariantError(AssertionError):
    pass


def verify(outputs) -> None:
    """Raise GraphInvariantError if the graph feeding ``outputs`` breaks an invariant."""
    if hasattr(outputs, "graph"):
        outputs = outputs.graph.results
    for node in toposort(outputs):
        for i, v in enumerate(node.outputs):
            if v.owner is not node or v.index != i:
                raise GraphInvariantError(f"output {i} of {node!r} does not point back to it")
        expected = node.op.output_types(*(v.type for v in node.inputs))
        actual = [v.type for v in node.outputs]
        if expected != actual:
            raise GraphInvariantError(f"{node!r}: types {actual} but the op's rule gives {expected}")
        for v in node.inputs:
            if isinstance(v, Constant) and v.data.flags.writeable:
                raise GraphInvariantError(f"constant {v.label()} is writeable")
            if v.owner is not None and v not in v.owner.outputs:
                raise GraphInvariantError(f"{v.label()} is not among its owner's outputs")
