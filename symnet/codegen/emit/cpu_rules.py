"""The CPU driver's rules for single steps: views, BLAS products, and calls of
``symnet.codegen.cpulib`` routines, one function per op type (``symnet.codegen.rules``)."""

from __future__ import annotations

from symnet.codegen.emit.numba_cpu import NUMPY_DTYPE
from symnet.codegen.emit.printer import Lines
from symnet.codegen.rules import BUFFER, CPU as rule, SCALAR, VIEW
from symnet.ops.ifelse import Branches
from symnet.ops.conv import Conv2d, Conv2dGradInput, Conv2dGradWeight, Pool2d, Pool2dGrad
from symnet.ops.linalg import Matmul
from symnet.ops.nnet import OneHot
from symnet.ops.random import RandomUniform
from symnet.ops.reduction import Argmax, Argsort, Cumulate, ShapeI
from symnet.ops.scan import Scan
from symnet.ops.shape import (
    Concatenate,
    DimShuffle,
    Empty,
    Reshape,
    ReshapeLike,
    SplitPart,
    StopGradient,
    resolve,
)
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


def _dtype(v) -> str:
    return NUMPY_DTYPE[v.dtype]


def sizes_code(sizes) -> str:
    return "(" + "".join(f"{s}, " for s in sizes) + ")"


def index_code(spec) -> str:
    parts = []
    for e in spec:
        if e is None:
            parts.append("None")
        elif isinstance(e, tuple):
            parts.append(":".join("" if v is None else str(v) for v in e))
        else:
            parts.append(str(e))
    return ", ".join(parts) if parts else "()"


@rule(ShapeI)
def shape_i(d, node, o, a):
    d.emit(f"{o} = np.int64({d.env.of(node.inputs[0])[node.op.i]})")
    return SCALAR


@rule(StopGradient, view=True)
def stop_gradient(d, node, o, a):
    d.emit(f"{o} = {a[0]}")
    return VIEW


@rule(Matmul)
def matmul(d, node, o, a):
    """BLAS through np.dot (``cpulib.dot_into``): one call, or one per batch element
    (broadcast batch axes index 0). BLAS multiplies floats: integer products go through
    float64."""
    out = node.outputs[0]
    shape = sizes_code(d.env.of(out))
    dt = _dtype(out)
    compute = dt if out.dtype.startswith("float") else "np.float64"
    x, y = (f"{n}.astype({compute})" if v.dtype != out.dtype or compute != dt else n for n, v in zip(a, node.inputs))
    target = o if compute == dt else f"{o}_f64"
    d.emit(f"{target} = np.empty({shape}, {compute})")
    d.uses_cpulib = True
    batch_ndim = out.ndim - sum(v.ndim > 1 for v in node.inputs)
    if out.ndim == 0:
        d.emit(f"{target}[()] = np.dot({x}, {y})")
    elif batch_ndim == 0:
        d.emit(f"launch(cpulib.dot_into, {x}, {y}, {target})")
    else:
        if x != a[0] or y != a[1]:
            d.emit(f"{o}_x = {x}")
            d.emit(f"{o}_y = {y}")
            x, y = f"{o}_x", f"{o}_y"

        def operand(name, v):
            k = max(v.ndim - 2, 0)
            lead = batch_ndim - k
            index = ["0" if v.type.broadcastable[j] else f"u{lead + j}" for j in range(k)]
            return f"{name}[{', '.join(index)}]" if index else name

        sizes = d.env.of(out)[:batch_ndim]
        statement = f"launch(cpulib.dot_into, {operand(x, node.inputs[0])}, {operand(y, node.inputs[1])}, {target}[{{index}}])"
        d.loop_section(sizes, statement)
    if target != o:
        d.emit(f"{o} = {target}.astype({dt})")
    return BUFFER


