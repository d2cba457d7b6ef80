"""The CUDA driver's rules for single steps: device views, and launches of
``symnet.codegen.cudalib`` kernels, one function per op type (``symnet.codegen.rules``)."""

from __future__ import annotations

from symnet.codegen.emit.cpu_rules import along, argmax_extents, empty, resolved_spec
from symnet.codegen.emit.numba_cpu import NUMPY_DTYPE
from symnet.codegen.emit.printer import Lines
from symnet.codegen.rules import BUFFER, CUDA as rule, SCALAR, VIEW
from symnet.ops.ifelse import Branches
from symnet.ops.conv import Conv2d, Conv2dGradInput, Conv2dGradWeight, Pool2d, Pool2dGrad
from symnet.ops.linalg import Matmul
from symnet.ops.nnet import OneHot
from symnet.ops.random import RandomUniform
from symnet.ops.reduction import Argmax, Argsort, Cumulate, ShapeI
from symnet.ops.scan import Scan
from symnet.ops.shape import Concatenate, DimShuffle, Empty, Reshape, ReshapeLike, SplitPart, StopGradient
from symnet.ops.indexing import (
    ARange,
    IncSubtensor,
    SetSubtensor,
    Subtensor,
    Take,
    TakeAlongAxis,
    TakeAlongAxisGrad,
    TakeGrad,
)


def key_code(spec) -> str:
    """A basic index as Python code: ints, slice(...) and None (symnet's own values)."""
    parts = []
    for e in spec:
        if e is None:
            parts.append("None")
        elif isinstance(e, tuple):
            parts.append("slice(" + ", ".join("None" if p is None else str(p) for p in e) + ")")
        else:
            parts.append(str(e))
    return "(" + "".join(f"{p}, " for p in parts) + ")"


@rule(ShapeI)
def shape_i(d, node, o, a):
    d.emit(f"{o} = np.int64({d.env.of(node.inputs[0])[node.op.i]})")
    return SCALAR


@rule(StopGradient, view=True)
def stop_gradient(d, node, o, a):
    d.emit(f"{o} = {a[0]}")
    return VIEW


@rule(DimShuffle, view=True)
def dimshuffle(d, node, o, a):
    d.emit(f"{o} = cudalib.dimshuffle({a[0]}, {tuple(node.op.order)!r})")
    return VIEW


@rule(Subtensor, view=True)
def subtensor(d, node, o, a):
    d.emit(f"{o} = cudalib.index({a[0]}, {key_code(resolved_spec(d, node, 1))})")
    return VIEW


@rule(SplitPart, view=True)
def split_part(d, node, o, a):
    op, out = node.op, node.outputs[0]
    parts = [d.env.of(v)[op.axis] for v in node.inputs[1:]]
    start = " + ".join(parts[: op.k]) or "0"
    key = ["slice(None)"] * out.ndim
    key[op.axis] = f"slice({start}, {start} + {parts[op.k]})"
    d.emit(f"{o} = cudalib.index({a[0]}, ({', '.join(key)},))")
    return VIEW


@rule(Reshape, ReshapeLike, view=True)
def reshape(d, node, o, a):
    d.reshape(o, a[0], node.inputs[0], d.env.of(node.outputs[0]))
    return VIEW


@rule(Matmul)
def matmul(d, node, o, a):
    """The tiled kernel in cudalib; integer operands are multiplied in float64."""
    out = node.outputs[0]
    sizes = d.env.of(out)
    if out.dtype.startswith("float"):
        operands = [d.converted(n, v, out.dtype) for n, v in zip(a, node.inputs)]
        d.emit(f"{o} = {d.new_buffer(sizes, out.dtype)}")
        d.emit(f"cudalib.matmul_nd({operands[0]}, {operands[1]}, {o})")
        return BUFFER
    operands = [d.converted(n, v, "float64") for n, v in zip(a, node.inputs)]
    d.emit(f"{o}_f64 = {d.new_buffer(sizes, 'float64')}")
    d.emit(f"cudalib.matmul_nd({operands[0]}, {operands[1]}, {o}_f64)")
    d.emit(f"{o} = {d.new_buffer(sizes, out.dtype)}")
    d.copy_into(o, f"{o}_f64", sizes, out.dtype)
    return BUFFER


