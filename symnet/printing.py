"""Text forms of a graph: one line per node (``graph_text``), a tree (``debugprint``), DOT."""

from __future__ import annotations

from symnet.graph import Constant, SharedVariable, Variable, graph_inputs, toposort


def outputs_of(obj) -> list:
    if isinstance(obj, Variable):
        return [obj]
    graph = getattr(obj, "graph", None)
    if graph is not None:
        return graph.results
    return list(obj)


def graph_text(outputs) -> str:
    """One line per node: ``name: type = op(inputs)  # user line``."""
    lines = []
    for v in graph_inputs(outputs):
        kind = "shared" if isinstance(v, SharedVariable) else "constant" if isinstance(v, Constant) else "input"
        lines.append(f"{v.label()}: {v.type}  ({kind})")
    for node in toposort(outputs):
        outs = ", ".join(f"{v.label()}: {v.type}" for v in node.outputs)
        where = f"  # line {node.trace.lineno}" if node.trace else ""
        lines.append(f"{outs} = {node!r}{where}")
    lines.append("return " + ", ".join(v.label() for v in outputs))
    return "\n".join(lines)


def debugprint(obj, print_to_stdout: bool = True) -> str:
    """Print an expression, a list of them, or a Function's graph as an indented tree.

    Shared subtrees are printed once and referred to by their label afterwards.
    """
    lines, shown = [], set()

    def walk(v: Variable, depth: int) -> None:
        prefix = " |" * depth + ("-" if depth else "")
        if v.owner is None:
            lines.append(f"{prefix}{v.label()} {v.type}")
            return
        repeated = " ..." if v in shown else ""
        lines.append(f"{prefix}{v.owner.op} {v.label()} {v.type}{repeated}")
        if repeated:
            return
        shown.add(v)
        for x in v.owner.inputs:
            walk(x, depth + 1)

    for v in outputs_of(obj):
        walk(v, 0)
    text = "\n".join(lines)
    if print_to_stdout:
        print(text)
    return text


def to_dot(obj) -> str:
    """Graphviz DOT text: variables as ellipses, ops as boxes. Labels are escaped."""
    outputs = outputs_of(obj)

    def q(text: str) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph symnet {", "  rankdir=BT;"]
    for v in graph_inputs(outputs):
        lines.append(f"  v{v.id} [label={q(f'{v.label()} {v.type}')}, shape=ellipse];")
    for node in toposort(outputs):
        nid = f"n{id(node)}"
        lines.append(f"  {nid} [label={q(node.op)}, shape=box];")
        for x in node.inputs:
            lines.append(f"  v{x.id} -> {nid};")
        for v in node.outputs:
            lines.append(f"  v{v.id} [label={q(v.type)}, shape=ellipse];")
            lines.append(f"  {nid} -> v{v.id};")
    lines.append("}")
    return "\n".join(lines)
