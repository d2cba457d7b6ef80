"""``Sequential``: a stack of layers compiled into three native functions — the train step
(forward, loss, gradients, optimizer updates and metrics in one call), evaluate, predict —
with Keras' ``compile``/``fit``/``predict``/``evaluate``, and saving as JSON + ``.npz``."""

from __future__ import annotations

import json
import os
import warnings
import zipfile

import numpy as np

import symnet as sn
from symnet.nn import callbacks as callbacks_module
from symnet.nn import losses, optimizers
from symnet.nn.layers import LAYERS, Layer

LOSSES = {
    "mse": losses.mse,
    "binary_crossentropy": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
}
FORMAT = "symnet.nn.Sequential/1"


class Sequential:
    def __init__(self, layers=None, name: str = "sequential", seed: int = 0):
        self.name = name
        self.layers: list = []
        self.rng = np.random.default_rng(seed)  # weights and shuffling
        self.random = sn.RandomStream(seed, name="dropout_counter")  # noise inside the train step
        self.input_shape = None
        self.compiled = False
        self.stop_training = False
        self.target = None
        self._train = self._eval = self._predict = None
        for layer in layers or []:
            self.add(layer)

    # -- building ----------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes an nn layer, got {type(layer).__name__}")
        if not self.layers:
            self.input_shape = layer.input_shape
        elif layer.input_shape is not None:
            raise ValueError(f"layer {layer.name}: only the first layer takes input_dim/input_shape")
        self.layers.append(layer)
        self.compiled = False
        self._train = self._eval = self._predict = None
        if self.input_shape is not None:
            self._build()

    def _build(self) -> None:
        shape = self.input_shape
        for layer in self.layers:
            if layer.output_shape is None:
                layer.output_shape = tuple(layer.build(shape, self.rng))
            shape = layer.output_shape

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else None

    def _forward(self, training: bool):
        """(input, output, updates): the updates move on the counters of the random streams
        that the graph draws from (dropout while training)."""
        x = sn.tensor("x", ndim=1 + len(self.input_shape))
        out = x
        streams = []
        for layer in self.layers:
            layer.random = self.random
            draws = [(s, s.draws) for s in (self.random, getattr(layer, "own_random", None)) if s is not None]
            out = layer.call(out, training)
            streams += [s for s, before in draws if s.draws > before and s not in streams]
        return x, out, [u for s in streams for u in s.updates()]

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, target=None) -> None:
        """Define the loss, optimizer and metrics; the step compiles on the first ``fit``."""
        if not self.layers:
            raise ValueError("the model has no layers")
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        elif not callable(loss):
            raise ValueError("compile needs a loss: a name or a function (prediction, target) -> elementwise loss")
        for m in metrics or []:
            if m not in ("accuracy", "acc"):
                raise ValueError(f"unknown metric {m!r}; symnet.nn has 'accuracy'")
        self.loss_name = loss
        self.loss_fn = LOSSES[loss] if isinstance(loss, str) else loss
        self.optimizer = optimizers.get(optimizer)
        self.metrics = ["accuracy" for _ in metrics or []][:1]
        self.target = target
        self.compiled = True
        self._train = self._eval = self._predict = None

    # -- the compiled functions --------------------------------------------------------------
    def _target_variable(self):
        if self.loss_name == "sparse_categorical_crossentropy":
            return sn.vector("y", dtype="int64")
        if self.output_shape == (1,) and self.loss_name in ("binary_crossentropy", "mse"):
            return sn.vector("y")  # Keras-style labels of shape (n,) for a one-unit output
        return sn.tensor("y", ndim=1 + len(self.output_shape))

    def _loss_and_metrics(self, out, y) -> list:
        pred = out[:, 0] if y.ndim == 1 and out.ndim == 2 and self.loss_name != "sparse_categorical_crossentropy" else out
        loss = sn.mean(self.loss_fn(pred, y))
        results = [loss]
        if self.metrics:
            if self.loss_name == "sparse_categorical_crossentropy":
                hit = sn.eq(sn.argmax(out, axis=-1), y)
            elif self.output_shape[-1] > 1:
                hit = sn.eq(sn.argmax(out, axis=-1), sn.argmax(y, axis=-1))
            else:
                hit = sn.eq(sn.cast(pred > 0.5, pred.dtype), y)
            results.append(sn.mean(sn.cast(hit, out.dtype)))
        return results

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"call model.compile(optimizer, loss, metrics) before {what}")

    @property
    def train_function(self):
        """The compiled train step: (x, y) -> [loss, *metrics], updating the weights, the
        optimizer's slots and the dropout noise counters in place."""
        self._require_compiled("fit")
        if self._train is None:
            x, out, random_updates = self._forward(training=True)
            y = self._target_variable()
            results = self._loss_and_metrics(out, y)
            params = [w for layer in self.layers if layer.trainable for w in layer.weights]
            updates = self.optimizer.updates(params, sn.grad(results[0], params)) if params else []
            self._train = sn.function([x, y], results, updates=updates + random_updates, name="train_step",
                                      target=self.target)
        return self._train

    @property
    def evaluate_function(self):
        self._require_compiled("evaluate")
        if self._eval is None:
            x, out, _ = self._forward(training=False)
            y = self._target_variable()
            self._eval = sn.function([x, y], self._loss_and_metrics(out, y), name="evaluate", target=self.target)
        return self._eval

    @property
    def predict_function(self):
        if self.input_shape is None:
            raise RuntimeError("the model's input shape is unknown: give the first layer input_dim= or input_shape=")
        if self._predict is None:
            x, out, _ = self._forward(training=False)
            self._predict = sn.function([x], out, name="predict", target=self.target)
        return self._predict

    # -- data checks -------------------------------------------------------------------------
    def _check_x(self, x, what: str) -> np.ndarray:
        x = np.ascontiguousarray(_rows(x, "x", what, sn.config.floatX))
        if self.input_shape is None:
            self.input_shape = x.shape[1:]
            self._build()
        if not _fits(x.shape[1:], self.input_shape):
            raise ValueError(f"{what}: the model takes examples of shape {tuple(self.input_shape)} (x of shape "
                             f"{(None, *self.input_shape)}), got x of shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"{what}: x has nan or inf values (first at row {int(np.argwhere(~np.isfinite(x))[0][0])})")
        return x

    def _check_y(self, y, n: int, what: str) -> np.ndarray:
        y = _rows(y, "y", what)
        if len(y) != n:
            raise ValueError(f"{what}: x has {n} rows but y has {len(y)}")
        if self.loss_name == "sparse_categorical_crossentropy":
            if not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
                raise ValueError(f"{what}: sparse_categorical_crossentropy takes integer class labels")
            y = np.ascontiguousarray(y.reshape(n), dtype=np.int64)
            classes = self.output_shape[-1]
            if n and (y.min() < 0 or y.max() >= classes):
                raise ValueError(f"{what}: labels must be in [0, {classes}), got values from {y.min()} to {y.max()}")
            return y
        y = np.ascontiguousarray(y, dtype=sn.config.floatX)
        if self.output_shape == (1,) and self.loss_name in ("binary_crossentropy", "mse"):
            if y.size != n:
                raise ValueError(f"{what}: the model has one output per example, got y of shape {y.shape}")
            y = y.reshape(n)
        elif not _fits(y.shape[1:], self.output_shape):
            raise ValueError(f"{what}: the model outputs examples of shape {self.output_shape}, got y of shape {y.shape}")
        if not np.isfinite(y).all():
            raise ValueError(f"{what}: y has nan or inf values")
        return y

    # -- training and inference --------------------------------------------------------------
    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True) -> callbacks_module.History:
        self._require_compiled("fit")
        x = self._check_x(x, "fit")
        y = self._check_y(y, len(x), "fit")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split!r}")
            cut = int(len(x) * (1 - validation_split))  # the last rows, before shuffling, as Keras
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
        if validation_data is not None:
            vx = self._check_x(validation_data[0], "fit validation_data")
            vy = self._check_y(validation_data[1], len(vx), "fit validation_data")
        if len(x) == 0:
            raise ValueError("fit: no training rows")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"fit: batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
        step = self.train_function
        names = ["loss", *self.metrics]
        history = callbacks_module.History()
        cbs = [history, *(callbacks or [])]
        for cb in cbs:
            cb.model = self
            cb.on_train_begin()
        self.stop_training = False
        n = len(x)
        batches = -(-n // batch_size)
        rows = np.full(batches, batch_size)
        rows[-1] = n - batch_size * (batches - 1)
        # the batch loop runs natively: one call per epoch, or per ~1/20 of it for the bar
        per_call = batches if verbose != 1 else max(1, batches // 20)
        bar, epoch = None, 0
        try:
            for epoch in range(epochs):
                # one gather per epoch: every batch is then a contiguous slice, passed without a copy
                order = self.rng.permutation(n) if shuffle else slice(None)
                xs, ys = x[order], y[order]
                totals = np.zeros(len(names))
                bar = _progress(batches, f"Epoch {epoch + 1}/{epochs}", verbose)
                for first in range(0, batches, per_call):
                    part = slice(first * batch_size, (first + per_call) * batch_size)
                    values = step.run_batches(xs[part], ys[part], batch_size=batch_size)
                    totals += [float(np.dot(v.astype(np.float64), rows[first : first + per_call])) for v in values]
                    if bar is not None:
                        bar.update(len(values[0]))
                logs = {name: total / n for name, total in zip(names, totals)}
                if validation_data is not None:
                    logs.update({f"val_{k}": float(v) for k, v in zip(names, self.evaluate_function(vx, vy))})
                if bar is not None:
                    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
                    bar.close()
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            # a native call is never cut short, so every weight is as after some whole batch
            if bar is not None:
                bar.close()
            warnings.warn(f"fit: interrupted in epoch {epoch + 1}/{epochs}; the history has the "
                          f"{len(history.epoch)} epochs that finished, the weights are those after the last whole batch",
                          stacklevel=2)
        for cb in cbs:
            cb.on_train_end()
        return history

    def evaluate(self, x, y, batch_size: int | None = None, verbose: int = 0):
        """The loss (and metrics) over all of x, y: ``loss`` or ``[loss, accuracy]``."""
        self._require_compiled("evaluate")
        x = self._check_x(x, "evaluate")
        values = [float(v) for v in self.evaluate_function(x, self._check_y(y, len(x), "evaluate"))]
        return values if self.metrics else values[0]

    def predict(self, x, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        return self.predict_function(self._check_x(x, "predict"))

    # -- weights, summary, saving ------------------------------------------------------------
    def get_weights(self) -> list:
        return [a for layer in self.layers for a in layer.get_weights()]

    def set_weights(self, arrays) -> None:
        arrays = list(arrays)
        total = sum(len(layer.weights) for layer in self.layers)
        if len(arrays) != total:
            raise ValueError(f"the model has {total} weight arrays, got {len(arrays)}")
        for layer in self.layers:
            k = len(layer.weights)
            layer.set_weights(arrays[:k])
            arrays = arrays[k:]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print) -> None:
        rows = [(f"{layer.name} ({type(layer).__name__})", str((None, *layer.output_shape)) if layer.output_shape else "?",
                 str(layer.count_params())) for layer in self.layers]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("Layer (type)", "Output Shape", "Param #"))]
        line = "  ".join(h.ljust(w) for h, w in zip(("Layer (type)", "Output Shape", "Param #"), widths))
        print_fn(f'Model: "{self.name}"')
        print_fn(line)
        print_fn("-" * len(line))
        for r in rows:
            print_fn("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        trainable = sum(layer.count_params() for layer in self.layers if layer.trainable)
        print_fn(f"Total params: {self.count_params()} (trainable {trainable}, frozen {self.count_params() - trainable})")

    def save(self, path) -> None:
        """Architecture as JSON and weights as arrays in one ``.npz`` (no pickle)."""
        config = {"format": FORMAT, "name": self.name,
                  "layers": [{"class": type(layer).__name__, "config": layer.config(), "trainable": layer.trainable}
                             for layer in self.layers]}
        weights = {f"w{k}": a for k, a in enumerate(self.get_weights())}
        np.savez(path, config=np.array(json.dumps(config)), **weights)


def load_model(path) -> Sequential:
    """A model saved by ``model.save``: layers rebuilt from the JSON, weights checked and set.
    Compile it again to train or evaluate; ``predict`` works at once."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_model: path must be a file name, got {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile):
        raise ValueError(f"{path} is not a symnet model file (not a NumPy .npz archive)") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a symnet model file (a single array, not an .npz archive)")
    with data:
        if "config" not in data.files:
            raise ValueError(f"{path} is not a symnet model file (no architecture record)")
        config = json.loads(str(data["config"]))
        if config.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown model format {config.get('format')!r}")
        weights = [data[f"w{k}"] for k in range(len(data.files) - 1)]
    model = Sequential(name=config["name"])
    for entry in config["layers"]:
        cls = LAYERS.get(entry["class"])
        if cls is None:
            raise ValueError(f"{path}: unknown layer type {entry['class']!r}; symnet.nn has {', '.join(LAYERS)}")
        layer = cls(**entry["config"])
        layer.trainable = entry["trainable"]
        model.add(layer)
    if model.input_shape is None:
        raise ValueError(f"{path}: the first layer has no input shape")
    expected = [tuple(w.type.shape) for layer in model.layers for w in layer.weights]
    got = [a.shape for a in weights]
    if expected != got:
        raise ValueError(f"{path}: weight shapes {got} do not fit the architecture, which needs {expected}")
    model.set_weights(weights)
    return model


def _fits(shape: tuple, expected: tuple) -> bool:
    """Whether an example's ``shape`` is ``expected``, where None there takes any size."""
    return len(shape) == len(expected) and all(e is None or n == e for n, e in zip(shape, expected))


def _progress(total: int, description: str, verbose: int):
    if verbose != 1:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="batch", leave=True)


def _rows(value, name: str, what: str, dtype=None) -> np.ndarray:
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