@rule(IncSubtensor, SetSubtensor)
def inc_subtensor(d, node, o, a):
    out = node.outputs[0]
    sizes = d.env.of(out)
    target = IncSubtensor.target(node)
    d.emit(f"{o} = {d.new_buffer(sizes, out.dtype)}")
    d.copy_into(o, a[0], sizes, out.dtype)
    d.emit(f"{o}_view = cudalib.index({o}, {key_code(resolved_spec(d, node, 2))})")
    view_sizes = [f"{o}_view.shape[{k}]" for k in range(target.ndim)]
    y = node.inputs[1]
    lead = target.ndim - y.ndim
    y_axes = tuple(None if y.type.broadcastable[j] and not target.broadcastable[lead + j] else lead + j for j in range(y.ndim))
    rank = target.ndim
    what, value = ("set", lambda x: x[1]) if isinstance(node.op, SetSubtensor) else ("add", lambda x: x[0] + x[1])
    d.elementwise_call(what, rank, [tuple(range(rank)), y_axes], value, out.dtype, [f"{o}_view", a[1]], f"{o}_view", view_sizes)
    return BUFFER


@rule(Concatenate)
def concatenate(d, node, o, a):
    op, out = node.op, node.outputs[0]
    d.emit(f"{o} = {d.new_buffer(d.env.of(out), out.dtype)}")
    start = "0"
    for name, v in zip(a, node.inputs):
        width = d.env.of(v)[op.axis]
        key = ["slice(None)"] * out.ndim
        key[op.axis] = f"slice({start}, {start} + {width})"
        d.emit(f"{o}_part = cudalib.index({o}, ({', '.join(key)},))")
        d.copy_into(f"{o}_part", name, d.env.of(v), out.dtype)
        start = f"{start} + {width}" if start != "0" else width
    return BUFFER


@rule(Take, when=lambda op: op.axis == 0)
def take(d, node, o, a):
    (x, idx), out = node.inputs, node.outputs[0]
    n, width, m = d.env.of(x)[0], d.count(d.env.of(x)[1:]), d.count(d.env.of(idx))
    xs, ids = d.contiguous(a[0], x), d.contiguous(a[1], idx)
    d.allocate_out(o, out)
    d.emit(f"cudalib.take_rows({xs}.reshape(({n}, {width})), {ids}.reshape(({m},)), {o}.reshape(({m}, {width})))")
    return BUFFER


@rule(TakeGrad, when=lambda op: op.axis == 0)
def take_grad(d, node, o, a):
    idx, g, out = node.inputs[1], node.inputs[2], node.outputs[0]
    sizes = d.env.of(out)
    n, width, m = sizes[0], d.count(sizes[1:]), d.count(d.env.of(idx))
    ids, gs = d.contiguous(a[1], idx), d.contiguous(a[2], g)
    d.allocate_out(o, out)
    d.emit(f"cudalib.take_rows_grad({ids}.reshape(({m},)), {gs}.reshape(({m}, {width})), {o}.reshape(({n}, {width})))")
    return BUFFER


@rule(TakeAlongAxis)
def take_along_axis(d, node, o, a):
    (x, idx), out, axis = node.inputs, node.outputs[0], node.op.axis
    before, n, after, m = along(d, out, x, idx, axis)
    xs = _broadcast_except_copy(d, a[0], x, d.env.of(out), axis)
    ids = _broadcast_except_copy(d, a[1], idx, d.env.of(out), axis)
    d.allocate_out(o, out)
    d.emit(f"cudalib.take_along({xs}.reshape(({before}, {n}, {after})), {ids}.reshape(({before}, {m}, {after})), {o}.reshape(({before}, {m}, {after})))")
    return BUFFER


@rule(TakeAlongAxisGrad)
def take_along_axis_grad(d, node, o, a):
    (x, idx, g), out, axis = node.inputs, node.outputs[0], node.op.axis
    before, n, after, m = along(d, g, x, idx, axis)
    ids = _broadcast_except_copy(d, a[1], idx, d.env.of(g), axis)
    gs = d.contiguous(a[2], g)
    d.allocate_out(o, out)
    d.emit(f"cudalib.take_along_grad({ids}.reshape(({before}, {m}, {after})), {gs}.reshape(({before}, {m}, {after})), {o}.reshape(({before}, {n}, {after})))")
    return BUFFER


