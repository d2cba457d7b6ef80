"""Run-time shapes in the driver: each variable's sizes as code (literals or driver locals).

The driver knows every shape before it runs any kernel: sizes follow from the inputs'
shapes by each op's ``infer_shape`` (beside its type rule, in ``symnet/ops/``), and the
checks that a rule implies (equal sizes where NumPy would broadcast, inner sizes of a
matmul) become ``raise`` lines with an error number that the Python side turns into a
message naming the node and the user's line.
"""

from __future__ import annotations

from contextlib import contextmanager


def literal(text: str) -> str:
    """``text`` (a user's name or line) as it must appear in a message that ``{}`` fields
    fill with run-time sizes."""
    return text.replace("{", "{{").replace("}", "}}")


class ShapeEnv:
    """Sizes as code strings; ``lines`` collects the driver lines that compute and check them."""

    def __init__(self, tag: str = "symnet", read: str = "{}[()]"):
        self.tag = tag  # the errors' prefix ("symnet-step" in a loop's step, see Plan)
        self.read = read  # code reading the number in a 0-d parameter (a device array on CUDA)
        self.params: dict = {}  # parameter variable → its name in the driver
        self.values: dict = {}  # integer scalar → code for its value (index and slice bounds)
        self.sizes: dict = {}
        self.lines: list = []
        self.errors: list = []  # message per error number
        self.slices = False  # whether the size code calls slice_length (the driver imports it)
        self.count = 0
        self.quiet = False  # checks are not made (see ``unchecked``)

    literal = staticmethod(literal)

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

    def check(self, condition_fails: str, message: str, values: tuple = ()) -> None:
        """A driver line raising error N where ``condition_fails``; the error's message is
        ``message`` with its ``{}`` fields filled by the run-time ``values`` (size code)
        that the check compared, and user text in it escaped (``literal``)."""
        left, _, right = condition_fails.partition(" != ")
        if left == right or self.quiet:
            return  # the same size (a literal, or one local) is never unequal to itself
        line = f"if {condition_fails}: raise ValueError('{self.tag}:{{}}'{''.join(f', {v}' for v in values)})"
        same = {f"if {condition_fails}:", f"if {right} != {left}:" if right else None}
        if any(existing.split(":", 1)[0] + ":" in same for existing in self.lines):
            return  # the same condition is already checked
        self.errors.append(message)
        self.lines.append(line.format(len(self.errors) - 1))

    @contextmanager
    def unchecked(self):
        """Sizes computed in this block make no checks (a lazy branch's: it checks its own
        when it runs)."""
        self.quiet, before = True, self.quiet
        try:
            yield
        finally:
            self.quiet = before

    def input(self, v, param: str, position: int | None = None) -> None:
        """Sizes of an argument; known sizes are checked (the caller checked dtype and ndim)."""
        for k, s in enumerate(v.type.shape):
            if s is not None and position is not None:
                shape = "(" + ", ".join("?" if d is None else str(d) for d in v.type.shape) + ")"
                self.check(f"{param}.shape[{k}] != {s}", f"input {position} ({literal(v.label())}): expected shape {shape}, "
                           f"got size {{}} on axis {k}", (f"{param}.shape[{k}]",))
        self.sizes[v] = tuple(str(s) if s is not None else self.local(f"{param}.shape[{k}]") for k, s in enumerate(v.type.shape))
        self.params[v] = param

    def value(self, v, user) -> str:
        """Code for the value of the integer scalar ``v`` (a symbolic index or slice bound of
        node ``user``), computed before any kernel runs: from constants, inputs, shared
        variables and sizes by integer arithmetic."""
        if v in self.values:
            return self.values[v]
        from symnet.graph import Constant
        from symnet.ops.elementwise import Elemwise
        from symnet.ops.reduction import ShapeI

        node = v.owner
        if isinstance(v, Constant):
            code = str(int(v.data))
        elif v in self.params:
            code = self.local(f"np.int64({self.read.format(self.params[v])})")
        elif isinstance(node.op, ShapeI):
            code = self.of(node.inputs[0])[node.op.i]
        elif isinstance(node.op, Elemwise) and node.op.name in _SIZE_ARITHMETIC and v.dtype.startswith("int"):
            from symnet.codegen.emit.scalar import SizePrinter

            symbols, expr = node.op.expression()
            names = {s: f"({self.value(x, user)})" for s, x in zip(symbols, node.inputs)}
            code = self.local(SizePrinter(names).doprint(expr))
        else:
            raise NotImplementedError(
                f"{user.op.name}: an index or slice bound computed by {node.op.name} is not supported on compiled "
                f"targets; compute it from inputs, shared variables, shapes and constants with "
                f"{', '.join(sorted(_SIZE_ARITHMETIC))} (target='interp' runs any)\n  in {user.where()}"
            )
        self.values[v] = code
        return code

    def equal(self, sizes: list, node, what: str, labels: list | None = None) -> str:
        """One size for several that must agree (a literal if one is known). ``labels[k]``
        says what size k is, with ``{}`` for its value ("x has {} columns"); the message
        gives the two sizes that differ."""
        known = next((s for s in sizes if s.isdigit()), None)
        first = known or sizes[0]
        for k, s in enumerate(sizes):
            if s != first:
                detail = f"{labels[k]}, {labels[sizes.index(first)]}" if labels else "{} and {}"
                self.check(f"{s} != {first}", f"{what} sizes differ: {detail}\n  in {literal(node.where())}", (s, first))
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
        """Sizes of ``node``'s outputs by its op's ``infer_shape``, with the checks it implies."""
        for out, shape in zip(node.outputs, node.op.infer_shape(node, self)):
            # known sizes in the type are facts the driver can use directly
            self.sizes[out] = tuple(str(s) if s is not None else code for s, code in zip(out.type.shape, shape))

    def inner(self, order: list, outputs: list) -> list:
        """Sizes of an inner graph's ``outputs`` (a loop's step, an ifelse's branch) through its
        nodes ``order``, its placeholders' sizes set by the caller; an output may be a leaf."""
        from symnet.graph import Constant

        for node in order:
            for v in node.inputs:
                if isinstance(v, Constant):
                    self.sizes[v] = tuple(str(s) for s in v.type.shape)
            self.node(node)
        return [self.sizes[v] if v in self.sizes else tuple(str(s) for s in v.type.shape) for v in outputs]

    def reduced(self, node, axes, keepdims: bool, nonempty: bool) -> tuple:
        """The sizes of a reduction of ``node``'s first input over ``axes``; ``nonempty``
        checks that there is something to reduce (max, min, argmax)."""
        x = self.of(node.inputs[0])
        if nonempty:
            self.check(f"{' * '.join(x[k] for k in axes) or '1'} == 0", f"{node.op.name} of an empty array\n  in {literal(node.where())}")
        if keepdims:
            return tuple("1" if k in axes else s for k, s in enumerate(x))
        return tuple(s for k, s in enumerate(x) if k not in axes)

    def windows(self, sizes, kernel, stride, padding, node) -> tuple:
        """Window positions along each spatial axis, checking each window fits the padded input."""
        out = []
        for n, k, s, p in zip(sizes, kernel, stride, padding):
            padded = f"{n} + {2 * p}" if p else n
            self.check(f"{padded} < {k}", f"{node.op.name}: the window ({{}}) is larger than the (padded) input ({{}})\n"
                       f"  in {literal(node.where())}", (k, padded))
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
        """The sizes of ``x[spec]``; the spec's ints and bounds may be code (symbolic ones)."""
        shape, axis = [], 0
        for e in spec + ((None, None, None),) * (len(x) - sum(e is not None for e in spec)):
            if e is None:
                shape.append("1")
                continue
            size = x[axis]
            axis += 1
            if not isinstance(e, tuple):
                self.check(f"not -{size} <= {e} < {size}", f"index {{}} is out of bounds for size {{}}\n  in {literal(node.where())}", (e, size))
            if isinstance(e, tuple):
                shape.append(self.slice_length(e, size))
        return tuple(shape)

    def slice_length(self, e: tuple, size: str) -> str:
        """The length of ``range(size)[start:stop:step]``: known when the size is, the size
        itself for a whole axis, else computed by the driver (fewer locals and checks: an
        unrolled LSTM slices the same axes hundreds of times)."""
        start, stop, step = e
        if not all(v is None or isinstance(v, int) for v in e):  # symbolic bounds: code
            if not (step is None or isinstance(step, int)):
                self.check(f"{step} == 0", "slice step cannot be zero")
        elif size.isdigit():
            return str(len(range(int(size))[slice(start, stop, step)]))
        elif start is None and stop is None and step in (None, 1):
            return size
        start, stop, step = ("None" if v is None else str(v) for v in e)
        self.slices = True
        return self.local(f"slice_length({start}, {stop}, {step}, {size})")


# the integer arithmetic that index and slice bounds may be computed with in the driver
_SIZE_ARITHMETIC = {"add", "sub", "mul", "neg", "floor_div", "mod", "maximum", "minimum", "cast"}
