"""Back-end rules by op type, and the NumPy fallback of an op a target has no rule for:
it warns, agrees with the interpreter on CPU and CUDA, checks the sizes it returns, and the
ops around it still compile and fuse."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import symnet as sn
from symnet.codegen.rules import CPU, CUDA
from symnet.ops.base import Op
from symnet.ops.linalg import Matmul
from symnet.ops.shape import DimShuffle
from symnet.ops.indexing import Take
from symnet.tensor_type import TensorType


@dataclass(frozen=True)
class SortLast(Op):
    """np.sort along the last axis: an op no back end has a rule for."""

    descending: bool = False
    name = "sort_last"

    def output_types(self, x):
        return [TensorType(x.dtype, x.shape)]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]

    def evaluate(self, x):
        out = np.sort(x, axis=-1)
        return [out[..., ::-1] if self.descending else out]


@dataclass(frozen=True)
class Halve(Op):
    """Returns the wrong number of rows: the driver must catch it."""

    name = "halve"

    def output_types(self, x):
        return [TensorType(x.dtype, (None,) + x.shape[1:])]

    def infer_shape(self, node, sizes):
        return [sizes.of(node.inputs[0])]  # says "as many rows", evaluate disagrees

    def evaluate(self, x):
        return [x[: len(x) // 2]]


def test_rules_are_found_by_op_type_and_parameters():
    assert CPU.find(Matmul()) is not None and CUDA.find(Matmul()) is not None
    assert CPU.find(Take(0)) is not None
    assert CPU.find(Take(1)) is None  # registered for axis 0 only: other axes fall back
    assert CPU.find(SortLast()) is None
    assert CPU.is_view(DimShuffle((1, 0))) and not CPU.is_view(Matmul())


def _compile(target, outputs_of):
    x = sn.matrix("x", dtype="float64")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = sn.function([x], outputs_of(x), target=target)
        if target != "interp":
            f(np.zeros((2, 3)))  # CPU programs compile on the first call
    return f, [w for w in caught if issubclass(w.category, sn.FallbackWarning)]


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_an_op_without_a_rule_runs_its_numpy_evaluate(target):
    def outputs(x):
        y = SortLast(descending=True)(sn.exp(x) * 2.0)
        return [sn.tanh(y) + 1.0, sn.sum(y * x)]

    f, fell_back = _compile(target, outputs)
    assert len(fell_back) == 1
    message = str(fell_back[0].message)
    assert "no rule for sort_last" in message and "test_rules.py" in message  # the op and the user's line
    reference, _ = _compile("interp", outputs)
    rng = np.random.default_rng(0)
    base = rng.standard_normal((5, 8))
    for x in (base, base[:, ::2], base[:0], base[:1, :1]):  # non-contiguous, empty, size 1
        got = [np.asarray(getattr(g, "copy_to_host", lambda g=g: g)()) for g in f(x)]
        for g, want in zip(got, reference(x)):
            np.testing.assert_allclose(g, want, rtol=1e-12)


def test_the_fallback_keeps_the_rest_fused_and_works_in_the_epoch_loop():
    x = sn.matrix("x", dtype="float64")
    y = SortLast()(x)
    loss = sn.mean(sn.tanh(y) * 3.0 + sn.exp(-y) - y * y)
    with pytest.warns(sn.FallbackWarning):
        f = sn.function([x], loss)
        rows = np.random.default_rng(1).standard_normal((7, 4))
        batches = f.run_batches(rows, batch_size=3)
    assert len(f.kernels) <= 2  # the elementwise work around the fallback is still fused
    want = [np.mean(np.tanh(s) * 3.0 + np.exp(-s) - s * s) for s in (np.sort(rows[k : k + 3], axis=-1) for k in (0, 3, 6))]
    np.testing.assert_allclose(np.ravel(batches), want, rtol=1e-12)
    np.testing.assert_allclose(f(rows[:3]), want[0], rtol=1e-12)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_a_fallback_that_returns_the_wrong_shape_is_an_error(target):
    x = sn.matrix("x", dtype="float64")
    with pytest.warns(sn.FallbackWarning):
        f = sn.function([x], Halve()(x) + 1.0, target=target)
        with pytest.raises(sn.ShapeError, match="fallback of halve returned the wrong shape"):
            f(np.ones((4, 2)))
