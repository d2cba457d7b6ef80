"""``function()``: the pipeline driver (check, optimize, build for a target) and Function."""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass

import numpy as np

from symnet import interp, interrupts, nancheck
from symnet.config import config
from symnet.errors import ShapeError, UnusedInputError
from symnet.graph import Constant, SharedVariable, Variable, clone, graph_inputs
from symnet.ops.ifelse import lazy_branches
from symnet.ops.scan import drop_unread, merge_extended
from symnet.rewrite.canonicalize import CANONICALIZE
from symnet.rewrite.engine import rewrite
from symnet.rewrite.expand import EXPAND
from symnet.rewrite.fold import FOLD
from symnet.rewrite.fuse import fuse
from symnet.rewrite.passes import optimize
from symnet.expr import as_tensor
from symnet.tensor_type import TensorType

TARGETS = ("cpu", "cuda", "interp")


@dataclass
class Graph:
    """The optimized graph a Function runs: its inputs, outputs and shared-variable updates."""

    inputs: list
    outputs: list
    updates: list  # (shared variable, new value) pairs

    @property
    def results(self) -> list:
        return self.outputs + [new for _, new in self.updates]


def function(inputs, outputs, updates=None, givens=None, target=None, name=None, on_unused_input="raise",
             no_default_updates=False) -> Function:
    """Compile ``outputs`` (one expression or a list) as a function of ``inputs``.

    ``updates`` are ``(shared_variable, new_value)`` pairs applied after each call, all
    computed from the old values. ``givens`` (``{variable: expression}`` or pairs) replaces
    each variable by its expression in the outputs and updates first (Theano's minibatch
    idiom: ``givens={x: X[i * bs:(i + 1) * bs]}``). An input that nothing computed reads is
    an error, a warning or allowed: ``on_unused_input`` "raise", "warn" or "ignore". A shared
    variable read with a ``default_update`` (a random stream's counter) is updated by it too,
    unless ``updates`` updates it or ``no_default_updates`` is True (or lists it).
    ``target``: "cpu", "cuda" or "interp".
    """
    target = target or config.target
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got {on_unused_input!r}")
    inputs = _check_inputs(inputs)
    single = not isinstance(outputs, (list, tuple))
    outputs = [as_tensor(o, what=f"output {k}") for k, o in enumerate([outputs] if single else outputs)]
    updates = _check_updates(updates)
    replace = _check_givens(givens, inputs)
    if replace:
        results = clone(outputs + [new for _, new in updates], replace)
        outputs, updates = results[: len(outputs)], [(s, new) for (s, _), new in zip(updates, results[len(outputs) :])]
    updates += _default_updates(outputs + [new for _, new in updates], updates, no_default_updates)
    _check_closed(inputs, outputs + [new for _, new in updates])
    _check_used(inputs, outputs + [new for _, new in updates], on_unused_input)

    if target == "interp":
        compile_time = {}
        graph, _ = _optimize(inputs, outputs, updates, fused=False, times=compile_time)
        return Function(inputs, outputs, updates, single, target, name, compile_time, graph=graph)
    from symnet import codegen
    from symnet.signature import graph_signature

    fast = config.cuda_fast_math if target == "cuda" else config.fast_math
    start = time.perf_counter()
    signature = graph_signature(inputs, outputs, updates, (target, single, config.codegen_settings()))
    signed = time.perf_counter() - start
    native = None if signature is None else codegen.recall_program(signature, inputs, target)
    if native is not None:
        # compiled before for an identical graph: optimize and print it again only if asked
        f = Function(inputs, outputs, updates, single, target, name, dict(native.compile_time, signature=signed), native)
        native.info.reprint = lambda: codegen.describe_program(f.program, inputs, f.graph.updates, single, fast)
        return f
    compile_time = {"signature": signed}
    graph, program = _optimize(inputs, outputs, updates, fused=True, times=compile_time)
    native = codegen.compile_program(program, inputs, graph.updates, target, single=single, vector_math=fast, signature=signature)
    compile_time.update(native.compile_time)
    return Function(inputs, outputs, updates, single, target, name, compile_time, native, graph, program)


