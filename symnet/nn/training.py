"""The training loop and inference of a model, Keras': ``fit`` (batches run natively, one
call per epoch or per slice of it), ``evaluate``, ``predict``, the on-batch forms, sample and
class weights, and the checks of the arrays given (``Model`` mixes this in)."""

from __future__ import annotations

import warnings

import numpy as np

import symnet as sn
from symnet.nn import callbacks as callbacks_module


class Training:
    """What a model does with data; the model provides its compiled functions, shapes, names
    and ``_logs`` (``symnet.nn.models.Model``)."""

    # -- data checks -------------------------------------------------------------------------
    def _check_x(self, x, what: str) -> list:
        """The input arrays, one per input (``x`` an array, a list, or a dict by input name)."""
        arrays = _by_name(x, self.input_names, "x", what)
        out = []
        for k, (a, shape) in enumerate(zip(arrays, self.input_shapes)):
            name = "x" if len(arrays) == 1 else f"x[{k}] ({self.input_names[k]})"
            dtype = self.input_dtypes[k] if self.input_dtypes[k].startswith("int") else sn.config.floatX
            a = np.ascontiguousarray(rows_of(a, name, what, dtype))
            if not fits(a.shape[1:], shape):
                raise ValueError(f"{what}: the model takes examples of shape {tuple(shape)} ({name} of shape "
                                 f"{(None, *shape)}), got {name} of shape {a.shape}")
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ValueError(f"{what}: {name} has nan or inf values (first at row {int(np.argwhere(~np.isfinite(a))[0][0])})")
            if out and len(a) != len(out[0]):
                raise ValueError(f"{what}: the inputs have different numbers of rows ({len(out[0])} and {len(a)})")
            out.append(a)
        return out

    def _check_y(self, y, n: int, what: str) -> list:
        """The target arrays, one per output (``y`` an array, a list, or a dict by output name)."""
        arrays = _by_name(y, self.output_names, "y", what)
        return [self._check_one_y(a, n, k, "y" if len(arrays) == 1 else f"y[{k}] ({self.output_names[k]})", what)
                for k, a in enumerate(arrays)]

    def _check_one_y(self, y, n: int, k: int, name: str, what: str) -> np.ndarray:
        y = rows_of(y, name, what)
        shape = self.output_shapes[k]
        if len(y) != n:
            raise ValueError(f"{what}: x has {n} rows but {name} has {len(y)}")
        if self.loss_names[k] == "sparse_categorical_crossentropy":
            if not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
                raise ValueError(f"{what}: sparse_categorical_crossentropy takes integer class labels")
            y = np.ascontiguousarray(y.reshape((n, *shape[:-1])), dtype=np.int64)
            classes = shape[-1]
            if n and (y.min() < 0 or y.max() >= classes):
                raise ValueError(f"{what}: labels must be in [0, {classes}), got values from {y.min()} to {y.max()}")
            return y
        y = np.ascontiguousarray(y, dtype=sn.config.floatX)
        if self._vector_labels(k):
            if y.size != n:
                raise ValueError(f"{what}: the model has one output per example, got {name} of shape {y.shape}")
            y = y.reshape(n)
        elif shape == (1,) and y.shape == (n,):  # one label per example for a one-unit output, as Keras takes
            y = y.reshape(n, 1)
        elif not fits(y.shape[1:], shape):
            raise ValueError(f"{what}: the model outputs examples of shape {shape}, got {name} of shape {y.shape}")
        if not np.isfinite(y).all():
            raise ValueError(f"{what}: {name} has nan or inf values")
        return y

    # -- training and inference --------------------------------------------------------------
    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True, class_weight=None,
            sample_weight=None, initial_epoch: int = 0, distribute=None, sync_every: int = 1) -> callbacks_module.History:
        """Train for epochs ``initial_epoch`` … ``epochs - 1``, as Keras' ``fit``; with
        ``sample_weight`` (one per row) or ``class_weight`` ({class: weight}) the loss is the
        weighted mean. ``distribute``: a ``dask.distributed.Client``, the rows sharded across its
        workers (NumPy or Dask arrays), each global batch split among them and their gradients
        summed (``sync_every=k``: local SGD, the workers' weights averaged every k steps);
        ``symnet.distributed``."""
        self._require_compiled("fit")
        if distribute is not None and _lazy(x, y):
            from symnet.distributed.model import checked_dask

            xs, ys = checked_dask(self, x, y)
            if sample_weight is not None or class_weight is not None:
                raise ValueError("fit: sample_weight and class_weight take NumPy arrays of rows; x and y are Dask arrays")
        else:
            xs = self._check_x(x, "fit")
            ys = self._check_y(y, len(xs[0]), "fit")
        weights = self._example_weights(ys, sample_weight, class_weight, "fit")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split!r}")
            cut = int(len(xs[0]) * (1 - validation_split))  # the last rows, before shuffling, as Keras
            validation = ([a[cut:] for a in xs], [a[cut:] for a in ys])
            xs, ys = [a[:cut] for a in xs], [a[:cut] for a in ys]
            weights = None if weights is None else weights[:cut]
        elif validation_data is not None:
            vxs = self._check_x(validation_data[0], "fit validation_data")
            validation = (vxs, self._check_y(validation_data[1], len(vxs[0]), "fit validation_data"))
        else:
            validation = None
        if validation is not None and _lazy(*validation):
            validation = tuple([np.asarray(a) for a in part] for part in validation)
        n = len(xs[0])
        if n == 0:
            raise ValueError("fit: no training rows")
        for name, value, least in (("batch_size", batch_size, 1), ("epochs", epochs, 0), ("initial_epoch", initial_epoch, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"fit: {name} must be {'a positive' if least else 'a non-negative'} integer, got {value!r}")
        if distribute is not None:
            from symnet.distributed.model import data_parallel

            dp = data_parallel(self, distribute, weights is not None, sync_every)
            dp.shard(*xs, *ys, *([] if weights is None else [weights]))
            seed = int(self.rng.integers(2**31))
        else:
            step = self.train_function if weights is None else self.weighted_train_function
        history = callbacks_module.History()
        cbs = [*(callbacks or []), history]  # History last, as Keras: it records what the others added to the logs
        batches = -(-n // batch_size)
        for cb in cbs:
            cb.set_model(self)
            cb.set_params({"epochs": epochs, "steps": batches, "verbose": verbose})
            cb.on_train_begin()
        self.stop_training = False
        rows = np.full(batches, batch_size)
        rows[-1] = n - batch_size * (batches - 1)
        # the batch loop runs natively: one call per epoch, per ~1/20 of it for the bar, or per
        # batch for a callback's batch hooks
        per_batch = any(cb.per_batch for cb in cbs)
        per_call = 1 if per_batch else batches if verbose != 1 else max(1, batches // 20)
        bar, epoch = None, initial_epoch
        try:
            for epoch in range(initial_epoch, epochs):
                for cb in cbs:
                    cb.on_epoch_begin(epoch)
                self._reset_metrics()
                bar = _progress(batches, f"Epoch {epoch + 1}/{epochs}", verbose)
                if distribute is not None:
                    means = self._distributed_epoch(dp, epoch, batch_size, shuffle, seed, per_call, cbs, bar)
                else:
                    means = self._local_epoch(step, xs + ys + ([] if weights is None else [weights]), rows, shuffle,
                                              batch_size, per_call, cbs, bar)
                logs = self._logs(means)  # the metrics with state read before validation resets them
                if validation is not None:
                    logs.update({f"val_{k}": v for k, v in self._evaluated(validation[0], validation[1]).items()})
                if bar is not None:
                    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
                    bar.close()
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            # a native call is never cut short, so every weight is as after some whole batch;
            # on a cluster the client's weights are pulled at an epoch's end
            if bar is not None:
                bar.close()
            if distribute is not None:
                dp.abort()
            warnings.warn(f"fit: interrupted in epoch {epoch + 1}/{epochs}; the history has the "
                          f"{len(history.epoch)} epochs that finished, the weights are those after "
                          f"{'the last whole epoch' if distribute is not None else 'the last whole batch'}", stacklevel=2)
        for cb in cbs:
            cb.on_train_end()
        if distribute is not None:
            history.events = list(dp.events)
        return history

    def _local_epoch(self, step, columns: list, rows, shuffle: bool, batch_size: int, per_call: int, cbs: list, bar):
        """One epoch in this process: the outputs' means over the rows."""
        n = len(columns[0])
        per_batch = any(cb.per_batch for cb in cbs)
        # one gather per epoch: every batch is then a contiguous slice, passed without a copy
        order = self.rng.permutation(n) if shuffle else slice(None)
        arrays = [a[order] for a in columns]
        totals = np.zeros(len(step.outputs))
        for first in range(0, len(rows), per_call):
            if per_batch:
                for cb in cbs:
                    cb.on_train_batch_begin(first)
            part = slice(first * batch_size, (first + per_call) * batch_size)
            values = step.run_batches(*(a[part] for a in arrays), batch_size=batch_size)
            totals += [float(np.dot(v.astype(np.float64), rows[first : first + per_call])) for v in values]
            if per_batch:
                for cb in cbs:
                    cb.on_train_batch_end(first, self._logs([float(v[0]) for v in values]))
            if bar is not None:
                bar.update(len(values[0]))
        return totals / n

    def _distributed_epoch(self, dp, epoch: int, batch_size: int, shuffle: bool, seed: int, per_call: int, cbs: list, bar):
        """One epoch on a Dask cluster (``symnet.distributed.DataParallel``): the means."""
        per_batch = any(cb.per_batch for cb in cbs)

        def begin(first):
            if per_batch:
                for cb in cbs:
                    cb.on_train_batch_begin(first)

        def progress(first, count, totals):
            if per_batch:
                for cb in cbs:
                    cb.on_train_batch_end(first, self._logs(list(totals / dp.step_rows(batch_size, first))))
            if bar is not None:
                bar.update(count)

        def retried():
            warnings.warn(f"fit: {dp.events[-1]}", stacklevel=4)
            if bar is not None:
                bar.reset()

        return dp.epoch(epoch, batch_size, shuffle, seed, per_call, progress, begin, retried)

    def _example_weights(self, ys: list, sample_weight, class_weight, what: str):
        """One weight per row from ``sample_weight`` and ``class_weight``, or None."""
        if sample_weight is None and class_weight is None:
            return None
        n = len(ys[0])
        weights = np.ones(n)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if sample_weight.shape != (n,) or not np.isfinite(sample_weight).all():
                raise ValueError(f"{what}: sample_weight must be {n} finite numbers, one per row, got shape {sample_weight.shape}")
            weights *= sample_weight
        if class_weight is not None:
            if len(ys) != 1 or not isinstance(class_weight, dict):
                raise ValueError(f"{what}: class_weight is a dict {{class: weight}} for a model of one output")
            y = ys[0]
            labels = y if y.ndim == 1 and y.dtype.kind == "i" else (np.argmax(y, -1) if y.ndim > 1 and y.shape[-1] > 1 else
                                                                     np.round(y.reshape(n, -1)[:, 0]).astype(np.int64))
            weights *= np.array([float(class_weight.get(int(c), 1.0)) for c in labels.reshape(n, -1)[:, 0]])
        return weights.astype(sn.config.floatX)

    def evaluate(self, x, y, batch_size: int | None = None, verbose: int = 0, return_dict: bool = False):
        """The loss (and metrics) over all of x, y: ``loss``, or a list in ``metrics_names``
        order (a dict by those names with ``return_dict``)."""
        self._require_compiled("evaluate")
        xs = self._check_x(x, "evaluate")
        logs = self._evaluated(xs, self._check_y(y, len(xs[0]), "evaluate"))
        return _returned(logs, return_dict)

    def _evaluated(self, xs: list, ys: list) -> dict:
        self._reset_metrics()
        return self._logs([float(v) for v in self.evaluate_function(*xs, *ys)])

    def predict(self, x, batch_size: int | None = None, verbose: int = 0):
        """The outputs for x: an array, or a list of them for a model of several outputs."""
        return self.predict_function(*self._check_x(x, "predict"))

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict: bool = False):
        """One step of the optimizer on the batch x, y; its loss and metrics, as ``evaluate``'s."""
        self._require_compiled("train_on_batch")
        xs = self._check_x(x, "train_on_batch")
        ys = self._check_y(y, len(xs[0]), "train_on_batch")
        weights = self._example_weights(ys, sample_weight, class_weight, "train_on_batch")
        step = self.train_function if weights is None else self.weighted_train_function
        self._reset_metrics()
        return _returned(self._logs([float(v) for v in step(*xs, *ys, *([] if weights is None else [weights]))]), return_dict)

    def test_on_batch(self, x, y, return_dict: bool = False):
        return self.evaluate(x, y, return_dict=return_dict)

    def predict_on_batch(self, x):
        return self.predict(x)


def _lazy(*values) -> bool:
    """Whether any of the arrays (or lists, dicts of them) is a Dask array."""
    for v in values:
        items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else [v]
        if any(type(a).__module__.startswith("dask.") for a in items):
            return True
    return False


def _returned(logs: dict, as_dict: bool):
    """``evaluate``'s and ``train_on_batch``'s result: the dict, a list, or the loss alone."""
    if as_dict:
        return logs
    values = list(logs.values())
    return values if len(values) > 1 else values[0]


def _by_name(value, names: list, what: str, where: str) -> list:
    """The arrays for ``names`` (the model's inputs or outputs) from one array, a list or a dict."""
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        if missing or len(value) != len(names):
            raise ValueError(f"{where}: {what} must have the keys {names}, got {sorted(value)}")
        return [value[n] for n in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"{where}: the model has {len(names)} {'inputs' if what == 'x' else 'outputs'}, got {len(value)} arrays in {what}")
        return list(value)
    if len(names) > 1:
        raise ValueError(f"{where}: the model has {len(names)} {'inputs' if what == 'x' else 'outputs'}: pass {what} as a list or a dict by name")
    return [value]


def fits(shape: tuple, expected: tuple) -> bool:
    """Whether an example's ``shape`` is ``expected``, where None there takes any size."""
    return len(shape) == len(expected) and all(e is None or n == e for n, e in zip(shape, expected))


def _progress(total: int, description: str, verbose: int):
    if verbose != 1:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="batch", leave=True)


def rows_of(value, name: str, what: str, dtype=None) -> np.ndarray:
    """``value`` as an array with a leading axis of rows, or an error naming it."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{what}: {name} must be an array of examples, got {value!r}")
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: {name} must be an array of numbers ({e})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: {name} must be an array of numbers, got {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{what}: {name} must have a leading axis of examples, got a scalar")
    return array
