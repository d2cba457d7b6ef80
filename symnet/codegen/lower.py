"""Lowering: a fused region → a Kernel (loop nest, loads through broadcast indexing, stores).

The region's elementwise nodes become one sympy expression per stored value (their
expressions substituted into each other); ``sympy.cse`` shares what they repeat.
"""

from __future__ import annotations

import re

import sympy

from symnet.codegen.loopir import Kernel, Load, Reduction, Store
from symnet.graph import Constant, Variable
from symnet.ops.elementwise import Elemwise
from symnet.ops.reduction import Reduce
from symnet.ops.shape import BroadcastLike


def identifier(text: str, fallback: str = "v") -> str:
    """A safe Python identifier from user text: letters, digits and underscores only."""
    cleaned = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")[:40]
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"{fallback}_{cleaned}" if cleaned else fallback
    return cleaned


def compute_dtype(variables) -> str:
    floats = [v.dtype for v in variables if v.dtype.startswith("float")]
    if not floats:
        return "int64"
    return "float64" if "float64" in floats else "float32"


def lower_region(region, name: str, scalars: set, inline_constant) -> tuple:
    """(Kernel, argument variables) for a region.

    ``scalars``: variables the driver holds as scalars (passed by value).
    ``inline_constant(constant, dtype)`` returns the name of a typed module constant.
    """
    space = region.space
    rank = space.ndim
    inside_values = [v for n in region.nodes for v in n.outputs]
    dtype = compute_dtype(region.inputs + inside_values)
    env: dict = {}
    loads, array_inputs, scalar_inputs, constants = [], [], [], []
    array_arguments, scalar_arguments, arguments = [], [], []
    symbol_of_name: dict = {}

    def new_symbol(text: str):
        symbol = sympy.Symbol(text, real=True)
        symbol_of_name[text] = symbol
        return symbol

    for k, v in enumerate(region.inputs):
        if isinstance(v, Constant) and v.ndim == 0:
            constants.append(inline_constant(v, dtype))
            env[v] = new_symbol(constants[-1])
        elif v in scalars:
            param = f"s{k}"
            scalar_inputs.append(param)
            scalar_arguments.append(v)
            env[v] = new_symbol(param)
        else:
            param = f"a{k}"
            array_inputs.append(param)
            array_arguments.append(v)
            loads.append(Load(f"x{k}", param, _load_axes(v, space)))
            env[v] = new_symbol(f"x{k}")

    arguments = array_arguments + scalar_arguments  # the order of Kernel.params

    # A value the region uses twice is bound to a local: the graph computed it once, so
    # must the loop (substituting it twice would also let sympy rewrite e*e as exp(2x)).
    uses: dict = {}
    for node in region.nodes:
        for v in node.op.value_inputs(node):
            uses[v] = uses.get(v, 0) + 1
    bound = []
    reduction_node = None
    for node in region.nodes:
        out = node.outputs[0]
        if isinstance(node.op, Elemwise):
            symbols, expr = node.op.expression()
            env[out] = expr.xreplace(dict(zip(symbols, (env[v] for v in node.inputs))))
        elif isinstance(node.op, BroadcastLike):
            env[out] = env[node.inputs[0]]
        elif isinstance(node.op, Reduce):
            reduction_node = node
            continue
        else:
            raise TypeError(f"cannot fuse {node.op} into a loop")
        if uses.get(out, 0) + (out in region.outputs) > 1 and not env[out].is_Atom:
            symbol = new_symbol(f"v{len(bound)}")
            bound.append((symbol, env[out]))
            env[out] = symbol

    stored = [v for v in region.outputs if v.owner is not reduction_node]
    values = [e for _, e in bound] + [env[v] for v in stored]
    if reduction_node is not None:
        values.append(env[reduction_node.inputs[0]])
    # Small integer powers print as products (b*b): a compound base must be a temporary, or
    # it is computed once per factor. Listing the bases beside the values makes cse bind them.
    bases = list({p.base: None for e in values for p in e.atoms(sympy.Pow) if _is_product_power(p)})
    replacements, reduced = sympy.cse(values + bases, symbols=sympy.numbered_symbols("t", real=True))
    reduced = reduced[: len(values)]
    assignments = list(replacements) + [(s, e) for (s, _), e in zip(bound, reduced)]
    temporaries = [(str(s), e) for s, e in _in_dependency_order(assignments)]
    reduced = reduced[len(bound) :]

    outputs = []
    stores = []
    for k, (v, value) in enumerate(zip(stored, reduced)):
        param = f"out{k}"
        outputs.append(param)
        arguments.append(v)
        stores.append(Store(param, _load_axes(v, space), value, v.dtype))
    reduction = None
    if reduction_node is not None:
        op = reduction_node.op
        param = f"out{len(outputs)}"
        outputs.append(param)
        arguments.append(reduction_node.outputs[0])
        reduction = Reduction(param, op.kind, op.axes, op.keepdims, reduced[-1], reduction_node.outputs[0].dtype)
    kernel = Kernel(
        name,
        region.kind,
        rank,
        array_inputs,
        scalar_inputs,
        outputs,
        loads,
        temporaries,
        stores,
        reduction,
        dtype,
        list(region.nodes),
        constants,
    )
    return kernel, arguments


def _is_product_power(p) -> bool:
    """A power the scalar printer writes as a product of its base with a compound base."""
    return p.exp.is_Integer and 2 <= abs(int(p.exp)) <= 4 and not p.base.is_Atom


def _in_dependency_order(assignments: list) -> list:
    """Assignments ordered so each comes after those whose symbols it uses."""
    pending = list(assignments)
    defined = {s for s, _ in assignments}
    done: set = set()
    ordered = []
    while pending:
        for k, (symbol, expr) in enumerate(pending):
            if not (expr.free_symbols & defined) - done:
                ordered.append(pending.pop(k))
                done.add(symbol)
                break
        else:
            raise AssertionError("cyclic temporaries")
    return ordered


def _load_axes(v: Variable, space: Variable) -> tuple:
    """Loop axis per axis of ``v`` (right-aligned), None where v broadcasts."""
    lead = space.ndim - v.ndim
    axes = []
    for j in range(v.ndim):
        broadcast = v.type.broadcastable[j] and not space.type.broadcastable[lead + j]
        axes.append(None if broadcast else lead + j)
    return tuple(axes)