def _optimize(inputs, outputs, updates, fused: bool, times: dict | None = None) -> tuple:
    """(the optimized Graph, and for a compiled target its fused Program); the seconds of
    the stages go into ``times``."""
    times = {} if times is None else times
    start = time.perf_counter()
    # a loop that a gradient ran again, stacking more of each step, runs once; what no one
    # reads of a loop is not stacked; an ifelse computes only the branch it takes
    optimized = lazy_branches(drop_unread(optimize(merge_extended(outputs + [new for _, new in updates]))))
    graph = Graph(inputs, optimized[: len(outputs)], [(s, new) for (s, _), new in zip(updates, optimized[len(outputs) :])])
    times["rewrite"] = time.perf_counter() - start
    if not fused:
        return graph, None
    start = time.perf_counter()
    program = fuse(rewrite(graph.results, EXPAND + FOLD + CANONICALIZE))
    times["fuse"] = time.perf_counter() - start
    return graph, program


def _callees(module, seen: set) -> list:
    """(title, dispatcher) for every function of the kernel and step modules that
    ``module`` imports, recursively, that this process compiled or loaded."""
    found = []
    for kernel_module in getattr(module, "KERNEL_MODULES", ()):
        if kernel_module.__name__ in seen:
            continue
        seen.add(kernel_module.__name__)
        for name in ("serial", "parallel", "run_serial"):
            dispatcher = getattr(kernel_module, name, None)
            if dispatcher is not None and dispatcher.signatures:
                found.append((f"{kernel_module.__name__}.{name}", dispatcher))
        found += _callees(kernel_module, seen)
    return found


