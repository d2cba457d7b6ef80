"""``config.debug_nans``: a call whose results hold NaN or inf raises, names the node where the
first non-finite value came from, and leaves shared variables as they were before the call."""

from __future__ import annotations

import numpy as np

from symnet import interp
from symnet.graph import Constant


def non_finite(value) -> bool:
    """Whether ``value`` is a float array with a NaN or inf."""
    value = np.asarray(value)
    return value.dtype.kind in "fc" and not np.isfinite(value).all()


def first_non_finite(values: list) -> int | None:
    """The position of the first float array in ``values`` with a NaN or inf, or None."""
    return next((k for k, v in enumerate(values) if non_finite(v)), None)


def _kind(value) -> str:
    return "nan" if np.isnan(value).any() else "inf"


def origin(graph, arrays: list, state: dict, bad: int) -> str:
    """Where result ``bad`` of ``graph`` first became non-finite, found by the reference
    interpreter on the call's inputs ``arrays`` and the shared values ``state`` from before the
    call: the node whose inputs are finite and whose output is not, on the path to the result."""
    env = dict(zip(graph.inputs, arrays))
    env.update(state)
    with np.errstate(all="ignore"):
        env = interp.evaluate_all(graph.results, env)
    v = graph.results[bad]
    if not non_finite(env[v]):
        return ("the reference interpreter computes it finite on the same inputs: the compiled "
                "code differs there (try SYMNET_FAST_MATH=0)")
    while v.owner is not None:
        node = v.owner
        upstream = [u for u in node.inputs if not isinstance(u, Constant) and non_finite(env[u])]
        if not upstream:
            inputs = ", ".join(f"{u.label()} in [{_range(env[u])}]" for u in dict.fromkeys(node.inputs) if np.asarray(env[u]).dtype.kind in "fiub")
            return f"{_kind(env[v])} first appeared in the output of {node.where()}\n  its inputs: {inputs}"
        v = upstream[0]
    where = "an input" if v in graph.inputs else "shared variable" if v in state else "a value"
    return f"{where} {v.label()} already holds {_kind(env[v])} values"


def _range(value) -> str:
    value = np.asarray(value)
    if value.size == 0:
        return "empty"
    return f"{value.min():.4g}, {value.max():.4g}"
