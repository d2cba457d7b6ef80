"""Reverse-mode differentiation over the graph: each op's pullback adds nodes, cotangents add up."""

from __future__ import annotations

from symnet import expr as T
from symnet.errors import DisconnectedInputError
from symnet.graph import Variable, toposort
from symnet.tensor_type import is_float


def grad(cost, wrt, consider_constant=None, disconnected: str = "raise"):
    """Gradient of the scalar ``cost`` with respect to ``wrt`` (a variable or a list).

    The cost is first stabilized (``log(sigmoid(x))`` → ``-softplus(-x)``, …), so gradients
    of stable forms are differentiated. No gradient flows through the variables of
    ``consider_constant`` (Theano's: they are treated as constants). ``disconnected="zero"``
    returns zeros for variables the cost does not depend on (or only without a gradient)
    instead of raising ``DisconnectedInputError``.
    """
    from symnet.rewrite.passes import stabilize_for_grad

    if disconnected not in ("raise", "zero"):
        raise ValueError(f"disconnected must be 'raise' or 'zero', not {disconnected!r}")
    single = isinstance(wrt, Variable)
    if not single and not isinstance(wrt, (list, tuple)):
        raise TypeError(f"grad: wrt must be a variable or a list of them, got {wrt!r}")
    wrt_list = [wrt] if single else list(wrt)
    cost = T.as_tensor(cost, what="grad: cost")
    if cost.ndim != 0:
        raise TypeError(f"grad needs a scalar cost, got {cost.type} (take .sum() or .mean() first)")
    if not is_float(cost.dtype):
        raise TypeError(f"grad needs a float cost, got {cost.dtype}")
    for v in wrt_list:
        if not isinstance(v, Variable):
            raise TypeError(f"wrt must hold symbolic variables, got {type(v).__name__}")
        if not is_float(v.dtype):
            raise TypeError(f"cannot differentiate with respect to {v.label()} of dtype {v.dtype}")
    constants = _as_variables(consider_constant, "consider_constant")
    cost = stabilize_for_grad(cost, wrt_list + constants)
    cotangents = backprop(cost, T.constant(1.0, cost.dtype), wrt_list, constants)
    grads = []
    for v in wrt_list:
        g = cotangents.get(v)
        if g is None:
            if disconnected == "raise":
                raise DisconnectedInputError(_disconnected(cost, v, constants))
            g = T.zeros_like(v)
        grads.append(g)
    return grads[0] if single else grads


def _as_variables(values, what: str) -> list:
    if values is None:
        return []
    values = [values] if isinstance(values, Variable) else values
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, Variable) for v in values):
        raise TypeError(f"grad: {what} must be a list of symbolic variables, got {values!r}")
    return list(values)


def _disconnected(cost: Variable, v: Variable, constants: list) -> str:
    """Why the cost has no gradient for ``v``: no dependence at all, or one that no gradient
    crosses (a comparison, an integer cast, argmax, a consider_constant variable)."""
    if v not in graph_inputs_and_nodes(cost):
        return f"cost does not depend on {v.label()}; pass disconnected='zero' to get zeros"
    through = " or a consider_constant variable" if constants else ""
    return (f"cost depends on {v.label()} only through operations without a gradient (a comparison, an integer "
            f"cast, argmax, stop_gradient{through}); pass disconnected='zero' to get zeros")


def graph_inputs_and_nodes(cost: Variable) -> set:
    """Every variable ``cost`` is computed from, itself included."""
    seen = {cost}
    for node in toposort([cost]):
        seen.update(node.inputs)
        seen.update(node.outputs)
    return seen


def backprop(cost: Variable, seed: Variable, wrt, constants=()) -> dict:
    """Cotangents of every variable between ``wrt`` and ``cost``, seeded with ``seed``; none
    flows through ``constants``."""
    constants = set(constants)
    nodes = _nodes_between(cost, wrt, constants)
    cotangents = {cost: seed}
    for node in reversed(nodes):
        outs = [cotangents.get(v) for v in node.outputs]
        if all(g is None for g in outs):
            continue
        input_cotangents = node.op.pullback(node, outs)
        for x, g in zip(node.inputs, input_cotangents):
            if g is None or not is_float(x.dtype) or x in constants:
                continue
            g = _fit(g, x)
            cotangents[x] = g if x not in cotangents else cotangents[x] + g
    return cotangents


def _nodes_between(cost: Variable, wrt, constants=frozenset()) -> list:
    """Nodes on a path from some ``wrt`` to ``cost`` that crosses none of ``constants``: only
    these need a pullback.

    A wrt variable is a leaf here even if it has an owner: gradients stop at it.
    """
    targets = set(wrt)
    order = toposort([cost])
    reaches = set(targets)
    on_path = []
    for node in order:
        if any(v in reaches for v in node.inputs):
            on_path.append(node)
            reaches.update(v for v in node.outputs if v not in targets and v not in constants)
    return on_path