class Function:
    """A compiled graph: call it with arrays; inspect ``graph``, ``source``, ``kernels``,
    ``compile_time``, ``llvm_ir()`` and ``asm()``."""

    def __reduce__(self):
        """Pickled as its graph (inputs, outputs, updates and the shared variables' values);
        unpickling compiles it again, from symnet's cache where it was compiled before."""
        outputs = self.outputs[0] if self.single else list(self.outputs)
        return _recompiled, (list(self.inputs), outputs, list(self._updates), self.target, self.name)

    def __init__(self, inputs, outputs, updates, single: bool, target: str, name, compile_time: dict, native=None, graph=None, program=None):
        self.inputs = inputs
        self.outputs = outputs  # as given (the optimized ones are in ``graph``)
        self._updates = updates
        self._graph = graph
        self._program = program
        self.single = single
        self.target = target
        self.name = name
        self.compile_time = dict({"cache_hit": False}, **compile_time)
        self.native = native
        self._arity = len(inputs)
        self._shared = [v for v in graph_inputs(outputs + [new for _, new in updates]) if isinstance(v, SharedVariable)]
        self._entry = self._interpreted
        self.debug_nans = config.debug_nans
        if native is not None:
            # what the driver takes after the inputs: shared arrays (read per call, set_value
            # may replace them) and array constants, each as an object with .container
            params = [v if isinstance(v, SharedVariable) else _Fixed(v.data) for v in native.info.params[len(inputs) :]]
            if target == "cuda":
                self.device_outputs = False  # True: outputs stay on the device (Numba device arrays)
                self._device_entry = native.entry(params, self._device_argument)
                self._fast_entry = self._cuda_call
            else:
                self._fast_entry = native.entry(params, self._convert_and_call)
            self._entry = self._first_call

    @property
    def graph(self) -> Graph:
        """The optimized graph (optimized now if the program was recalled by signature)."""
        if self._graph is None:
            self._graph, self._program = _optimize(self.inputs, self.outputs, self._updates, fused=True)
        return self._graph

    @property
    def program(self):
        """The fused steps a compiled target runs (None for the interpreter)."""
        if self.target == "interp":
            return None
        self.graph  # a recalled program's graph is optimized (and fused) on first use
        return self._program

    def _first_call(self, *args):
        """The first call compiles (or loads from Numba's cache): time it as the "numba" stage."""
        self._check_count(args)
        start = time.perf_counter()
        try:
            return self._fast_entry(*args)
        finally:
            self.compile_time["numba"] = time.perf_counter() - start
            self._entry = self._fast_entry

    @property
    def source(self) -> str:
        """The generated module (for the interpreter: the optimized graph, one line per node)."""
        if self.native is not None:
            return self.native.source
        from symnet.printing import graph_text

        return graph_text(self.graph.results)

    @property
    def kernels(self) -> list:
        return [] if self.native is None else self.native.kernels

    def llvm_ir(self) -> str:
        """LLVM IR of the serial driver, then of each kernel and loop step it called (for the
        types of earlier calls)."""
        return self._inspect(asm=False)

    def asm(self) -> str:
        """Machine code of the serial driver, then of each kernel and loop step it called."""
        return self._inspect(asm=True)

    def _inspect(self, asm: bool) -> str:
        # Functions loaded from Numba's cache hold placeholders: recompile without it.
        if self.native is None:
            raise TypeError("the interpreter generates no code; compile with target='cpu'")
        if self.target == "cuda":
            return self._cuda_inspect(asm)
        import numba

        driver = self.native.module.run_serial
        if not driver.signatures:
            # no call yet: the types the entry point passes for C-contiguous inputs
            arrays = [np.empty((0,) * v.ndim, v.dtype) for v in self.inputs]
            arrays += [p.container if isinstance(p, SharedVariable) else p.data for p in self.native.info.params[len(self.inputs) :]]
            driver.compile(tuple(numba.typeof(a) for a in arrays))
        texts = []
        # the driver calls kernels and loop steps by address (symnet.codegen.calls): each is
        # a function of its own, shown after it
        for title, cached in [("run_serial", driver)] + _callees(self.native.module, set()):
            options = {k: v for k, v in cached.targetoptions.items() if k not in ("cache", "nopython")}
            fresh = numba.njit(**options)(cached.py_func)
            for signature in cached.signatures:
                fresh.compile(signature)
            texts.append(f"; ---- {title}")
            texts.extend((fresh.inspect_asm if asm else fresh.inspect_llvm)().values())
        return "\n".join(texts)

    def _cuda_inspect(self, asm: bool) -> str:
        """PTX of every fused CUDA kernel (``asm``), compiled for the types the driver passes:
        needs NVVM, not a GPU. LLVM IR comes from Numba's dispatchers after a call on a GPU."""
        from symnet.codegen import cudalib

        if cudalib.SIMULATOR:
            raise RuntimeError("the CUDA simulator compiles nothing: run without NUMBA_ENABLE_CUDASIM=1 for PTX")
        texts = []
        for name, signature in self.native.info.signatures.items():
            kernel = getattr(self.native.module, name)
            texts.append(f"// ---- {name}")
            if asm:
                texts.append(cudalib.ptx(kernel, signature))
            elif kernel.signatures:
                texts.extend(kernel.inspect_llvm().values())
            else:
                raise RuntimeError("LLVM IR of CUDA kernels needs a call on a GPU first; f.asm() gives PTX without one")
        return "\n".join(texts)

    def __call__(self, *args):
        # compiled: the generated entry point, with checks of dtype and ndim inline and one
        # native call (sizes are checked there); a wrong argument count is a TypeError there
        try:
            return self._checked(args) if self.debug_nans else self._entry(*args)
        except TypeError:
            self._check_count(args)
            raise

    def _checked(self, args):
        """A call under ``config.debug_nans``: results with NaN or inf raise
        FloatingPointError, and the updated shared variables get their old values back."""
        updated = [s for s, _ in self._updates]
        before = [s.get_value() for s in updated]
        results = self._entry(*args)
        values = [results] if self.single else list(results)
        values = [v.copy_to_host() if hasattr(v, "copy_to_host") else v for v in values]
        bad = nancheck.first_non_finite(values + [s.get_value() for s in updated])
        if bad is None:
            return results
        with interrupts.deferred():
            for s, old in zip(updated, before):
                np.copyto(s.container, old)  # in place: arrays taken with borrow=True see it too
        arrays = [_check_argument(v, a.copy_to_host() if hasattr(a, "copy_to_host") else a, i) for i, (v, a) in enumerate(zip(self.inputs, args))]
        state = {s: s.get_value() for s in self._shared}
        n = len(values)
        what = f"output {bad}" if bad < n else f"the update of {updated[bad - n].label()}"
        where = nancheck.origin(self.graph, arrays, state, bad)
        raise FloatingPointError(f"{self.name or 'function'}: {what} has non-finite values (debug_nans); {where}\n"
                                 "  shared variables keep their values from before the call")

    def _check_count(self, args) -> None:
        if len(args) != self._arity:
            raise TypeError(f"{self.name or 'function'} takes {self._arity} arguments, got {len(args)}") from None

    def _interpreted(self, *args):
        self._check_count(args)
        outputs = self._interpret([_check_argument(v, a, i) for i, (v, a) in enumerate(zip(self.graph.inputs, args))])
        return outputs[0] if self.single else list(outputs)

    def run_batches(self, *args, batch_size: int):
        """Call the function on consecutive batches: slices of ``batch_size`` rows (along axis
        0) of every input that has axes, 0-d inputs whole; updates apply after each batch as
        in a loop of calls. Returns each output per batch, an array of length
        ceil(rows / batch_size). Outputs must be scalars (a loss, a metric). Compiled
        functions run the whole loop in one native call."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"run_batches: batch_size must be a positive integer, got {batch_size!r}")
        self._check_count(args)
        if any(v.ndim for v in self.outputs):
            raise TypeError("run_batches needs scalar outputs (reduce them, e.g. with sn.mean)")
        arrays = [_check_argument(v, a, i) for i, (v, a) in enumerate(zip(self.inputs, args))]
        batched = [(i, a) for i, a in enumerate(arrays) if a.ndim]
        if not batched:
            raise TypeError("run_batches needs an input with axes to slice")
        n = len(batched[0][1])
        for i, a in batched:
            if len(a) != n:
                raise ShapeError(f"run_batches: input {i} ({self.inputs[i].label()}) has {len(a)} rows, input {batched[0][0]} has {n}")
        if self.native is None or self.target == "cuda" or self.debug_nans:
            # the interpreter, CUDA (a Python driver already: one launch sequence per batch),
            # and checked calls (each batch is checked before the next one runs)
            per_batch = []
            for s in range(0, n, batch_size):
                results = self(*(a[s : s + batch_size] if a.ndim else a for a in arrays))
                per_batch.append(results if not self.single else [results])
            columns = zip(*per_batch) if per_batch else [[] for _ in self.outputs]
            out = [np.asarray(c, dtype=v.dtype) for c, v in zip(columns, self.outputs)]
            return out[0] if self.single else out
        return self._native_batches(arrays, batch_size)

    def _native_batches(self, arrays: list, batch_size: int):
        from symnet.codegen.build import PARALLEL_INPUT_ELEMENTS

        module = self.native.module
        state = [v.container if isinstance(v, SharedVariable) else v.data for v in self.native.info.params[len(arrays) :]]
        sizes = [min(batch_size, len(a)) * (a.size // max(len(a), 1)) if a.ndim else 1 for a in arrays]
        big = max(sizes + [a.size for a in state]) >= PARALLEL_INPUT_ELEMENTS
        run = module.run_batches_parallel if big else module.run_batches_serial
        start = time.perf_counter()
        try:
            out = [np.asarray(o) for o in run(batch_size, *arrays, *state)]
        except ValueError as e:
            raise self.native.failure(e) from None
        finally:
            # a first call compiles (or loads) the driver: time it as the "numba" stage
            self.compile_time.setdefault("numba", time.perf_counter() - start)
        return out[0] if self.single else out

    def _device_argument(self, position: int, arg):
        """A CUDA function's argument as a device array: device arrays (``__cuda_array_interface__``)
        are checked and used in place, anything else is checked as on the CPU and copied over."""
        from symnet.codegen import cudalib

        v = self.inputs[position]
        if not cudalib.is_device_array(arg):
            return cudalib.to_device(_check_argument(v, arg, position))
        array = cudalib.to_device(arg)
        label = f"input {position} ({v.label()})"
        if array.dtype != np.dtype(v.dtype):
            raise TypeError(f"{label}: expected a {v.dtype} device array, got {array.dtype} (device arrays are not converted)")
        if not v.type.accepts(array):  # reads only ndim and shape: no copy to the host
            raise ShapeError(f"{label}: expected shape {_shape_text(v.type)}, got {tuple(array.shape)}")
        return array

    def _cuda_call(self, *args):
        self._check_count(args)
        results = self._device_entry(*args)
        if not self.device_outputs:
            results = [r.copy_to_host() if hasattr(r, "copy_to_host") else np.asarray(r) for r in results]
        return results[0] if self.single else list(results)

    def _convert_and_call(self, *args):
        """The entry point's slow path: convert (or reject) arguments, then call again."""
        return self._fast_entry(*[_check_argument(v, a, i) for i, (v, a) in enumerate(zip(self.inputs, args))])

    def _interpret(self, arrays: list) -> list:
        env = dict(zip(self.graph.inputs, arrays))
        env.update({s: s.container for s in self._shared})
        results = interp.evaluate(self.graph.results, env)
        n = len(self.graph.outputs)
        for (s, _), new in zip(self.graph.updates, results[n:]):
            if new.shape != s.type.shape:
                raise ShapeError(f"update of {s.label()} computed shape {new.shape}, expected {s.type.shape}")
        # Commit only once everything is computed: a failed call updates nothing.
        new_values = [np.array(new, dtype=s.dtype) for (s, _), new in zip(self.graph.updates, results[n:])]
        with interrupts.deferred():
            for (s, _), new in zip(self.graph.updates, new_values):
                s.container = new
        return results[:n]