@rule(DimShuffle, view=True)
def dimshuffle(d, node, o, a):
    order, x = node.op.order, node.inputs[0]
    view = _dimshuffle_view(order, a[0], x.ndim)
    if view is not None:
        d.emit(f"{o} = {view}")
        return VIEW
    # np.transpose with an axes tuple takes seconds to compile: a library routine copies
    out = node.outputs[0]
    d.emit(f"{o} = np.empty({sizes_code(d.env.of(out))}, {_dtype(out)})")
    if out.ndim:
        d.uses_cpulib = True
        axes = ", ".join("-1" if k == "x" else str(k) for k in order)
        d.emit(f"launch(cpulib.permute_into, {o}, {a[0]}, ({axes},))")
        return BUFFER
    position = {k: j for j, k in enumerate(order) if k != "x"}
    src_index = ", ".join(f"u{position[j]}" if j in position else "0" for j in range(x.ndim))
    d.loop_section(d.env.of(out), f"{o}[{{index}}] = {a[0]}[{src_index or '()'}]")
    return BUFFER


def _dimshuffle_view(order, x: str, ndim: int) -> str | None:
    """A view for drops, new axes and 2-d transposes; None for other permutations."""
    kept = [k for k in order if k != "x"]
    dropped = [k for k in range(ndim) if k not in kept]
    if not kept and ndim:
        return None  # x[0] of a 1-d array is a scalar in Numba, not a 0-d array: no view of it
    code = x
    if dropped:
        code = f"{code}[{', '.join('0' if k in dropped else ':' for k in range(ndim))}]"
    rank = {k: r for r, k in enumerate(sorted(kept))}
    perm = [rank[k] for k in kept]
    if perm == [1, 0]:
        code = f"{code}.T"
    elif perm != sorted(perm):
        return None
    if "x" in order:
        code = f"{code}[{', '.join('None' if k == 'x' else ':' for k in order)}]"
    return code


@rule(Reshape, ReshapeLike, view=True)
def reshape(d, node, o, a):
    out = node.outputs[0]
    if out.ndim == 0:
        d.emit(f"{o} = np.empty((), {_dtype(out)})")
        d.emit(f"{o}[()] = np.ascontiguousarray({a[0]}).reshape(-1)[0]")
        return BUFFER
    d.emit(f"{o} = np.ascontiguousarray({a[0]}).reshape({sizes_code(d.env.of(out))})")
    return VIEW


def resolved_spec(d, node, first: int) -> tuple:
    """The node's index spec with symbolic entries as the driver's code for their values
    (its bound inputs start at ``first``)."""
    return resolve(node.op.spec, [d.env.value(v, node) for v in node.inputs[first:]])


@rule(Subtensor, view=True)
def subtensor(d, node, o, a):
    out = node.outputs[0]
    index = index_code(resolved_spec(d, node, 1))
    if out.ndim == 0:
        d.emit(f"{o} = np.empty((), {_dtype(out)})")
        d.emit(f"{o}[()] = {a[0]}[{index}]")
        return BUFFER
    d.emit(f"{o} = {a[0]}[{index}]")
    return VIEW


@rule(SplitPart, view=True)
def split_part(d, node, o, a):
    op, ins, out = node.op, node.inputs, node.outputs[0]
    sizes = [d.env.of(v)[op.axis] for v in ins[1:]]
    start = " + ".join(sizes[: op.k]) or "0"
    index = [":"] * out.ndim
    index[op.axis] = f"{start}:{start} + {sizes[op.k]}" if op.k else f":{sizes[0]}"
    d.emit(f"{o} = {a[0]}[{', '.join(index)}]")
    return VIEW


