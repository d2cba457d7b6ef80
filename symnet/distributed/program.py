"""The functions of a data-parallel step, built on the client and compiled on each worker:
the gradients of a replica's share of the batch and the update from their sum (synchronous
training), or a whole local step (local SGD), and the state they keep in step."""

from __future__ import annotations

import numpy as np

import symnet as sn
from symnet.graph import SharedVariable, graph_inputs


class Program:
    """``outputs[0]`` is the loss; every output is a mean over the batch's rows. ``updates``
    maps the gradients to the optimizer's (shared, new value) pairs; ``averaged`` are other
    (shared, new value) pairs (a batch normalization's statistics) that every replica moves by
    the rows-weighted mean of the replicas' moves; ``counted`` are (shared, new value) pairs
    whose moves add up across replicas (a metric's counts). Pickled as its functions' graphs."""

    def __init__(self, inputs, outputs, params, updates, averaged=(), sync_every: int = 1, target=None, counted=()):
        self.columns, self.n_outputs, self.sync_every = len(inputs), len(outputs), sync_every
        averaged, counted = list(averaged), list(counted)
        self.counted = [v for v, _ in counted]
        self.count_shapes = [v.type.shape for v in self.counted]
        if sync_every == 1:
            share = sn.scalar("replica_share", dtype=outputs[0].dtype)
            grads = sn.grad(share * outputs[0], params)
            deltas = [share * (new - v) for v, new in averaged] + [new - v for v, new in counted]
            self.gradients_fn = sn.function(list(inputs) + [share], list(outputs) + grads + deltas,
                                            name="replica_gradients", target=target)
            summed = [sn.tensor(f"summed_{k}", p.dtype, ndim=p.ndim) for k, p in enumerate(params)]
            moves = [sn.tensor(f"moved_{k}", v.dtype, ndim=v.ndim) for k, (v, _) in enumerate(averaged + counted)]
            moved = [(v, v + d) for (v, _), d in zip(averaged + counted, moves)]
            self.apply_fn = sn.function(summed + moves, [], updates=list(updates(summed)) + moved, name="replica_apply", target=target)
            self.shapes = [p.type.shape for p in params] + [v.type.shape for v, _ in averaged]
            self.dtype = np.result_type(*[p.dtype for p in params], *[v.dtype for v, _ in averaged])
            functions = [self.gradients_fn, self.apply_fn]
        else:
            self.step_fn = sn.function(list(inputs), list(outputs),
                                       updates=list(updates(sn.grad(outputs[0], params))) + averaged + counted,
                                       name="replica_step", target=target)
            functions = [self.step_fn]
        shared = []
        for f in functions:
            for v in graph_inputs(list(f.outputs) + [new for _, new in f._updates]) + [v for v, _ in f._updates]:
                if isinstance(v, SharedVariable) and v not in shared:
                    shared.append(v)
        # a random stream's counter moves on by itself on each replica; the rest is one state
        self.counters = [v for v in shared if v.default_update is not None]
        self.state = [v for v in shared if v.default_update is None]
        self.averaged_state = [v for v in self.state if v not in self.counted]  # local SGD averages these
        self.base: list = []  # the counts at the last exchange (local SGD)

    # -- synchronous steps -------------------------------------------------------------------
    def gradients(self, batch: list, share: float) -> tuple:
        """(this batch's outputs, its share of the gradients and moves as one flat array,
        its counts' moves as another, float64)."""
        values = self.gradients_fn(*batch, np.asarray(share, self.gradients_fn.inputs[-1].dtype))
        outs = np.array([float(v) for v in values[: self.n_outputs]])
        parts = values[self.n_outputs : len(values) - len(self.counted)]
        counts = values[len(values) - len(self.counted) :]
        return outs, _flat(parts, self.dtype), _flat(counts, np.float64)

    def zero_parts(self) -> tuple:
        return (np.zeros(sum(int(np.prod(s)) for s in self.shapes), self.dtype),
                np.zeros(sum(int(np.prod(s)) for s in self.count_shapes)))

    def apply(self, flat: np.ndarray, counts: np.ndarray) -> None:
        moves = [c.astype(v.dtype) for c, v in zip(_unflat(counts, self.count_shapes), self.counted)]
        self.apply_fn(*_unflat(flat, self.shapes), *moves)

    # -- local steps -------------------------------------------------------------------------
    def local_step(self, batch: list) -> np.ndarray:
        return np.array([float(v) for v in self.step_fn(*batch)])

    def flat_state(self) -> np.ndarray:
        return _flat([v.get_value(borrow=True) for v in self.averaged_state], np.float64)

    def set_flat_state(self, flat: np.ndarray) -> None:
        for v, a in zip(self.averaged_state, _unflat(flat, [v.type.shape for v in self.averaged_state])):
            v.set_value(a.astype(v.dtype))

    def rebase(self) -> None:
        """The counts as they are now are every replica's (after the client's push)."""
        self.base = [v.get_value() for v in self.counted]

    def count_moves(self) -> np.ndarray:
        """This replica's counts since the last exchange."""
        return _flat([v.get_value(borrow=True) - b for v, b in zip(self.counted, self.base)], np.float64)

    def add_counts(self, summed: np.ndarray) -> None:
        for v, b, d in zip(self.counted, self.base, _unflat(summed, self.count_shapes)):
            v.set_value((b + d).astype(v.dtype))
        self.rebase()

    def warm(self, data: list) -> None:
        """Run every function once on one row (compiling it), then put the state back."""
        saved = [v.get_value() for v in self.state + self.counters]
        batch = [a[:1] for a in data]
        if self.sync_every == 1:
            self.apply(*self.gradients(batch, 1.0)[1:])
        else:
            self.local_step(batch)
        for v, a in zip(self.state + self.counters, saved):
            v.set_value(a)


def _flat(arrays: list, dtype) -> np.ndarray:
    return np.concatenate([np.ravel(a).astype(dtype, copy=False) for a in arrays]) if arrays else np.zeros(0, dtype)


def _unflat(flat: np.ndarray, shapes: list) -> list:
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[start : start + size].reshape(shape))
        start += size
    return out
