"""The graph data: Variable, Constant, SharedVariable, Apply, and graph traversal. Nothing else."""

from __future__ import annotations

import itertools
import os
import sys
from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError
from symnet.tensor_type import TensorType, normalize_dtype

_SYMNET_DIR = os.path.dirname(os.path.abspath(__file__))
_ids = itertools.count()


@dataclass(frozen=True)
class Trace:
    """Where user code created a node: for error messages."""

    filename: str
    lineno: int
    line: str

    def __str__(self) -> str:
        return f'File "{self.filename}", line {self.lineno}: {self.line}'


def user_trace() -> Trace | None:
    """The innermost stack frame outside the symnet package (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_SYMNET_DIR):
            import linecache

            line = linecache.getline(filename, frame.f_lineno).strip()
            return Trace(filename, frame.f_lineno, line)
        frame = frame.f_back
    return None


class Variable:
    """A symbolic tensor: an input (no owner) or output ``index`` of the Apply ``owner``.

    Variables compare by identity; arithmetic operators build new graph nodes (see
    ``symnet.expr``), so ``==`` is not overloaded: use ``sn.eq``.
    """

    def __init__(self, type: TensorType, owner: Apply | None = None, index: int = 0, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.id = next(_ids)

    # -- static facts -------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def shape(self) -> tuple:
        """One symbolic int64 scalar per axis (constant-folded where the size is known)."""
        return tuple(_tensor().shape_i(self, i) for i in range(self.ndim))

    def __repr__(self) -> str:
        return f"{self.label()}: {self.type}"

    def label(self) -> str:
        if self.name:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op.name}.{self.id}"
        return f"v{self.id}"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self):
        raise TypeError(
            "a symbolic variable has no truth value; use sn.where for conditionals "
            "and sn.eq/sn.neq for comparisons"
        )

    # -- operators: thin forwards to symnet.expr ------------------------------------
    def __add__(self, other):
        return _tensor().add(self, other)

    def __radd__(self, other):
        return _tensor().add(other, self)

    def __sub__(self, other):
        return _tensor().sub(self, other)

    def __rsub__(self, other):
        return _tensor().sub(other, self)

    def __mul__(self, other):
        return _tensor().mul(self, other)

    def __rmul__(self, other):
        return _tensor().mul(other, self)

    def __truediv__(self, other):
        return _tensor().true_div(self, other)

    def __rtruediv__(self, other):
        return _tensor().true_div(other, self)

    def __floordiv__(self, other):
        return _tensor().floor_div(self, other)

    def __rfloordiv__(self, other):
        return _tensor().floor_div(other, self)

    def __mod__(self, other):
        return _tensor().mod(self, other)

    def __rmod__(self, other):
        return _tensor().mod(other, self)

    def __pow__(self, other):
        return _tensor().power(self, other)

    def __rpow__(self, other):
        return _tensor().power(other, self)

    def __matmul__(self, other):
        return _tensor().matmul(self, other)

    def __rmatmul__(self, other):
        return _tensor().matmul(other, self)

    def __neg__(self):
        return _tensor().neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _tensor().abs(self)

    def __lt__(self, other):
        return _tensor().lt(self, other)

    def __le__(self, other):
        return _tensor().le(self, other)

    def __gt__(self, other):
        return _tensor().gt(self, other)

    def __ge__(self, other):
        return _tensor().ge(self, other)

    def __getitem__(self, index):
        return _tensor().getitem(self, index)

    @property
    def T(self):
        return _tensor().transpose(self)

    def transpose(self, *axes):
        return _tensor().transpose(self, *axes)

    def reshape(self, *shape):
        return _tensor().reshape(self, *shape)

    def flatten(self, ndim=1):
        return _tensor().flatten(self, ndim)

    def dimshuffle(self, *pattern):
        return _tensor().dimshuffle(self, *pattern)

    def norm(self, L=2, axis=None, keepdims=False):
        return _tensor().norm(self, L, axis, keepdims)

    def sum(self, axis=None, keepdims=False):
        return _tensor().sum(self, axis, keepdims)

    def prod(self, axis=None, keepdims=False):
        return _tensor().prod(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _tensor().mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _tensor().max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _tensor().min(self, axis, keepdims)

    def argmax(self, axis=None):
        return _tensor().argmax(self, axis)

    def astype(self, dtype):
        return _tensor().cast(self, dtype)


def _tensor():
    return sys.modules["symnet.expr"]


class Constant(Variable):
    """A constant tensor; its data is a read-only array."""

    def __init__(self, data, dtype=None, name=None):
        array = np.array(data, dtype=None if dtype is None else normalize_dtype(dtype))
        if array.dtype == np.float16 or array.dtype.kind in "uc":
            raise TypeError(f"unsupported constant dtype {array.dtype}")
        if array.dtype.kind == "i" and array.dtype.itemsize < 4:
            array = array.astype(np.int32)
        array.setflags(write=False)
        super().__init__(TensorType(array.dtype.name, array.shape), name=name)
        self.data = array

    def signature(self) -> tuple:
        """Equal for constants with equal dtype, shape and values (for merging)."""
        return (self.data.dtype.name, self.data.shape, self.data.tobytes())

    def label(self) -> str:
        if self.name:
            return self.name
        if self.data.ndim == 0:
            return str(self.data[()])
        return f"const{self.data.shape}"


class SharedVariable(Variable):
    """State kept across calls (weights): its shape and dtype are fixed when it is created.

    The value lives on the host (``container``) or, once a CUDA function has used it, on
    the device; each side fetches it from the other when it is newer there, so CPU and CUDA
    functions and ``get_value`` always see the latest update.
    """

    def __init__(self, value, name=None, borrow: bool = False):
        # borrow (Theano's): keep the caller's array, which then sees every in-place update
        # (a read-only or non-contiguous one is copied: updates are written in place)
        array = np.asarray(value) if borrow else np.array(value)
        if borrow and not (array.flags.c_contiguous and array.flags.writeable):
            array = np.array(array)
        if array.dtype.kind not in "biuf":
            label = f" {name}" if name else ""
            raise TypeError(f"shared variable{label}: its value must be numbers, got {type(value).__name__} {value!r:.60}")
        if array.dtype.kind == "f" and array.dtype.itemsize < 4:
            array = array.astype(np.float32)
        if array.dtype.kind == "i" and array.dtype.itemsize < 4:
            array = array.astype(np.int32)
        super().__init__(TensorType(array.dtype.name, array.shape), name=name)
        self._host = array
        # Theano's default update: what sn.function updates this variable to after each call
        # of a function that reads it, unless its updates say otherwise (a random stream's counter)
        self.default_update = None
        self._device = None  # a CUDA device array, or None
        self._device_newer = False  # a CUDA function may have written the device copy
        # the host array while it is the only copy, else None: the CPU entry point's one read
        self.host_only = array

    def __getstate__(self) -> dict:
        """Pickled with its current value on the host (a device copy does not travel)."""
        state = dict(self.__dict__)
        state["_host"] = self.get_value()
        state.update(_device=None, _device_newer=False, host_only=state["_host"])
        return state

    @property
    def container(self) -> np.ndarray:
        """The host array, current; whoever takes it may write it, so a device copy is dropped."""
        if self._device is not None:
            self._to_host()
            self._device = None
            self.host_only = self._host
        return self._host

    @container.setter
    def container(self, array: np.ndarray) -> None:
        self._host = self.host_only = array
        self._device = None
        self._device_newer = False

    def device_value(self, written: bool):
        """The device array (copied over if the host is newer) for a CUDA function;
        ``written``: the function updates it, so the host copy is stale afterwards."""
        if self._device is None:
            from symnet.codegen import cudalib

            self._device = cudalib.to_device(self._host)
            self.host_only = None
        self._device_newer |= written
        return self._device

    def _to_host(self) -> None:
        if self._device_newer:
            self._device.copy_to_host(self._host)
            self._device_newer = False

    def get_value(self, borrow: bool = False) -> np.ndarray:
        if borrow:
            return self.container
        if self._device is not None:
            self._to_host()
        return self._host.copy()

    def set_value(self, value, borrow: bool = False) -> None:
        array = np.asarray(value)
        if array.shape != self.type.shape:
            raise ShapeError(
                f"shared variable {self.label()} has shape {self.type.shape}, "
                f"cannot set a value of shape {array.shape}"
            )
        if not np.can_cast(array.dtype, self.dtype, "same_kind"):
            raise TypeError(f"shared variable {self.label()} is {self.dtype}, got {array.dtype}")
        if borrow and array.dtype == self.dtype and array.flags.c_contiguous:
            self.container = array
        else:
            self.container = np.array(array, dtype=self.dtype, order="C")  # ascontiguousarray makes 0-d 1-d


class Apply:
    """One application of an ``Op`` to input Variables, producing output Variables."""

    def __init__(self, op, inputs, output_types, trace: Trace | None = None):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = [Variable(t, self, i) for i, t in enumerate(output_types)]
        self.trace = trace if trace is not None else current_trace() or user_trace()

    def __repr__(self) -> str:
        args = ", ".join(v.label() for v in self.inputs)
        return f"{self.op}({args})"

    def where(self) -> str:
        """Description for error messages: the node and the user line that created it."""
        text = f"node {self!r}"
        if self.trace is not None:
            text += f"\n  created at {self.trace}"
        return text


# While a rewrite builds a replacement, its nodes inherit the trace of the node replaced.
_trace_stack: list = []


def current_trace() -> Trace | None:
    return _trace_stack[-1] if _trace_stack else None


class inherit_trace:
    """Context manager: nodes created inside carry ``trace``."""

    def __init__(self, trace: Trace | None):
        self.trace = trace

    def __enter__(self):
        _trace_stack.append(self.trace)

    def __exit__(self, *exc):
        _trace_stack.pop()


def toposort(outputs, is_leaf=None) -> list:
    """Apply nodes feeding ``outputs``, each after the nodes it depends on (iterative DFS).

    Variables for which ``is_leaf(v)`` holds are treated as leaves: their owners are not visited.
    """
    def expand(v):
        return v.owner is not None and (is_leaf is None or not is_leaf(v))

    order, seen = [], set()
    stack = [(v.owner, False) for v in reversed(list(outputs)) if expand(v)]
    while stack:
        node, expanded = stack.pop()
        if node in seen:
            continue
        if expanded:
            seen.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for v in reversed(node.inputs):
            if expand(v) and v.owner not in seen:
                stack.append((v.owner, False))
    return order


def clone(outputs: list, replace: dict, made: dict | None = None) -> list:
    """``outputs`` rebuilt with the variables of ``replace`` swapped for their values (the
    nodes between them made again by their ops, keeping their users' lines); ``made``
    collects every variable's replacement."""
    made = {} if made is None else made
    made.update(replace)
    for node in toposort(outputs, is_leaf=lambda v: v in replace):
        inputs = [made.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(inputs, node.inputs)):
            continue
        with inherit_trace(node.trace):
            new = node.op.make_node(*inputs)
        made.update(zip(node.outputs, new.outputs))
    return [made.get(v, v) for v in outputs]


def graph_inputs(outputs) -> list:
    """Root variables (no owner) that ``outputs`` depend on, in first-seen order."""
    roots, seen = [], set()
    for v in outputs:
        if v.owner is None and v not in seen:
            seen.add(v)
            roots.append(v)
    for node in toposort(outputs):
        for v in node.inputs:
            if v.owner is None and v not in seen:
                seen.add(v)
                roots.append(v)
    return roots