def _check_inputs(inputs) -> list:
    if not isinstance(inputs, (list, tuple)):  # a lone variable too
        raise TypeError("inputs must be a list of symbolic variables, e.g. [x]")
    inputs = list(inputs)
    for v in inputs:
        if not isinstance(v, Variable):
            raise TypeError(f"inputs must be symbolic variables, got {type(v).__name__}")
        if isinstance(v, (Constant, SharedVariable)) or v.owner is not None:
            raise TypeError(
                f"input {v.label()} is not a free input (a constant, shared variable or computed "
                "expression); inputs come from sn.scalar/vector/matrix/tensor"
            )
    if len(set(inputs)) != len(inputs):
        raise ValueError("an input is listed twice")
    return inputs


def _check_updates(updates) -> list:
    if updates is None:
        return []
    pairs = list(updates.items() if isinstance(updates, dict) else updates)
    out, seen = [], set()
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"updates must be (shared_variable, new_expression) pairs, got {pair!r}")
        shared, new = pair
        if not isinstance(shared, SharedVariable):
            raise TypeError(f"update target {getattr(shared, 'label', lambda: shared)()} is not a shared variable")
        if shared in seen:
            raise ValueError(f"shared variable {shared.label()} is updated twice")
        seen.add(shared)
        new = as_tensor(new, shared, what=f"the update of {shared.label()}")
        if new.dtype != shared.dtype:
            raise TypeError(
                f"update of {shared.label()} ({shared.dtype}) has dtype {new.dtype}; "
                f"use .astype({shared.dtype!r}) if that is intended"
            )
        # the new value must have the shape itself (a broadcast is not an update of every element)
        if new.ndim != shared.ndim or any(n is not None and n != s for n, s in zip(new.type.shape, shared.type.shape)):
            raise ShapeError(f"update of {shared.label()} {shared.type} has type {new.type}")
        out.append((shared, new))
    return out