@rule(IncSubtensor, SetSubtensor)
def inc_subtensor(d, node, o, a):
    """x with y added into (or written over) a view of it, in x's buffer where x dies here."""
    out = node.outputs[0]
    write = "=" if isinstance(node.op, SetSubtensor) else "+="
    target = IncSubtensor.target(node)
    x, y = node.inputs[:2]
    index = index_code(resolved_spec(d, node, 2))
    if d.plan.owns_dying(x, out.dtype, y):
        # x's own buffer, read by no later step: add into it instead of a copy
        d.plan.fresh.discard(x)  # now out's buffer: never free for reuse
        d.emit(f"{o} = {a[0]}")
    else:
        d.emit(f"{o} = {a[0]}.astype({_dtype(out)})")
    if target.ndim == 0:
        d.emit(f"{o}[{index}] {write} {a[1]}[()]")
        return BUFFER
    # slice assignment compiles for seconds in Numba; a loop over the view does not
    d.emit(f"{o}_view = {o}[{index}]")
    lead = target.ndim - y.ndim
    y_index = ["0" if y.type.broadcastable[j] and not target.broadcastable[lead + j] else f"u{lead + j}" for j in range(y.ndim)]
    if y.ndim == target.ndim and all(i != "0" for i in y_index):
        d.uses_cpulib = True  # the loop inline costs LLVM 16 vectorized copies for a (16, n) view
        d.emit(f"launch(cpulib.{'add_into' if write == '+=' else 'copy_into'}, {o}_view, {a[1]})")
        return BUFFER
    view_sizes = [f"{o}_view.shape[{k}]" for k in range(target.ndim)]
    d.loop_section(view_sizes, f"{o}_view[{{index}}] {write} {a[1]}[{', '.join(y_index) or '()'}]")
    return BUFFER


@rule(Take, when=lambda op: op.axis == 0)
def take(d, node, o, a):
    return call(d, "take_rows", node, a)


@rule(TakeGrad, when=lambda op: op.axis == 0)
def take_grad(d, node, o, a):
    return call(d, "take_rows_grad", node, a[1:])


@rule(TakeAlongAxis)
def take_along_axis(d, node, o, a):
    (x, idx), out, axis = node.inputs, node.outputs[0], node.op.axis
    operands = [_broadcast_except(d, n, v, d.env.of(out), axis) for n, v in zip(a, node.inputs)]
    return call(d, "take_along", node, operands + along(d, out, x, idx, axis))


@rule(TakeAlongAxisGrad)
def take_along_axis_grad(d, node, o, a):
    (x, idx, g), axis = node.inputs, node.op.axis
    operands = [_broadcast_except(d, a[1], idx, d.env.of(g), axis), a[2]]
    return call(d, "take_along_grad", node, operands + along(d, g, x, idx, axis))


def _broadcast_except(d, name: str, v, sizes, axis: int) -> str:
    """``v`` broadcast to ``sizes`` on every axis but ``axis`` (a view), where needed."""
    if not any(v.type.broadcastable[k] and sizes[k] != "1" for k in range(v.ndim) if k != axis):
        return name
    full = tuple(d.env.of(v)[k] if k == axis else sizes[k] for k in range(v.ndim))
    return f"np.broadcast_to({name}, {sizes_code(full)})"


def along(d, frame, x, idx, axis: int) -> list:
    """(before, n, after, m): the gather seen as (before, n, after) values and (before, m,
    after) indices; ``frame`` has the broadcast sizes of the other axes."""
    sizes = d.env.of(frame)
    before, after = " * ".join(sizes[:axis]) or "1", " * ".join(sizes[axis + 1 :]) or "1"
    return [before, d.env.of(x)[axis], after, d.env.of(idx)[axis]]


@rule(OneHot)
def one_hot(d, node, o, a):
    return call(d, "one_hot", node, a)


@rule(Empty)
def empty(d, node, o, a):
    d.emit(f"{o} = {d.new_buffer(d.env.of(node.outputs[0]), 'bool')}")
    return BUFFER


@rule(ARange)
def arange(d, node, o, a):
    start, stop, step = (d.env.value(v, node) for v in node.inputs)
    d.emit(f"{o} = np.arange({start}, {stop}, {step}).astype({_dtype(node.outputs[0])})")
    return BUFFER


@rule(Cumulate)
def cumulate(d, node, o, a):
    x = node.inputs[0]
    converted = a[0] if x.dtype == node.outputs[0].dtype else f"{a[0]}.astype({_dtype(node.outputs[0])})"
    return call(d, "cumulate", node, [converted] + argmax_extents(d, node) + [str(node.op.kind == "prod")])


@rule(Argsort)
def argsort(d, node, o, a):
    return call(d, "argsort", node, [a[0]] + argmax_extents(d, node))


