"""Fusion: partition an optimized graph into regions, each computed by one loop nest.

A region is a set of elementwise nodes (broadcasts included) over one index space, with
at most one reduction whose prologue they compute (``sum(relu(z) * g, axis=0)`` is one
loop). Regions merge along producer→consumer edges whose value is not broadcast, so a
value is computed once even when the forward and the backward pass both need it: the
region then has several outputs. A merge is refused when a path between the two regions
leaves them (the merged loop would depend on itself). Ordering follows *value* edges only:
an input used for its shape alone (``broadcast_like``'s reference) does not order steps,
because the driver knows every shape before any kernel runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symnet.graph import Apply, Variable, toposort
from symnet.ops.elementwise import Elemwise
from symnet.ops.reduction import Reduce
from symnet.ops.shape import BroadcastLike


@dataclass
class Region:
    """Nodes (topological order) fused into one loop nest over the shape of ``space``."""

    nodes: list
    outputs: list  # values stored by the loop: used outside the region, or graph outputs
    space: Variable

    @property
    def reduction(self) -> Apply | None:
        return next((n for n in self.nodes if isinstance(n.op, Reduce)), None)

    @property
    def kind(self) -> str:
        return "reduction" if self.reduction is not None else "elementwise"

    @property
    def inputs(self) -> list:
        """Variables the loop body loads, in first-use order."""
        inside = {v for n in self.nodes for v in n.outputs}
        seen, out = set(), []
        for n in self.nodes:
            for v in n.op.value_inputs(n):
                if v not in inside and v not in seen:
                    seen.add(v)
                    out.append(v)
        return out


@dataclass
class Program:
    """What a backend compiles: steps (Regions and single Apply nodes) in execution order."""

    steps: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


def is_fusible(node: Apply) -> bool:
    return isinstance(node.op, (Elemwise, BroadcastLike)) or (
        isinstance(node.op, Reduce) and node.op.kind in ("sum", "prod", "max", "min")
    )


def space_of(node: Apply) -> Variable:
    return node.inputs[0] if isinstance(node.op, Reduce) else node.outputs[0]


def fuse(outputs: list) -> Program:
    order = toposort(outputs)
    position = {node: k for k, node in enumerate(order)}
    consumers: dict = {}  # value edges only
    for node in order:
        for v in node.op.value_inputs(node):
            if v.owner is not None:
                consumers.setdefault(v.owner, set()).add(node)

    group = {node: _Group(node) for node in order if is_fusible(node)}
    for consumer in reversed(order):
        if consumer not in group:
            continue
        for v in consumer.op.value_inputs(consumer):
            producer = v.owner
            if producer not in group or isinstance(producer.op, Reduce):
                continue
            if v.type.broadcastable != space_of(consumer).type.broadcastable or v.ndim != space_of(consumer).ndim:
                continue  # v is broadcast in the consumer's loop: computing it there would repeat work
            a, b = group[producer], group[consumer]
            if a is b or (a.has_reduction and b.has_reduction):
                continue
            if _path_outside(a, b, consumers, group) or _path_outside(b, a, consumers, group):
                continue
            if _reads_own_reduction(a.nodes | b.nodes, consumers):
                continue
            merged = a.merge(b)
            for node in merged.nodes:
                group[node] = merged

    keep = set(outputs)
    steps, emitted = [], set()
    for unit in _schedule(order, group, consumers, position):
        if isinstance(unit, _Group):
            if unit in emitted:
                continue
            emitted.add(unit)
            nodes = sorted(unit.nodes, key=position.get)
            stored = [
                v
                for n in nodes
                for v in n.outputs
                if v in keep or any(c not in unit.nodes for c in consumers.get(n, ()) if v in c.op.value_inputs(c))
            ]
            if stored:  # a region whose values nobody reads (only their shapes) needs no loop
                steps.append(Region(nodes, stored, unit.space(nodes[-1])))
        else:
            steps.append(unit)
    return Program(steps, list(outputs))


class _Group:
    """A region under construction."""

    def __init__(self, node: Apply):
        self.nodes = {node}
        self.has_reduction = isinstance(node.op, Reduce)

    def merge(self, other: _Group) -> _Group:
        self.nodes |= other.nodes
        self.has_reduction = self.has_reduction or other.has_reduction
        return self

    def space(self, last: Apply) -> Variable:
        """The reduction's input, else the value the last node computes."""
        reduction = next((n for n in self.nodes if isinstance(n.op, Reduce)), last)
        return space_of(reduction)


def _path_outside(a: _Group, b: _Group, consumers, group) -> bool:
    """Is there a value path from ``a`` to ``b`` through another unit (a node or a group)?

    Checked between units, not nodes: once merged, a group runs as one step, so a path
    that leaves it anywhere and comes back anywhere would be a cycle.
    """

    def successors(unit_nodes):
        for n in unit_nodes:
            for c in consumers.get(n, ()):
                yield group.get(c, c)

    stack = [u for u in successors(a.nodes) if u is not a and u is not b]
    seen = set()
    while stack:
        unit = stack.pop()
        if id(unit) in seen:
            continue
        seen.add(id(unit))
        for nxt in successors(unit.nodes if isinstance(unit, _Group) else [unit]):
            if nxt is b:
                return True
            if nxt is not a:
                stack.append(nxt)
    return False


def _reads_own_reduction(nodes: set, consumers) -> bool:
    """A loop cannot use a reduction's result before the reduction has finished."""
    return any(
        isinstance(n.op, Reduce) and any(c in nodes for c in consumers.get(n, ())) for n in nodes
    )


def _schedule(order, group, consumers, position) -> list:
    """Regions and single nodes in an order that respects value edges (Kahn, stable)."""
    import heapq

    unit_of = {node: group.get(node, node) for node in order}
    units = list(dict.fromkeys(unit_of.values()))
    first = {u: min(position[n] for n in (u.nodes if isinstance(u, _Group) else [u])) for u in units}
    waiting = {u: 0 for u in units}
    successors: dict = {u: set() for u in units}
    for node in order:
        for c in consumers.get(node, ()):
            a, b = unit_of[node], unit_of[c]
            if a is not b and b not in successors[a]:
                successors[a].add(b)
                waiting[b] += 1
    ready = [(first[u], id(u), u) for u in units if waiting[u] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, _, u = heapq.heappop(ready)
        out.append(u)
        for s in successors[u]:
            waiting[s] -= 1
            if waiting[s] == 0:
                heapq.heappush(ready, (first[s], id(s), s))
    assert len(out) == len(units), "fusion created a cycle"
    return out