def _fit(g: Variable, x: Variable) -> Variable:
    """A cotangent with exactly x's type (a pullback may return a broadcast or wider dtype)."""
    if g.ndim > x.ndim or any(t == 1 and s != 1 for t, s in zip(x.type.shape, g.type.shape)):
        g = T.sum_to(g, x.type)
    return T.cast(g, x.dtype)


# -- products with the Jacobian, Jacobians and Hessians (Theano's Lop, Rop, jacobian, hessian) --


def _listed(value):
    return (list(value), False) if isinstance(value, (list, tuple)) else ([value], True)


def Lop(f, wrt, eval_points, consider_constant=None, disconnected: str = "raise"):
    """vᵀ J: the cotangents ``eval_points`` (one per ``f``, of its shape) pulled back through
    ``f`` to ``wrt`` — ``grad(sum(f * v), wrt)``. Lists in, lists out, as in Theano."""
    fs, _ = _listed(f)
    vs, _ = _listed(eval_points)
    if len(fs) != len(vs):
        raise ValueError(f"Lop: {len(fs)} expressions but {len(vs)} eval_points")
    total = None
    for fk, vk in zip(fs, vs):
        fk = T.as_tensor(fk, what="Lop: f")
        term = T.sum(T.cast(fk, "float64") * T.cast(T.as_tensor(vk, fk, what="Lop: eval_points"), "float64"))
        total = term if total is None else total + term
    grads = grad(total, wrt, consider_constant=consider_constant, disconnected=disconnected)
    return grads


def Rop(f, wrt, eval_points, disconnected: str = "zero"):
    """J v: the tangents ``eval_points`` (one per ``wrt``) pushed forward through ``f``, by
    reverse mode twice: the pullback of a placeholder cotangent u is linear in u, and its
    gradient with respect to u, taken along v, is J v (u itself then drops out)."""
    fs, single = _listed(f)
    ws, _ = _listed(wrt)
    vs, _ = _listed(eval_points)
    if len(ws) != len(vs):
        raise ValueError(f"Rop: {len(ws)} variables but {len(vs)} eval_points")
    fs = [T.as_tensor(fk, what="Rop: f") for fk in fs]
    placeholders = [Variable(fk.type.with_dtype("float64"), name=f"rop_u{k}") for k, fk in enumerate(fs)]
    pulled = Lop(fs, ws, placeholders, disconnected="zero")
    pulled = pulled if isinstance(pulled, list) else [pulled]
    along = None
    for g, v in zip(pulled, vs):
        term = T.sum(T.cast(g, "float64") * T.cast(T.as_tensor(v, g, what="Rop: eval_points"), "float64"))
        along = term if along is None else along + term
    out = grad(along, placeholders, disconnected=disconnected)
    zeros = {u: T.zeros_like(T.cast(fk, "float64")) for u, fk in zip(placeholders, fs)}
    out = [T.cast(r, fk.dtype if is_float(fk.dtype) else "float64") for r, fk in zip(T.clone_replace(out, zeros), fs)]
    return out[0] if single else out


def jacobian(expression, wrt, consider_constant=None, disconnected: str = "raise"):
    """d expression[i] / d wrt for every i of a vector ``expression``: shape
    ``expression.shape + wrt.shape`` (one row per element, computed by a scan)."""
    from symnet.ops.scan import scan

    expression = T.as_tensor(expression, what="jacobian: expression")
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant=consider_constant, disconnected=disconnected)
    if expression.ndim != 1:
        raise TypeError(f"jacobian needs a vector expression, got {expression.type}; flatten it first")
    ws, single = _listed(wrt)

    def row(i):
        return grad(expression[i], ws, consider_constant=consider_constant, disconnected=disconnected)

    rows, _ = scan(row, sequences=T.arange(expression.shape[0]), name="jacobian")
    rows = rows if isinstance(rows, list) else [rows]
    return rows[0] if single else rows


def hessian(cost, wrt, consider_constant=None, disconnected: str = "raise"):
    """The matrix of second derivatives of a scalar ``cost`` for each vector in ``wrt``."""
    ws, single = _listed(wrt)
    out = []
    for w in ws:
        if not isinstance(w, Variable) or w.ndim != 1:
            raise TypeError(f"hessian needs vectors to differentiate with respect to, got {getattr(w, 'type', w)}")
        g = grad(cost, w, consider_constant=consider_constant, disconnected=disconnected)
        out.append(jacobian(g, w, consider_constant=consider_constant, disconnected="zero"))
    return out[0] if single else out
