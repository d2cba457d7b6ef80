"""Matrix products: ``Matmul`` with NumPy's matmul semantics (vectors, matrices, batches)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError
from symnet.ops.base import Op
from symnet.tensor_type import TensorType, broadcast_shapes, upcast


@dataclass(frozen=True)
class Matmul(Op):
    """``a @ b``: 1-d operands are promoted to matrices and the added axis removed after."""

    name = "matmul"

    def output_types(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise TypeError("matmul needs operands with at least one dimension; use * for scalars")
        a_shape = (1,) + a.shape if a.ndim == 1 else a.shape
        b_shape = b.shape + (1,) if b.ndim == 1 else b.shape
        k_a, k_b = a_shape[-1], b_shape[-2]
        if k_a is not None and k_b is not None and k_a != k_b:
            raise ShapeError(f"matmul: inner sizes differ ({a} @ {b}: {k_a} != {k_b})")
        batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
        shape = batch + (a_shape[-2],) * (a.ndim > 1) + (b_shape[-1],) * (b.ndim > 1)
        dtype = upcast(a.dtype, b.dtype)
        return [TensorType("int64" if dtype == "bool" else dtype, shape)]

    def infer_shape(self, node, sizes):
        a, b = (sizes.of(v) for v in node.inputs)
        a2 = ("1",) + a if len(a) == 1 else a
        b2 = b + ("1",) if len(b) == 1 else b
        x, y = (sizes.literal(v.label()) for v in node.inputs)
        labels = [f"{x} has {{}} {'columns' if len(a) > 1 else 'elements'}", f"{y} has {{}} {'rows' if len(b) > 1 else 'elements'}"]
        sizes.equal([a2[-1], b2[-2]], node, "matmul inner", labels)
        batch = sizes.batch(node.inputs, node)
        return [batch + ((a2[-2],) if len(a) > 1 else ()) + ((b2[-1],) if len(b) > 1 else ())]

    def flops(self, node, values) -> int:
        a = values[node.inputs[0]]
        return 2 * int(np.size(values[node.outputs[0]])) * (a.shape[-1] if a.ndim else 1)

    def evaluate(self, a, b):
        dtype = self.output_types(TensorType(a.dtype.name, a.shape), TensorType(b.dtype.name, b.shape))[0].dtype
        # operands cast first: bool @ bool counts (int64), as the type rule says, not NumPy's logical
        return [np.asarray(np.matmul(a.astype(dtype, copy=False), b.astype(dtype, copy=False)))]

    def pullback(self, node, cotangents):
        """With 1-d operands promoted to matrices: da = g @ bᵀ, db = aᵀ @ g, then un-promoted."""
        from symnet import expr as T

        (g,) = cotangents
        a, b = node.inputs
        if g is None:
            return [None, None]
        a2 = T.expand_dims(a, (0,)) if a.ndim == 1 else a
        b2 = T.expand_dims(b, (1,)) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = T.expand_dims(g2, (g2.ndim - (b.ndim > 1),))
        if b.ndim == 1:
            g2 = T.expand_dims(g2, (g2.ndim,))
        ga = Matmul()(g2, T.swapaxes(b2))
        gb = Matmul()(T.swapaxes(a2), g2)
        if a.ndim == 1:
            ga = T.squeeze(ga, (ga.ndim - 2,))
        if b.ndim == 1:
            gb = T.squeeze(gb, (gb.ndim - 1,))
        return [T.cast(T.sum_to(ga, a.type), a.dtype), T.cast(T.sum_to(gb, b.type), b.dtype)]
