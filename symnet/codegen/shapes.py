"""Run-time shapes in the driver: each variable's sizes as code (literals or driver locals).

The driver knows every shape before it runs any kernel: sizes follow from the inputs'
shapes by each op's rule, and the checks that a rule implies (equal sizes where NumPy
would broadcast, inner sizes of a matmul) become ``raise`` lines with an error number
that the Python side turns into a message naming the node and the user's line.
"""

from __future__ import annotations

from symnet.ops.conv import Conv2d, Conv2dGradInput, Conv2dGradWeight, Pool2d, Pool2dGrad
from symnet.ops.elementwise import Elemwise
from symnet.ops.random import RandomUniform
from symnet.ops.linalg import Matmul
from symnet.ops.nnet import OneHot
from symnet.ops.reduction import Argmax, Reduce, ShapeI
from symnet.ops.shape import (
    BroadcastLike,
    Concatenate,
    DimShuffle,
    IncSubtensor,
    Reshape,
    ReshapeLike,
    SplitPart,
    StopGradient,
    Subtensor,
    Take,
    TakeAlongAxis,
    TakeAlongAxisGrad,
    TakeGrad,
)


class ShapeEnv:
    """Sizes as code strings; ``lines`` collects the driver lines that compute and check them."""

    def __init__(self):
        self.sizes: dict = {}
        self.lines: list = []
        self.errors: list = []  # message per error number
        self.helpers: set = set()  # module helpers the size code calls
        self.count = 0

    def of(self, v) -> tuple:
        return self.sizes[v]

    def local(self, code: str) -> str:
        """A driver local holding ``code`` (so a size is computed once)."""
        if code.isdigit() or code.isidentifier():
            return code
        self.count += 1
        name = f"d{self.count}"
        self.lines.append(f"{name} = {code}")
        return name

    def check(self, condition_fails: str, message: str) -> None:
        left, _, right = condition_fails.partition(" != ")
        if left == right:
            return  # the same size (a literal, or one local) is never unequal to itself
        line = f"if {condition_fails}: raise ValueError('symnet:{{}}')"
        same = {f"if {condition_fails}:", f"if {right} != {left}:" if right else None}
        if any(existing.split(":", 1)[0] + ":" in same for existing in self.lines):
            return  # the same condition is already checked
        self.errors.append(message)
        self.lines.append(line.format(len(self.errors) - 1))

    def input(self, v, param: str, position: int | None = None) -> None:
        """Sizes of an argument; known sizes are checked (the caller checked dtype and ndim)."""
        for k, s in enumerate(v.type.shape):
            if s is not None and position is not None:
                shape = "(" + ", ".join("?" if d is None else str(d) for d in v.type.shape) + ")"
                self.check(f"{param}.shape[{k}] != {s}", f"input {position} ({v.label()}): expected shape {shape}")
        self.sizes[v] = tuple(str(s) if s is not None else self.local(f"{param}.shape[{k}]") for k, s in enumerate(v.type.shape))

    def equal(self, sizes: list, node, what: str) -> str:
        """One size for several that must agree (a literal if one is known)."""
        literal = next((s for s in sizes if s.isdigit()), None)
        first = literal or sizes[0]
        for s in sizes:
            if s != first:
                self.check(f"{s} != {first}", f"{what} sizes differ\n  in {node.where()}")
        return first

    def broadcast(self, variables, node) -> tuple:
        ndim = max(v.ndim for v in variables)
        out = []
        for axis in range(ndim):
            candidates = []
            for v in variables:
                k = axis - (ndim - v.ndim)
                if k >= 0 and not v.type.broadcastable[k]:
                    candidates.append(self.of(v)[k])
            out.append(self.equal(list(dict.fromkeys(candidates)), node, "broadcast") if candidates else "1")
        return tuple(out)

    def node(self, node) -> None:
        """Sizes of ``node``'s outputs, with the checks its op implies."""
        op, ins = node.op, node.inputs
        out = node.outputs[0]
        static = out.type.shape
        match op:
            case Elemwise():
                shape = self.broadcast(ins, node)
            case BroadcastLike():
                x, ref = ins
                lead = ref.ndim - x.ndim
                shape = tuple(
                    self.of(ref)[k] if not ref.type.broadcastable[k] or k < lead else self.of(x)[k - lead]
                    for k in range(ref.ndim)
                )
            case StopGradient():
                shape = self.of(ins[0])
            case Reduce() | Argmax():
                x = self.of(ins[0])
                axes = op.axes if isinstance(op, Reduce) else (range(len(x)) if op.axis is None else (op.axis,))
                if op.keepdims:
                    shape = tuple("1" if k in axes else s for k, s in enumerate(x))
                else:
                    shape = tuple(s for k, s in enumerate(x) if k not in axes)
                if isinstance(op, Reduce) and op.kind != "sum" or isinstance(op, Argmax):
                    empty = " * ".join(x[k] for k in axes) or "1"
                    self.check(f"{empty} == 0", f"{op.name} of an empty array\n  in {node.where()}")
            case Matmul():
                a, b = (self.of(v) for v in ins)
                a2 = ("1",) + a if len(a) == 1 else a
                b2 = b + ("1",) if len(b) == 1 else b
                self.equal([a2[-1], b2[-2]], node, "matmul inner")
                batch = self.batch(ins, node)
                shape = batch + ((a2[-2],) if len(a) > 1 else ()) + ((b2[-1],) if len(b) > 1 else ())
            case DimShuffle():
                x = self.of(ins[0])
                shape = tuple("1" if o == "x" else x[o] for o in op.order)
            case Reshape():
                total = " * ".join(f"{s}" for s in self.of(ins[0])) or "1"
                known = [s for s in op.shape if s != -1]
                product = 1
                for s in known:
                    product *= s
                if -1 in op.shape:
                    total_local = self.local(f"({total})")
                    if product == 0:
                        raise NotImplementedError("reshape with -1 and a zero size")
                    self.check(f"{total_local} % {product} != 0", f"cannot reshape\n  in {node.where()}")
                    missing = self.local(f"{total_local} // {product}")
                    shape = tuple(missing if s == -1 else str(s) for s in op.shape)
                else:
                    self.check(f"({total}) != {product}", f"cannot reshape to {op.shape}\n  in {node.where()}")
                    shape = tuple(str(s) for s in op.shape)
            case ReshapeLike():
                x, ref = (self.of(v) for v in ins)
                self.check(
                    f"({' * '.join(x) or '1'}) != ({' * '.join(ref) or '1'})", f"cannot reshape\n  in {node.where()}"
                )
                shape = ref
            case Subtensor():
                shape = self.subtensor(op.spec, self.of(ins[0]), node)
            case IncSubtensor() | TakeGrad():
                shape = self.of(ins[0])
            case TakeAlongAxisGrad():
                x, g = self.of(ins[0]), self.of(ins[2])
                shape = tuple(x[k] if k == op.axis else g[k] for k in range(len(g)))
            case Take():
                x, idx = (self.of(v) for v in ins)
                shape = x[: op.axis] + idx + x[op.axis + 1 :]
            case TakeAlongAxis():
                x, idx = ins
                shape = tuple(
                    self.of(idx)[k] if k == op.axis else self.broadcast_axis([(x, k), (idx, k)], node)
                    for k in range(x.ndim)
                )
            case Concatenate():
                parts = [self.of(v) for v in ins]
                shape = tuple(
                    self.local(" + ".join(p[k] for p in parts))
                    if k == op.axis
                    else self.equal(list(dict.fromkeys(p[k] for p in parts)), node, "concatenate")
                    for k in range(len(parts[0]))
                )
            case SplitPart():
                shape = self.of(ins[1 + op.k])
            case OneHot():
                shape = self.of(ins[0]) + (str(op.n),)
            case Conv2d():
                (n, c, h, w), (f, c_w, kh, kw) = self.of(ins[0]), self.of(ins[1])
                self.equal([c, c_w], node, "conv2d channel")
                spatial = self.windows((h, w), (kh, kw), op.stride, op.padding, node)
                shape = (n, f) + spatial
            case Pool2d():
                n, c, h, w = self.of(ins[0])
                spatial = self.windows((h, w), tuple(map(str, op.size)), op.stride, (0, 0), node)
                shape = (n, c) + spatial
            case Conv2dGradInput() | Pool2dGrad():
                shape = self.of(ins[0])
            case RandomUniform():
                shape = self.of(ins[1])
            case Conv2dGradWeight():
                shape = self.of(ins[1])
            case ShapeI():
                shape = ()
            case _:
                raise NotImplementedError(f"no shape rule for {op} in the CPU backend")
        # known sizes in the type are facts the driver can use directly
        self.sizes[out] = tuple(str(s) if s is not None else code for s, code in zip(static, shape))

    def windows(self, sizes, kernel, stride, padding, node) -> tuple:
        """Window positions along each spatial axis, checking each window fits the padded input."""
        out = []
        for n, k, s, p in zip(sizes, kernel, stride, padding):
            padded = f"{n} + {2 * p}" if p else n
            self.check(f"{padded} < {k}", f"{node.op.name}: the window is larger than the (padded) input\n  in {node.where()}")
            out.append(self.local(f"({padded} - {k}) // {s} + 1"))
        return tuple(out)

    def broadcast_axis(self, axes, node) -> str:
        """The size of one axis where (variable, axis) pairs broadcast together."""
        candidates = [self.of(v)[k] for v, k in axes if not v.type.broadcastable[k]]
        return self.equal(list(dict.fromkeys(candidates)), node, "broadcast") if candidates else "1"

    def batch(self, operands, node) -> tuple:
        """The broadcast batch sizes of matmul operands (all axes but the last two)."""
        parts = []
        for v in operands:
            k = max(v.ndim - 2, 0)
            parts.append((self.of(v)[:k], v.type.broadcastable[:k]))
        ndim = max(len(sizes) for sizes, _ in parts)
        out = []
        for axis in range(ndim):
            candidates = []
            for sizes, broadcastable in parts:
                k = axis - (ndim - len(sizes))
                if k >= 0 and not broadcastable[k]:
                    candidates.append(sizes[k])
            out.append(self.equal(list(dict.fromkeys(candidates)), node, "matmul batch") if candidates else "1")
        return tuple(out)

    def subtensor(self, spec: tuple, x: tuple, node) -> tuple:
        shape, axis = [], 0
        for e in spec + ((None, None, None),) * (len(x) - sum(e is not None for e in spec)):
            if e is None:
                shape.append("1")
                continue
            size = x[axis]
            axis += 1
            if not isinstance(e, tuple):
                self.check(f"not -{size} <= {e} < {size}", f"index {e} is out of bounds\n  in {node.where()}")
            if isinstance(e, tuple):
                shape.append(self.slice_length(e, size))
        return tuple(shape)

    def slice_length(self, e: tuple, size: str) -> str:
        """The length of ``range(size)[start:stop:step]``: known when the size is, the size
        itself for a whole axis, else computed by the driver (fewer locals and checks: an
        unrolled LSTM slices the same axes hundreds of times)."""
        start, stop, step = e
        if size.isdigit():
            return str(len(range(int(size))[slice(start, stop, step)]))
        if start is None and stop is None and step in (None, 1):
            return size
        start, stop, step = ("None" if v is None else str(v) for v in e)
        self.helpers.add("_slice_length")
        return self.local(f"_slice_length({start}, {stop}, {step}, {size})")