def _broadcast_except_copy(d, name: str, v, sizes, axis: int) -> str:
    """``v`` broadcast to ``sizes`` on every axis but ``axis``, C-contiguous (a copy where
    it broadcasts)."""
    if not any(v.type.broadcastable[k] and sizes[k] != "1" for k in range(v.ndim) if k != axis):
        return d.contiguous(name, v)
    full = tuple(d.env.of(v)[k] if k == axis else sizes[k] for k in range(v.ndim))
    axes = tuple(k if k == axis or not v.type.broadcastable[k] else None for k in range(v.ndim))
    d.emit(f"{name}_b = {d.new_buffer(full, v.dtype)}")
    d.elementwise_call("copy", v.ndim, [axes], lambda x: x[0], v.dtype, [name], f"{name}_b", full)
    return f"{name}_b"


rule(Empty)(empty)  # the CPU's rule: it only asks the printer for a buffer


@rule(ARange)
def arange(d, node, o, a):
    start, stop, step = (d.env.value(v, node) for v in node.inputs)
    d.emit(f"{o} = cudalib.to_device(np.arange({start}, {stop}, {step}, {NUMPY_DTYPE[node.outputs[0].dtype]}))")
    return BUFFER


@rule(OneHot)
def one_hot(d, node, o, a):
    out = node.outputs[0]
    d.allocate_out(o, out)
    idx = d.contiguous(a[0], node.inputs[0])
    rows = d.count(d.env.of(node.inputs[0]))
    d.emit(f"cudalib.one_hot({idx}.reshape(({rows},)), {o}.reshape(({rows}, {d.env.of(out)[-1]})))")
    return BUFFER


def _along_axis(d, node, o, routine: str, x: str, *flags) -> str:
    """``cudalib.<routine>(x, *flags, out)`` with x and out (of x's shape) seen as (before, n,
    after) around the op's axis."""
    shape = "(" + ", ".join(argmax_extents(d, node)) + ")"
    xs = d.contiguous(x, node.inputs[0])
    d.allocate_out(o, node.outputs[0])
    d.emit(f"cudalib.{routine}({', '.join([f'{xs}.reshape({shape})', *flags, f'{o}.reshape({shape})'])})")
    return BUFFER


@rule(Cumulate)
def cumulate(d, node, o, a):
    out = node.outputs[0]
    xs = d.converted(a[0], node.inputs[0], out.dtype) if node.inputs[0].dtype != out.dtype else a[0]
    return _along_axis(d, node, o, "cumulate", xs, str(node.op.kind == "prod"))


@rule(Argsort)
def argsort(d, node, o, a):
    return _along_axis(d, node, o, "argsort", a[0])


@rule(Argmax)
def argmax(d, node, o, a):
    extents = argmax_extents(d, node)
    xs = d.contiguous(a[0], node.inputs[0])
    d.allocate_out(o, node.outputs[0])
    d.emit(f"cudalib.argmax({xs}.reshape(({', '.join(extents)})), {o}.reshape(({extents[0]}, {extents[2]})))")
    return BUFFER


@rule(Conv2d, Conv2dGradInput, Conv2dGradWeight)
def conv2d(d, node, o, a):
    op, out = node.op, node.outputs[0]
    operands = [d.contiguous(d.converted(n, v, out.dtype), v) for n, v in zip(a, node.inputs) if v in op.value_inputs(node)]
    d.allocate_out(o, out)
    params = [str(p) for p in op.stride + op.padding]
    d.emit(f"cudalib.{op.name}({', '.join(operands + params)}, {o})")
    return BUFFER


@rule(Pool2d, Pool2dGrad)
def pool2d(d, node, o, a):
    op, out = node.op, node.outputs[0]
    average = op.kind == "avg"
    values = [d.contiguous(d.converted(n, v, out.dtype) if average else n, v) for n, v in zip(a, node.inputs)]
    if isinstance(op, Pool2dGrad) and average:
        values = [values[1], values[1]]  # x is not read: g stands in for it
    d.allocate_out(o, out)
    params = [str(p) for p in op.size + op.stride] + [str(average)]
    routine = "pool2d_grad" if isinstance(op, Pool2dGrad) else "pool2d"
    d.emit(f"cudalib.{routine}({', '.join(values + params)}, {o})")
    return BUFFER


@rule(RandomUniform)
def random_uniform(d, node, o, a):
    counter = a[0]  # a driver scalar, or the stream's 0-d state on the device
    out = node.outputs[0]
    d.allocate_out(o, out)
    d.emit(f"cudalib.random_uniform({node.op.seed}, {counter}, {out.dtype == 'float32'}, {o})")
    return BUFFER