@rule(Argmax)
def argmax(d, node, o, a):
    return call(d, "argmax", node, [a[0]] + argmax_extents(d, node))


def argmax_extents(d, node) -> list:
    """(before, n, after): argmax's input seen as (before, n, after), reduced over n."""
    axis = node.op.axis
    x = d.env.of(node.inputs[0])
    before, n, after = ((), x, ()) if axis is None else (x[:axis], (x[axis],), x[axis + 1 :])
    return [" * ".join(p) or "1" for p in (before, n, after)]


@rule(Conv2d, Conv2dGradInput, Conv2dGradWeight)
def conv2d(d, node, o, a):
    op, out = node.op, node.outputs[0]
    operands = [_as_dtype(n, v, out) for n, v in zip(a, node.inputs) if v in op.value_inputs(node)]
    return call(d, op.name, node, operands + [str(p) for p in op.stride + op.padding])


@rule(Pool2d, Pool2dGrad)
def pool2d(d, node, o, a):
    op, out = node.op, node.outputs[0]
    if isinstance(op, Pool2dGrad) and op.kind == "avg":
        a = a[1:]  # x is not read
    operands = [_as_dtype(a[0], node.inputs[0], out) if op.kind == "avg" else a[0]] + a[1:]
    return call(d, op.name, node, operands + [str(p) for p in op.size + op.stride])


@rule(RandomUniform)
def random_uniform(d, node, o, a):
    counter = a[0] if node.inputs[0] in d.plan.scalars else f"{a[0]}[()]"
    return call(d, node.op.name, node, [str(node.op.seed), counter, str(node.outputs[0].dtype == "float32")])


@rule(Concatenate)
def concatenate(d, node, o, a):
    parts = "".join(f"{n}.astype({_dtype(node.outputs[0])}), " for n in a)
    d.emit(f"{o} = np.concatenate(({parts}), {node.op.axis})")
    return BUFFER


def _as_dtype(name: str, v, out) -> str:
    """``name`` converted to ``out``'s dtype where it differs (BLAS multiplies one dtype)."""
    return name if v.dtype == out.dtype else f"{name}.astype({_dtype(out)})"


def call(d, routine: str, node, args) -> str:
    """The output = a new buffer filled by ``symnet.codegen.cpulib.<routine>(*args, out)``."""
    out = node.outputs[0]
    o = d.plan.name(out)
    d.uses_cpulib = True
    d.emit(f"{o} = np.empty({sizes_code(d.env.of(out))}, {_dtype(out)})")
    d.emit(f"launch(cpulib.{routine}, {', '.join(args)}, {o})")
    return BUFFER


def _as_array(d, v, name: str, array: str) -> str:
    """``name``, or where ``v`` is a number in the driver a 0-d array ``array`` holding it (an
    inner program, a loop's step or an ifelse's branch, takes arrays)."""
    if v not in d.plan.scalars:
        return name
    d.emit(f"{array} = np.empty((), {_dtype(v)})")
    d.emit(f"{array}[()] = {name}")
    return array