def _recompiled(inputs, outputs, updates, target, name) -> Function:
    # the updates already hold the default ones, and an unused input was allowed when it was made
    return function(inputs, outputs, updates=updates, target=target, name=name, on_unused_input="ignore",
                    no_default_updates=True)


def _check_givens(givens, inputs) -> dict:
    """``givens`` as {variable: replacement}, each replacement of its variable's type."""
    if givens is None:
        return {}
    pairs = list(givens.items() if isinstance(givens, dict) else givens)
    replace = {}
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"givens must be a dict or (variable, expression) pairs, got {pair!r}")
        var, value = pair
        if not isinstance(var, Variable) or isinstance(var, Constant):
            raise TypeError(f"givens: what is replaced must be a symbolic variable, got {var!r}")
        if var in inputs:
            raise ValueError(f"givens: {var.label()} is an input of the function; an input cannot also be replaced")
        if var in replace:
            raise ValueError(f"givens: {var.label()} is given twice")
        new = as_tensor(value, var, what=f"the replacement of {var.label()} in givens")
        if new.dtype != var.dtype or new.ndim != var.ndim:
            raise TypeError(f"givens: {var.label()} is {var.type} but its replacement is {new.type}; "
                            f"they must have the same dtype and ndim (cast it with .astype({var.dtype!r}))")
        if any(a is not None and b is not None and a != b for a, b in zip(var.type.shape, new.type.shape)):
            raise ShapeError(f"givens: {var.label()} has shape {var.type} but its replacement has {new.type}")
        replace[var] = new
    return replace


