"""The plan of a driver, shared by the CPU and CUDA printers: parameters and names, every size
and check, which buffers die after which step (for reuse), which updates a kernel writes in
place, and the walk over the steps that asks the target's printer for each one's code.

A target's printer is composed with a plan, not derived from another printer. It gives:

- ``rules``: its rule table (``symnet.codegen.rules``); rules get the printer as ``d``
  and reach the plan as ``d.plan``;
- ``kernel_constants()``: the typed constants a kernel's text defines;
- ``kernel(lowered)``: appends the call of a lowered fused region to the plan's body and
  returns the kernel's source, for ``f.kernels``;
- ``new_buffer(sizes, dtype)``: code allocating an uninitialized array;
- ``copy_of(v, name)`` and ``copy_into(dst, src, sizes, dtype)``: copies;
- ``returns_number(v)``: whether 0-d output ``v`` comes back as a number;
- ``fill(v)``: code making constant ``v``, an array of one value (in a loop's step);
- ``call_fallback(node, key, outs, args)``: the call of an op's NumPy ``evaluate``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from dataclasses import dataclass, field

from symnet.codegen import cache, cpulib
from symnet.codegen.lower import identifier, lower_region
from symnet.codegen.rules import BUFFER, SCALAR
from symnet.codegen.shapes import ShapeEnv
from symnet.errors import FallbackWarning
from symnet.graph import Constant, SharedVariable, toposort
from symnet.rewrite.fuse import Region


@dataclass
class KernelInfo:
    """One kernel of a compiled function, as ``f.kernels`` shows it."""

    name: str
    kind: str
    source: str
    nodes: list
    ir: object = None

    def __repr__(self) -> str:
        return f"<kernel {self.name}: {self.kind}, {len(self.nodes)} nodes>"


@dataclass
class Module:
    """A printed driver: its source and what building and calling it need."""

    source: str
    params: list  # variables, in driver-argument order
    outputs: list
    errors: list  # message per error number raised by the driver
    kernels: list = field(default_factory=list)
    step_labels: list = field(default_factory=list)  # one per step, for sn.profile
    lower_seconds: float = 0.0  # spent in lower_region, for f.compile_time["lower"]
    vector_math: bool = True  # kernels use symnet.codegen.vecmath (sn.config.fast_math when compiled)
    kernel_modules: dict = field(default_factory=dict)  # module name → source, for the build to load
    fallbacks: bool = False  # some step runs an op's NumPy evaluate (registered when printed)


@dataclass
class Lowered:
    """A fused region lowered to a kernel, with what its call in the driver needs."""

    kernel: object  # loopir.Kernel
    arguments: list  # the variable of each kernel parameter (array inputs, scalar inputs, outputs)
    names: dict  # kernel parameter (and loop size n0, n1, …) → the driver's code for it
    sizes: list  # the loop sizes as driver code
    header: list  # comment lines: the kernel and the nodes it computes
    constants: object  # the Constants its text defines (the printer's kernel_constants())


class Plan:
    """Everything a driver decides that does not depend on the target, and its body: a list of
    chunks of lines, each ``(serial, parallel)`` (the two differ only at a parallel kernel's call)."""

    def __init__(self, program, inputs: list, updates: list, rules, step: bool = False, into: bool = False, read: str = "{}[()]"):
        self.program = program
        self.inputs = list(inputs)
        self.updates = updates
        self.rules = rules  # which ops print as views (lifetimes)
        self.n_out = len(program.outputs) - len(updates)
        # a loop's step (``step``) is a program called by another driver, which checks
        # its sizes before the loop: its own errors say so
        self.step = step
        # ``into``: the driver writes its outputs into arrays its caller passes after the
        # parameters (a loop's step, into the stacked outputs) and returns nothing
        self.destinations = [f"into_{k}" for k in range(self.n_out)] if into else []
        self.env = ShapeEnv("symnet-step" if step else "symnet", read)
        self.names: dict = {}
        state = self.state_and_constants()
        # a step takes no arrays but its inputs: it makes its constants of one value itself
        self.fills = [v for v in state if step and _fill(v)]
        self.params = self.inputs + [v for v in state if v not in self.fills]
        for k, v in enumerate(self.params + self.fills):
            self.env.input(v, self.name(v), k if k < len(self.inputs) else None)
        # Every shape and every check first: a call that fails, fails before any kernel runs.
        for node in toposort(program.outputs):
            self.env.node(node)
        for (shared, _), v in zip(updates, program.outputs[self.n_out :]):
            for have, want in zip(self.env.of(v), shared.type.shape):
                self.env.check(f"{have} != {want}", f"the update of {self.env.literal(shared.label())} has the wrong shape "
                               f"(size {{}} where the variable has {{}})", (have, want))
        self.roots = self.view_roots()
        self.in_place = self.in_place_updates()
        self.read = {v for s in program.steps for v in s.inputs} | set(program.outputs)  # read after being made
        # filled while printing
        self.body: list = []
        self.fresh: set = set()  # variables held in buffers this call allocated
        self.scalars: set = set()  # variables the driver holds as numbers
        self.free: dict = {}  # (sizes, dtype) → dead buffers, for reuse
        self.dying: tuple = ()  # variables no step after the current one reads
        self.kernels: list = []
        self.step_chunks: list = []  # (first chunk, end chunk, label) per step, for profiling
        self.returned: list = []  # what the driver returns per output
        self.fallbacks = False  # whether a step runs an op's NumPy evaluate
        self.lower_seconds = 0.0

    # -- names and lines -----------------------------------------------------------------------
    def name(self, v) -> str:
        if v not in self.names:
            base = identifier(v.name or (v.owner.op.name if v.owner else "c"))
            self.names[v] = f"{base}_{len(self.names)}"
        return self.names[v]

    def describe(self, node) -> str:
        # constants by value; never a label with a variable's number, which differs between
        # processes (a recalled program must print again to the same source)
        args = ", ".join(v.label() if isinstance(v, Constant) and v not in self.names else self.name(v) for v in node.inputs)
        return f"{self.name(node.outputs[0])} = {node.op}({args})"

    def emit(self, line: str) -> None:
        self.add([line])

    def add(self, serial: list, parallel: list | None = None) -> None:
        """A chunk of lines, after the size and check lines computed so far."""
        self.flush_shapes()
        self.body.append((serial, serial if parallel is None else parallel))

    def flush_shapes(self) -> None:
        for line in self.env.lines:
            self.body.append(([line], [line]))
        self.env.lines.clear()

    # -- analysis ------------------------------------------------------------------------------
    def state_and_constants(self) -> list:
        """Shared variables and array constants the program reads: driver arguments."""
        seen, out = set(self.inputs), []
        candidates, needed_as_array = [], set(self.program.outputs)
        for step in self.program.steps:
            nodes = step.nodes if isinstance(step, Region) else [step]
            for node in nodes:
                candidates.extend(node.inputs)
            if not isinstance(step, Region):
                needed_as_array.update(step.inputs)
        candidates += self.program.outputs + [s for s, _ in self.updates]
        for v in candidates:
            if v in seen or v.owner is not None:
                continue
            if isinstance(v, Constant) and v.ndim == 0 and v not in needed_as_array:
                continue  # a scalar constant inside loops is printed as a typed literal
            if isinstance(v, (SharedVariable, Constant)):
                seen.add(v)
                out.append(v)
        return out

    def view_roots(self) -> dict:
        """{view: the variable whose memory it shows}, for every single step printed as a
        view of its input (views of views included)."""
        root = {}
        for step in self.program.steps:
            if not isinstance(step, Region) and self.rules.is_view(step.op):
                base = root.get(step.inputs[0], step.inputs[0])
                root.update((out, base) for out in step.outputs)
        return root

    def lifetimes(self) -> dict:
        """{step index: variables whose buffer no later step reads}, for buffer reuse.

        A view keeps its input's buffer alive; values the call returns or writes into
        state live to the end."""
        root = self.roots
        last = {}
        for k, step in enumerate(self.program.steps):
            for u in step.inputs:
                last[root.get(u, u)] = k
        forever = {root.get(v, v) for v in self.program.outputs}
        dies_after: dict = {}
        for v, k in last.items():
            if v not in forever:
                dies_after.setdefault(k, []).append(v)
        return dies_after

    def in_place_updates(self) -> dict:
        """{update value: shared variable} for updates a kernel can write straight into the
        shared array: the kernel is elementwise over exactly the variable's shape and reads
        the variable (if at all) only at the element it writes, and no later step, output
        or other update reads the variable's old value."""
        steps = self.program.steps
        results = self.program.outputs
        plan = {}
        for (shared, _), v in zip(self.updates, results[self.n_out :]):
            aliases = {shared} | {view for view, base in self.roots.items() if base is shared}
            if aliases & set(results):
                continue
            home = [k for k, step in enumerate(steps) if isinstance(step, Region) and v in step.outputs]
            if not home:
                continue
            k = home[0]
            region = steps[k]
            if any(a in step.inputs for step in steps[k + 1 :] for a in aliases):
                continue
            if region.kind != "elementwise" or region.space.ndim != shared.ndim:
                continue
            plan[v] = shared
        return plan

    # -- buffers -------------------------------------------------------------------------------
    def allocate(self, v, printer) -> None:
        """A buffer for ``v``: a dead one of the same sizes and dtype, else a new one."""
        free = self.free.get(self.buffer_key(v))
        if free:
            self.emit(f"{self.name(v)} = {free.pop()}  # reuses a dead buffer")
        else:
            self.emit(f"{self.name(v)} = {printer.new_buffer(self.env.of(v), v.dtype)}")
        self.fresh.add(v)

    def buffer_key(self, v) -> tuple:
        return (self.env.of(v), v.dtype)

    def owns_dying(self, x, dtype: str, other) -> bool:
        """Whether the step may write into ``x``'s buffer: the call allocated it, no later
        step reads it, it has ``dtype``, and ``other`` (also read) is not a view of it."""
        return x in self.fresh and x in self.dying and x.dtype == dtype and self.roots.get(other, other) is not x

    # -- the walk ------------------------------------------------------------------------------
    def walk(self, printer) -> None:
        """Print every step through ``printer``, then the outputs, the updates (all computed
        from old values) and the driver's ``return``."""
        for v in self.fills:
            self.emit(f"{self.name(v)} = {printer.fill(v)}")
        dies_after = self.lifetimes()
        for k, step in enumerate(self.program.steps):
            start = len(self.body)
            self.dying = dies_after.get(k, ())
            if isinstance(step, Region):
                label = self.region(step, printer)
            else:
                self.single(step, printer)
                label = escape(self.describe(step))
            self.flush_shapes()
            self.step_chunks.append((start, len(self.body), label))
            for v in self.dying:
                if v in self.fresh:
                    self.free.setdefault(self.buffer_key(v), []).append(self.name(v))
        results = self.program.outputs
        if self.destinations:
            self.write_into(printer)
            return
        self.returned = [self.result(v, printer) for v in results[: self.n_out]]
        staged = []  # values that alias state are snapshotted before any update is written
        for (shared, _), v in zip(self.updates, results[self.n_out :]):
            if v in self.in_place:
                continue  # its kernel wrote it into the shared array
            value = self.name(v)
            if v not in self.fresh:
                value = printer.copy_of(v, f"{value}_new")
            staged.append((shared, value))
        for shared, value in staged:
            printer.copy_into(self.name(shared), value, self.env.of(shared), shared.dtype)
        self.emit("return (" + "".join(f"{r}, " for r in self.returned) + ")")

    def write_into(self, printer) -> None:
        """The outputs copied into the destinations (which alias no parameter)."""
        for v, into in zip(self.program.outputs, self.destinations):
            name = self.name(v)
            if v in self.scalars:
                self.emit(f"{into}[()] = {name}")
            elif v.ndim == 0:
                self.emit(f"{into}[()] = {name}[()]")
            else:
                printer.copy_into(into, name, self.env.of(v), v.dtype)

    def module(self, source: str, **target) -> Module:
        return Module(
            source, self.params, self.program.outputs[: self.n_out], list(self.env.errors), self.kernels,
            [label for _, _, label in self.step_chunks], self.lower_seconds, fallbacks=self.fallbacks, **target,
        )

    def result(self, v, printer) -> str:
        """What the driver returns for output ``v``, taken before the updates are written:
        a number, an array the call allocated, or a copy."""
        name = self.name(v)
        if v in self.scalars:
            return name
        if printer.returns_number(v):
            self.emit(f"{name}_value = {name}[()]")
            return f"{name}_value"
        return name if v in self.fresh else printer.copy_of(v, f"{name}_out")

    # -- regions -------------------------------------------------------------------------------
    def region(self, region: Region, printer) -> str:
        """A fused region: lowered, its outputs given buffers (or the shared array it updates
        in place), then printed by the target; returns the kernel's name."""
        first = region.outputs[0]
        kernel_name = f"k{len(self.kernels)}_{identifier(first.name or first.owner.op.name)}"
        start = time.perf_counter()
        constants = printer.kernel_constants()
        kernel, arguments = lower_region(region, kernel_name, self.scalars, lambda c, dtype: inline_constant(c, constants))
        self.lower_seconds += time.perf_counter() - start
        kernel.verify()
        n_in = len(kernel.array_inputs) + len(kernel.scalar_inputs)
        loads_of = {}
        for ld in kernel.loads:
            loads_of.setdefault(ld.array, []).append(ld.axes)
        reads = {v: loads_of.get(param, []) for param, v in zip(kernel.array_inputs, arguments)}
        for v in arguments[n_in:]:
            shared = self.in_place.get(v)
            if shared is not None and all(axes == tuple(range(kernel.rank)) for axes in reads.get(shared, [])):
                # each element of the variable is read before the same element is written
                self.emit(f"{self.name(v)} = {self.name(shared)}")
                continue
            self.in_place.pop(v, None)
            self.allocate(v, printer)
        sizes = list(self.env.of(region.space))
        names = {f"n{k}": size for k, size in enumerate(sizes)}
        names.update(zip(kernel.array_inputs + kernel.scalar_inputs + kernel.outputs, map(self.name, arguments)))
        header = [f"# {kernel_name}: {kernel.kind} over {region.space.type}"]
        header += ["#   " + escape(self.describe(n)) for n in region.nodes]
        self.flush_shapes()
        source = printer.kernel(Lowered(kernel, arguments, names, sizes, header, constants))
        self.kernels.append(KernelInfo(kernel_name, kernel.kind, source, list(region.nodes), kernel))
        return kernel_name

    # -- single ops ----------------------------------------------------------------------------
    def single(self, node, printer) -> None:
        """A step fusion left alone, printed by the target's rule for its op, or by the
        NumPy fallback where there is none."""
        o, a = self.name(node.outputs[0]), [self.name(v) for v in node.inputs]
        self.emit(f"# {escape(self.describe(node))}")
        rule = printer.rules.find(node.op)
        kind = rule(printer, node, o, a) if rule is not None else self.fallback(node, a, printer)
        if kind == BUFFER:
            self.fresh.update(node.outputs)
        elif kind == SCALAR:
            self.scalars.update(node.outputs)

    def fallback(self, node, a: list, printer) -> str:
        """The op's NumPy ``evaluate`` (the printer's ``call_fallback`` prints the call): its
        outputs are new arrays whose sizes are checked against ``infer_shape``'s."""
        warnings.warn(
            f"symnet: the {printer.rules.target.upper()} back end has no rule for {node.op}: it runs the op's NumPy "
            f"evaluate, in Python, in the middle of each call\n  in {node.where()}",
            FallbackWarning,
            stacklevel=2,
        )
        self.fallbacks = True
        key = cpulib.fallback_key(node.op, tuple(v.dtype for v in node.outputs))
        outs = [self.name(v) if v in self.read else "_" for v in node.outputs]  # "_": nothing reads it
        printer.call_fallback(node, key, outs, a)
        for o, v in zip(outs, node.outputs):
            for k, size in enumerate(self.env.of(v) if o != "_" else ()):
                self.env.check(f"{o}.shape[{k}] != {size}", f"the NumPy fallback of {self.env.literal(str(node.op))} returned the wrong "
                               f"shape (size {{}} on axis {k}, not {{}})\n  in {self.env.literal(node.where())}", (f"{o}.shape[{k}]", size))
        return BUFFER


def step_program(inputs: list, outputs: list):
    """The fused program of an inner graph (a loop's step, an ifelse's branch: optimized
    and fused like any function's), for a target's driver to print as a module of its own."""
    from symnet.function import _optimize  # the optimizer imports the back end

    return _optimize(inputs, outputs, [], fused=True)[1]


def add_module(modules: dict, source: str, target: str, prefix: str) -> str:
    """The alias of the module of ``source`` in a driver's ``modules`` (name → (alias,
    source): the modules it imports), added if it is not there yet."""
    name = cache.module_name(source, target)
    if name not in modules:
        modules[name] = (f"{prefix}{len(modules)}", source)
    return modules[name][0]


def _fill(v) -> bool:
    """Whether ``v`` is a constant array of one finite value."""
    if not isinstance(v, Constant) or v.data.size == 0:
        return False
    first = v.data.flat[0]
    return bool(np.isfinite(first) if v.dtype.startswith("float") else True) and bool((v.data == first).all())


def inline_constant(constant, constants) -> str:
    """The name of a typed module constant holding a 0-d constant's value."""
    value = constant.data.item()
    if constant.dtype == "bool":
        value = int(value)
    return constants.name(value, constant.dtype if constant.dtype != "bool" else "int64")


def escape(text: str) -> str:
    """Comment-safe text: one line, printable ASCII only."""
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text.replace("\n", " "))
