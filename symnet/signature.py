"""The signature of a graph: one digest of everything a compiled program's code depends on
(the graph's structure, its ops' parameters, types, names and constant values, the compile
settings and symnet's code), so a later process can take the program compiled for an
identical graph without optimizing, differentiating or printing it again.

Not in it: the user's lines and the numbers of unnamed variables, which only error messages
show; a recalled program prints itself again for those (see ``symnet.codegen.build.Recalled``)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from symnet import diskcache
from symnet.graph import Constant, SharedVariable, toposort


@dataclass
class Signature:
    digest: str
    leaves: list  # the shared variables and constants the graph reads, in first-use order


def graph_signature(inputs: list, outputs: list, updates: list, settings: tuple) -> Signature | None:
    """The signature of ``outputs`` and ``updates`` (``(shared, new value)`` pairs) as a
    function of ``inputs``; None where an op's parameters have no faithful text."""
    numbers: dict = {}
    leaves: list = []
    lines = [diskcache.code_digest(), repr(settings)]

    def number(v) -> int:
        if v not in numbers:
            if v.owner is None and v not in inputs:
                leaves.append(v)
                lines.append(_leaf_text(v))
            numbers[v] = len(numbers)
        return numbers[v]

    for k, v in enumerate(inputs):
        lines.append(f"input {k} {v.type} {v.name!r}")
        number(v)
    results = list(outputs) + [new for _, new in updates]
    for node in toposort(results):
        text = _op_text(node.op)
        if text is None:
            return None
        arguments = [number(v) for v in node.inputs]
        made = [f"{v.type} {v.name!r}" for v in node.outputs]
        lines.append(f"{text} {arguments} -> {made}")
        for v in node.outputs:
            number(v)
    lines.append(f"outputs {[number(v) for v in outputs]}")
    lines.append(f"updates {[(number(shared), number(new)) for shared, new in updates]}")
    return Signature(hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32], leaves)


def _leaf_text(v) -> str:
    if isinstance(v, Constant):
        return f"constant {v.type} {v.name!r} {hashlib.sha256(v.data.tobytes()).hexdigest()}"  # C order
    kind = "shared" if isinstance(v, SharedVariable) else "free"
    return f"{kind} {v.type} {v.name!r}"


def _op_text(op) -> str | None:
    """The op's class and the parameters it compares by; None when their text is not
    faithful (an object's address, an abbreviated array)."""
    cls = type(op)
    if not dataclasses.is_dataclass(op):
        return None
    fields = [(f.name, getattr(op, f.name)) for f in dataclasses.fields(op) if f.compare]
    text = f"{cls.__module__}.{cls.__qualname__}{fields!r}"
    return None if " at 0x" in text or "..." in text else text
