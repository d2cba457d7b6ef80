"""``model.fit(..., distribute=client)``: a model's train step as a ``DataParallel`` program,
and the checks of Dask arrays given to ``fit`` (lazily: shapes and dtypes, no values read)."""

from __future__ import annotations

import numpy as np

import symnet as sn
from symnet.distributed.data_parallel import DataParallel


def data_parallel(model, client, weighted: bool, sync_every: int) -> DataParallel:
    """The model's training step on the client's workers, made once per (client, weighted,
    sync_every) and kept on the model."""
    _check_client(client)
    key = (id(client), weighted, sync_every)
    made = model.__dict__.setdefault("_data_parallel", {})
    if key in made:
        return made[key]
    from symnet.nn import saving
    from symnet.nn.models import _all_layers

    xs, outs, layer_updates, penalty = model._graph(training=True)
    ys = model._target_variables()
    weights = sn.vector("sample_weight") if weighted else None
    results, metric_updates = model._loss_and_metrics(outs, ys, penalty, weights)
    params = [w for layer in _all_layers(model) if layer.trainable for w in layer.weights if w not in layer.frozen]
    if not params:
        raise ValueError("fit(distribute=...): the model has no trainable weights")
    # a stream's counter moves by itself on each worker; a layer's state (moving statistics) is averaged
    averaged = [(v, new) for v, new in layer_updates if v.default_update is None]
    dp = DataParallel(client, xs + ys + ([weights] if weighted else []), results, params,
                      lambda grads: model.optimizer.updates(params, grads), averaged, sync_every, target=model.target,
                      counted=metric_updates)  # a metric's counts: every worker's added
    if model._saved_slots is not None:  # a loaded model: its optimizer goes on from its state
        saving.restore_slots(model.optimizer.slots, model._saved_slots, model.name)
        model._saved_slots = None
    made[key] = dp
    return dp


def _check_client(client) -> None:
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("fit(distribute=...) needs Dask: pip install 'symnet[distributed]'") from None
    if not isinstance(client, Client):
        raise TypeError(f"fit: distribute must be a dask.distributed.Client, got {type(client).__name__}")
    if client.status != "running":
        raise RuntimeError(f"fit(distribute=...): the Dask client is {client.status}")
    if not client.scheduler_info()["workers"]:
        raise RuntimeError("fit(distribute=...): the Dask client has no workers")


def checked_dask(model, x, y) -> tuple:
    """(input columns, target columns) of Dask arrays checked against the model's shapes."""
    import dask.array as da

    from symnet.nn.training import _by_name, fits

    xs = [da.asarray(a) for a in _by_name(x, model.input_names, "x", "fit")]
    ys = [da.asarray(a) for a in _by_name(y, model.output_names, "y", "fit")]
    n = xs[0].shape[0]
    for k, (a, shape) in enumerate(zip(xs, model.input_shapes)):
        name = "x" if len(xs) == 1 else f"x[{k}]"
        if a.dtype.kind not in "biuf":
            raise TypeError(f"fit: {name} must be an array of numbers, got {a.dtype}")
        if a.ndim == 0 or not fits(a.shape[1:], shape):
            raise ValueError(f"fit: the model takes examples of shape {tuple(shape)}, got {name} of shape {a.shape}")
        if a.shape[0] != n or np.isnan(n):
            raise ValueError(f"fit: the inputs must have the same known number of rows, got {[b.shape[0] for b in xs]}")
        dtype = model.input_dtypes[k] if model.input_dtypes[k].startswith("int") else sn.config.floatX
        xs[k] = a.astype(dtype)
    for k, a in enumerate(ys):
        name = "y" if len(ys) == 1 else f"y[{k}]"
        shape = model.output_shapes[k]
        if a.dtype.kind not in "biuf" or a.ndim == 0:
            raise TypeError(f"fit: {name} must be an array of numbers with a leading axis of rows, got {a.dtype} {a.shape}")
        if a.shape[0] != n:
            raise ValueError(f"fit: x has {n} rows but {name} has {a.shape[0]}")
        if model.loss_names[k] == "sparse_categorical_crossentropy":
            a = a.reshape((n, *shape[:-1])).astype(np.int64)
        elif model._vector_labels(k):
            a = a.reshape((n,)).astype(sn.config.floatX)
        elif shape == (1,) and a.ndim == 1:
            a = a.reshape((n, 1)).astype(sn.config.floatX)
        elif not fits(a.shape[1:], shape):
            raise ValueError(f"fit: the model outputs examples of shape {shape}, got {name} of shape {a.shape}")
        else:
            a = a.astype(sn.config.floatX)
        ys[k] = a
    return xs, ys