@rule(Scan, when=lambda op: op.compilable)
def scan(d, node, o, a):
    """The loop in the driver: the step is a program of its own (``d.step_module``: a cached
    module, compiled once however many steps run), launched once per step with the step's
    slices, the previous states and the constants, and writing its outputs into the rows of
    the stacked outputs (a recurrent one's row is the next step's state) or, for an output
    kept last, into one of two buffers that take turns as the state."""
    op = node.op
    alias = d.step_module(op.inner_inputs + [op.step], op.inner_outputs)
    if alias is None:
        return d.plan.fallback(node, a, d)
    plan, env = d.plan, d.env
    d.uses_cpulib = True
    n, seqs, inits, consts = op.split(node.inputs)
    names = dict(zip(node.inputs, a))
    steps = env.of(seqs[0])[0] if seqs else str(op.n_static)
    outs = [plan.name(v) for v in node.outputs]
    for k, v in enumerate(node.outputs):
        if not op.keep_last[k]:
            d.emit(f"{outs[k]} = {d.new_buffer(env.of(v), v.dtype)}")
    # the initial states in buffers of their own: the step writes into them
    states = []
    for j, init in enumerate(inits):
        state = f"{o}_h{j}"
        d.emit(f"{state} = {d.new_buffer(env.of(init), init.dtype)}")
        if init in plan.scalars:
            d.emit(f"{state}[()] = {names[init]}")
        else:
            d.copy_into(state, names[init], env.of(init))
        states.append(state)
    args = []
    for k, s in enumerate(seqs):
        if s.ndim == 1:  # a slice is a number in Numba: the step takes a 0-d array
            d.emit(f"{o}_x{k} = np.empty((), {_dtype(s)})")
        args.append(f"{o}_x{k}" if s.ndim == 1 else f"{names[s]}[t]")
    args += states
    for k, c in enumerate(consts):
        args.append(_as_array(d, c, names[c], f"{o}_c{k}"))
    d.emit(f"{o}_t = np.empty((), np.int64)")
    args.append(f"{o}_t")
    recurrent = [k for k, taps in enumerate(op.taps) if taps]
    after = []  # lines after each step
    for k, v in enumerate(node.outputs):
        state = states[recurrent.index(k)] if k in recurrent else None
        # the sizes of every step's outputs were checked before the loop
        if op.keep_last[k]:  # (then recurrent) the step never writes the state it reads
            d.emit(f"{state}_next = {d.new_buffer(env.of(v), v.dtype)}")
            args.append(f"{state}_next")
            after.append(f"{state}, {state}_next = {state}_next, {state}")
        elif v.ndim > 1:
            args.append(f"{outs[k]}[t]")
            if state:
                after.append(f"{state} = {outs[k]}[t]")
        else:  # a row is a number in Numba: the step writes a 0-d array
            d.emit(f"{o}_y{k} = np.empty((), {_dtype(v)})")
            args.append(f"{o}_y{k}")
            after.append(f"{outs[k]}[t] = {o}_y{k}[()]")
            if state:
                after.append(f"{state}[()] = {o}_y{k}[()]")
    variants = []
    for variant in ("serial", "parallel"):
        lines = Lines()
        with lines.block(f"for i in range({steps}):"):
            lines.add(f"t = {steps} - 1 - i" if op.reverse else "t = i")
            for k, s in enumerate(seqs):
                if s.ndim == 1:
                    lines.add(f"{o}_x{k}[()] = {names[s]}[t]")
            lines.add(f"{o}_t[()] = t")
            lines.add(f"launch({alias}.run_{variant}, {', '.join(args)})")
            for line in after:
                lines.add(line)
        variants.append(lines.lines)
    plan.add(*variants)
    for k in recurrent:
        if op.keep_last[k]:
            d.emit(f"{outs[k]} = {states[recurrent.index(k)]}")
    return BUFFER


@rule(Branches)
def branches(d, node, o, a):
    """An ifelse in the driver: each branch is a program of its own (``d.step_module``), and
    the driver launches the one the condition picks, writing into the outputs."""
    op = node.op
    aliases = [d.step_module(op.inner_inputs, outputs) for outputs in op.branches]
    if None in aliases:
        return d.plan.fallback(node, a, d)
    plan, env = d.plan, d.env
    args = [_as_array(d, v, name, f"{o}_c{k}") for k, (v, name) in enumerate(zip(node.inputs[1:], a[1:]))]
    for v in node.outputs:
        d.emit(f"{plan.name(v)} = {d.new_buffer(env.of(v), v.dtype)}")
    args += [plan.name(v) for v in node.outputs]
    condition = a[0] if node.inputs[0] in plan.scalars else f"{a[0]}[()]"
    variants = []
    for variant in ("serial", "parallel"):
        lines = Lines()
        for keyword, alias in zip((f"if {condition}:", "else:"), aliases):
            with lines.block(keyword):
                lines.add(f"launch({alias}.run_{variant}, {', '.join(args)})")
        variants.append(lines.lines)
    plan.add(*variants)
    return BUFFER