def _default_updates(results, updates, skip) -> list:
    """The default updates of the shared variables ``results`` read, as Theano adds them."""
    if skip is True:
        return []
    skipped = set(skip or ()) | {s for s, _ in updates}
    found = [(v, v.default_update) for v in graph_inputs(results)
             if isinstance(v, SharedVariable) and v.default_update is not None and v not in skipped]
    return _check_updates(found)


def _check_used(inputs, results, on_unused_input: str) -> None:
    used = set(graph_inputs(results))
    for k, v in enumerate(inputs):
        if v in used or on_unused_input == "ignore":
            continue
        message = (f"input {k} ({v.label()}) is not used to compute the outputs or updates; "
                   "pass on_unused_input='ignore' (or 'warn') to sn.function to allow it")
        if on_unused_input == "raise":
            raise UnusedInputError(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def _check_closed(inputs, results) -> None:
    given = set(inputs)
    for v in graph_inputs(results):
        if not isinstance(v, (Constant, SharedVariable)) and v not in given:
            raise ValueError(f"the outputs depend on {v.label()} ({v.type}), which is not among the inputs")


@dataclass(frozen=True)
class _Fixed:
    """An array constant passed to the driver, read like a shared variable's container."""

    container: np.ndarray


def _check_argument(v: Variable, arg, position: int) -> np.ndarray:
    label = f"input {position} ({v.label()})"
    try:
        array = np.asarray(arg)
    except ValueError as e:  # a ragged list: NumPy's message does not say which argument
        raise TypeError(f"{label}: cannot make an array of this {type(arg).__name__} (rows of different lengths?): {e}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{label}: expected {v.dtype} numbers, got an array of {array.dtype}")
    if not np.can_cast(array.dtype, v.dtype, "same_kind"):
        raise TypeError(f"{label}: cannot use {array.dtype} data for a {v.dtype} input")
    if array.ndim != v.ndim:
        raise TypeError(f"{label}: expected {v.ndim} dims ({v.type}), got shape {array.shape}")
    if not v.type.accepts(array):
        raise ShapeError(f"{label}: expected shape {_shape_text(v.type)}, got {array.shape}")
    array = array.astype(v.dtype, copy=False)
    dtype = np.dtype(v.dtype)
    # the entry point tests dtypes by identity: a dtype carrying metadata or another byte
    # order would send it back here forever
    return array if array.dtype is dtype else array.astype(dtype).view(dtype)


def _shape_text(t: TensorType) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in t.shape) + ")"