def _on_device(d, v, name: str) -> str:
    """``name``, or a 0-d device array holding it where ``v`` is a number in the driver."""
    return f"cudalib.to_device(np.asarray({name}, np.{v.dtype}))" if v in d.plan.scalars else name


@rule(Scan, when=lambda op: op.compilable)
def scan(d, node, o, a):
    """The loop in the host driver: the step is a CUDA driver of its own (``d.step_module``),
    called once per step on device views of the step's slices; its outputs are copied into
    the stacked outputs by a copy kernel, its states fed back."""
    op = node.op
    alias = d.step_module(op.inner_inputs + [op.step], op.inner_outputs)
    if alias is None:
        return d.plan.fallback(node, a, d)
    plan, env = d.plan, d.env
    n, seqs, inits, consts = op.split(node.inputs)
    names = dict(zip(node.inputs, a))

    def device(v, name):
        return _on_device(d, v, name)

    steps = env.of(seqs[0])[0] if seqs else str(op.n_static)
    outs = [plan.name(v) for v in node.outputs]
    for k, v in enumerate(node.outputs):
        if not op.keep_last[k]:
            d.allocate_out(outs[k], v)
    states = []
    for j, init in enumerate(inits):
        if init in plan.scalars:
            d.emit(f"{o}_h{j} = {device(init, names[init])}")
            states.append(f"{o}_h{j}")
        else:
            states.append(d.copy_of(init, f"{o}_h{j}"))
    for k, c in enumerate(consts):
        if c in plan.scalars:
            d.emit(f"{o}_c{k} = {device(c, names[c])}")
    args = [f"cudalib.index({names[s]}, (t,))" for s in seqs] + states
    args += [f"{o}_c{k}" if c in plan.scalars else names[c] for k, c in enumerate(consts)]
    d.emit(f"{o}_t = cudalib.to_device(np.arange({steps}, dtype=np.int64))")
    args.append(f"cudalib.index({o}_t, (t,))")
    recurrent = [k for k, taps in enumerate(op.taps) if taps]
    lines = Lines()
    with lines.block(f"for i in range({steps}):"):
        lines.add(f"t = {steps} - 1 - i" if op.reverse else "t = i")
        lines.add(f"r = {alias}.run({', '.join(args)})")
        for k, v in enumerate(node.outputs):
            if not op.keep_last[k]:
                step_sizes = list(env.of(v)[1:])  # every step's, checked before the loop
                rank = len(step_sizes)
                lines.add(d.helper_launch("copy", rank, [tuple(range(rank))], lambda x: x[0], v.dtype, [f"r[{k}]"],
                                          f"cudalib.index({outs[k]}, (t,))", step_sizes))
            if k in recurrent:
                lines.add(f"{states[recurrent.index(k)]} = r[{k}]")
    plan.add(lines.lines)
    for k in recurrent:
        if op.keep_last[k]:
            d.emit(f"{outs[k]} = {states[recurrent.index(k)]}")
    return BUFFER


@rule(Branches)
def branches(d, node, o, a):
    """An ifelse in the host driver: each branch a CUDA driver of its own (``d.step_module``),
    the one the condition picks called, its outputs copied into this node's by a copy kernel
    (a branch may return one of its inputs)."""
    op = node.op
    aliases = [d.step_module(op.inner_inputs, outputs) for outputs in op.branches]
    if None in aliases:
        return d.plan.fallback(node, a, d)
    args = []
    for k, (v, name) in enumerate(zip(node.inputs[1:], a[1:])):
        if v in d.plan.scalars:
            d.emit(f"{o}_c{k} = {_on_device(d, v, name)}")
            name = f"{o}_c{k}"
        args.append(name)
    outs = [d.plan.name(v) for v in node.outputs]
    for name, v in zip(outs, node.outputs):
        d.allocate_out(name, v)
    condition = a[0] if node.inputs[0] in d.plan.scalars else f"cudalib.scalar({a[0]})"
    lines = Lines()
    for keyword, alias in zip((f"if {condition}:", "else:"), aliases):
        with lines.block(keyword):
            lines.add(f"r = {alias}.run({', '.join(args)})")
    for k, v in enumerate(node.outputs):
        sizes = list(d.env.of(v))
        rank = len(sizes)
        lines.add(d.helper_launch("copy", rank, [tuple(range(rank))], lambda x: x[0], v.dtype, [f"r[{k}]"], outs[k], sizes))
    d.plan.add(lines.lines)
    return BUFFER
