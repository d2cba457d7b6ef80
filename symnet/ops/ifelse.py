"""``sn.ifelse``, Theano's lazy conditional: ``IfElse`` picks one of two lists of values by a
scalar condition; before compiling, ``lazy_branches`` moves the work that only one branch
needs into a ``Branches`` node, so a call computes the branch it takes and not the other."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError
from symnet.graph import Constant, Variable, clone, inherit_trace, toposort
from symnet.ops.base import Op
from symnet.tensor_type import TensorType


@dataclass(frozen=True)
class IfElse(Op):
    """Node inputs ``[condition, then_1 … then_n, else_1 … else_n]``; output k is then_k
    where the 0-d condition is nonzero, else_k otherwise. As built it reads every input (the
    form gradients and rewrites see); ``lazy_branches`` makes it lazy."""

    n: int
    name = "ifelse"

    def output_types(self, condition, *branches):
        if condition.ndim != 0:
            raise TypeError(f"ifelse: the condition must be a scalar (0-d), got {condition}")
        out = []
        for k, (a, b) in enumerate(zip(branches[: self.n], branches[self.n :])):
            if a.dtype != b.dtype or a.ndim != b.ndim:
                raise TypeError(f"ifelse: output {k} is {a} in the then branch and {b} in the else branch; both "
                                f"branches must have the same dtype and number of dimensions")
            if any(x is not None and y is not None and x != y for x, y in zip(a.shape, b.shape)):
                raise ShapeError(f"ifelse: output {k} has shape {a.shape} in the then branch and {b.shape} in the else branch")
            out.append(_merged(a, b))
        return out

    def evaluate(self, condition, *values):
        return list(values[: self.n] if condition else values[self.n :])

    def infer_shape(self, node, sizes):
        return _same_sizes(node, [sizes.of(v) for v in node.inputs[1 : 1 + self.n]], [sizes.of(v) for v in node.inputs[1 + self.n :]], sizes)

    def pullback(self, node, cotangents):
        condition = node.inputs[0]
        given = [k for k, g in enumerate(cotangents) if g is not None]
        grads = [None] * (1 + 2 * self.n)
        if not given:
            return grads
        from symnet import expr as T

        gs = [cotangents[k] for k in given]
        zeros = [T.zeros_like(g) for g in gs]
        picked = IfElse(2 * len(given))(condition, *gs, *zeros, *zeros, *gs)
        picked = picked if isinstance(picked, list) else [picked]
        for j, k in enumerate(given):
            grads[1 + k], grads[1 + self.n + k] = picked[j], picked[len(given) + j]
        return grads

    def __str__(self) -> str:
        return "ifelse"


class Branches(Op):
    """A lazy ``IfElse``: node inputs ``[condition, outer…]``; each branch is a closed inner
    graph over ``inner_inputs`` (one placeholder per outer input) that a call runs only
    where the condition picks it. Compiled targets run each branch as a program of its own
    (a loop's step is one too). Built by ``lazy_branches``, after gradients: no pullback.
    Not a dataclass: two are equal only if identical, as scans."""

    name = "ifelse"

    def __init__(self, inner_inputs, then_outputs, else_outputs):
        self.inner_inputs = list(inner_inputs)
        self.branches = (list(then_outputs), list(else_outputs))
        self.orders = tuple(toposort(outs) for outs in self.branches)

    def output_types(self, condition, *outer):
        return [_merged(a.type, b.type) for a, b in zip(*self.branches)]

    def evaluate(self, condition, *outer):
        from symnet import interp

        outputs = self.branches[0 if condition else 1]
        return [np.asarray(v) for v in interp.evaluate(outputs, dict(zip(self.inner_inputs, outer)))]

    def infer_shape(self, node, sizes):
        """The outputs' sizes from the outer inputs' through both inner graphs, computed
        without the inner nodes' checks: the branch taken checks its own when it runs (an
        index that the condition guards must not fail in the branch not taken)."""
        for p, v in zip(self.inner_inputs, node.inputs[1:]):
            sizes.sizes[p] = sizes.of(v)
            if v.ndim == 0 and v.dtype.startswith("int"):
                try:
                    sizes.values[p] = sizes.value(v, node)
                except NotImplementedError:
                    pass  # computed by a kernel: an inner size that needs it says so
        with sizes.unchecked():
            branch_sizes = [sizes.inner(order, outputs) for outputs, order in zip(self.branches, self.orders)]
        return _same_sizes(node, *branch_sizes, sizes)

    def __str__(self) -> str:
        return "ifelse{lazy}"


def _merged(a: TensorType, b: TensorType) -> TensorType:
    """The type of an output that is ``a`` or ``b``: a size either branch knows is known."""
    return TensorType(a.dtype, tuple(x if x is not None else y for x, y in zip(a.shape, b.shape)))


def _same_sizes(node, then_sizes, else_sizes, sizes) -> list:
    """Each output's sizes, the two branches' checked equal: compiled targets know every size
    before anything runs, so the branches must agree (the interpreter lets them differ)."""
    return [tuple(sizes.equal([a, b], node, f"ifelse output {k}: the branches make different shapes (compiled "
                              "targets need one shape for both);", ["then branch {}", "else branch {}"])
                  for a, b in zip(ta, tb))
            for k, (ta, tb) in enumerate(zip(then_sizes, else_sizes))]


def lazy_branches(outputs: list) -> list:
    """``outputs`` with each ``IfElse`` made a ``Branches``: the nodes whose values only its
    then inputs need (no other node, no output) move into its then graph, likewise for else;
    what both or anything else reads stays outside, computed once. Inner ifelses move with
    their branch and are made lazy when the branch is compiled. From the outputs back."""
    while True:
        nodes = toposort(outputs)
        node = next((n for n in reversed(nodes) if isinstance(n.op, IfElse)), None)
        if node is None:
            return outputs
        clients = defaultdict(list)
        for n in nodes:
            for i, v in enumerate(n.inputs):
                clients[v].append((n, i))
        n_out = node.op.n
        then_nodes = _only_for(node, range(1, 1 + n_out), nodes, clients, set(outputs))
        else_nodes = _only_for(node, range(1 + n_out, 1 + 2 * n_out), nodes, clients, set(outputs))
        outer: dict = {}  # outer variable → its placeholder, in both branches
        branches = [_rebuild(node.inputs[1 : 1 + n_out], then_nodes, nodes, outer),
                    _rebuild(node.inputs[1 + n_out :], else_nodes, nodes, outer)]
        op = Branches(outer.values(), *branches)
        with inherit_trace(node.trace):
            new = op.make_node(node.inputs[0], *outer)
        outputs = clone(outputs, dict(zip(node.outputs, new.outputs)))


def _only_for(node, positions, nodes: list, clients: dict, results: set) -> set:
    """The nodes before ``node`` whose every output only ``node``'s inputs at ``positions``
    read, directly or through other such nodes."""
    positions = set(positions)
    mine: set = set()

    def only_mine(v) -> bool:
        return v not in results and all((c is node and i in positions) or c in mine for c, i in clients[v])

    for n in reversed(nodes[: nodes.index(node)]):
        read = [v for v in n.outputs if clients[v] or v in results]
        if read and all(only_mine(v) for v in read):
            mine.add(n)
    return mine


def _rebuild(values: list, inside: set, nodes: list, outer: dict) -> list:
    """``values`` computed over placeholders: the nodes ``inside`` rebuilt, every other
    variable they read an outer input (``outer`` maps it to its placeholder) but scalar
    constants, which kernels print as literals."""
    def leaf(v):
        if isinstance(v, Constant) and v.ndim == 0:
            return v
        if v not in outer:
            outer[v] = Variable(v.type, name=v.name)
        return outer[v]

    made: dict = {}
    for n in nodes:
        if n in inside:
            with inherit_trace(n.trace):
                new = n.op.make_node(*[made[v] if v in made else leaf(v) for v in n.inputs])
            made.update(zip(n.outputs, new.outputs))
    return [made[v] if v in made else leaf(v) for v in values]


# -- the user's call ----------------------------------------------------------------------------
def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` where the scalar ``condition`` is nonzero, else ``else_branch``;
    Theano's ``ifelse``: only the branch taken is computed (``sn.switch`` computes both,
    elementwise). Each branch is one expression or a list of them, the two alike in number,
    dtype and number of dimensions; compiled targets also need the two to have one shape."""
    from symnet import expr as T

    single = not isinstance(then_branch, (list, tuple))
    then_list = [then_branch] if single else list(then_branch)
    else_list = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(then_list) != len(else_list):
        raise ValueError(f"ifelse: the then branch has {len(then_list)} outputs, the else branch {len(else_list)}")
    if not then_list:
        raise ValueError("ifelse: the branches have no outputs")
    condition = T.as_tensor(condition, what="the ifelse condition")
    pairs = [T._pair(a, b) for a, b in zip(then_list, else_list)]
    out = IfElse(len(pairs))(condition, *[a for a, _ in pairs], *[b for _, b in pairs])
    out = out if isinstance(out, list) else [out]
    if name is not None:
        for v in out:
            v.name = name
    return out[0] if single else out
