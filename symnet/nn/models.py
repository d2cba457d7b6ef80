"""``Model`` (Keras' functional model: a graph of layer calls) and ``Sequential`` (a stack),
compiled into three native functions — the train step (forward, loss, gradients, optimizer
updates and metrics in one call), evaluate, predict — with Keras' ``compile``/``fit``/
``predict``/``evaluate``; files are ``symnet.nn.saving``'s."""

from __future__ import annotations

import warnings

import numpy as np

import symnet as sn
from symnet.nn import callbacks as callbacks_module
from symnet.nn import functional, losses, optimizers
from symnet.nn import metrics as metrics_module
from symnet.nn.layers import Layer

LOSSES = {
    "mse": losses.mse,
    "mae": losses.mae,
    "hinge": losses.hinge,
    "binary_crossentropy": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
}
ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae"}
# from_logits: the activation the loss applies to the prediction first
LOGITS = {"binary_crossentropy": sn.sigmoid, "categorical_crossentropy": sn.softmax,
          "sparse_categorical_crossentropy": sn.softmax}
METRICS = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae",
           "mean_absolute_error", "mse", "mean_squared_error")


class Model(Layer):
    """A graph of layers, Keras' ``Model(inputs, outputs)`` (several inputs and outputs,
    shared layers; ``Sequential`` is the stack case), compiled into three native functions.
    A model is a layer too: called on tensors, it is one call of its whole graph."""

    def __init__(self, inputs=None, outputs=None, name: str | None = None, seed: int = 0):
        if not isinstance(self, Sequential) and (inputs is None or outputs is None):
            raise TypeError("Model(inputs, outputs): the Input tensors and the tensors the layers made of them")
        super().__init__(name=name)
        self.rng = np.random.default_rng(seed)  # weights and shuffling
        self.random = sn.RandomStream(seed, name="dropout_counter")  # noise inside the train step
        self.compiled = False
        self.stop_training = False
        self.target = None
        self._train = self._eval = self._predict = self._train_weighted = None
        self._saved_slots = None  # optimizer state read by load_model, set when the step is built
        self._penalty = None  # the regularizers' sum in the graph _graph built last
        if inputs is None:
            return
        self.single_input = not isinstance(inputs, (list, tuple))
        self.single_output = not isinstance(outputs, (list, tuple))
        self.inputs = [inputs] if self.single_input else list(inputs)
        self.outputs = [outputs] if self.single_output else list(outputs)
        for k, t in enumerate(self.inputs):
            if not isinstance(t, functional.KerasTensor) or t.call is not None:
                raise TypeError(f"Model: input {k} must be a keras Input, got {t!r}")
        self.graph_calls = functional.calls_between(self.inputs, self.outputs)
        self.layers = [t.input_layer for t in self.inputs]
        for call in self.graph_calls:
            if call.layer not in self.layers:
                self.layers.append(call.layer)
        self.several_outputs = not self.single_output
        self.output_shape = self.output_shapes[0] if self.single_output else self.output_shapes
        self.input_spec = self.input_shapes[0] if self.single_input else self.input_shapes

    # -- the graph ---------------------------------------------------------------------------
    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    @weights.setter
    def weights(self, value) -> None:  # Layer.__init__ starts every layer without weights
        if value:
            raise AttributeError("a model's weights are its layers'")

    @property
    def input_shapes(self) -> list:
        return [t.example_shape for t in self.inputs]

    @property
    def output_shapes(self) -> list:
        return [t.example_shape for t in self.outputs]

    @property
    def input_names(self) -> list:
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list:
        names = [t.call.layer.name for t in self.outputs]
        return [f"{n}_{k}" if names.count(n) > 1 else n for k, n in enumerate(names)]

    def build(self, input_shape, rng):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        if len(shapes) != len(self.input_shapes) or not all(_fits(s, e) for s, e in zip(shapes, self.input_shapes)):
            raise ValueError(f"model {self.name} takes inputs of shape {self.input_shapes}, got {shapes}")
        return self.output_shape

    def call(self, x, training):
        values = list(x) if isinstance(x, (list, tuple)) else [x]
        env = functional.run(self.graph_calls, self.inputs, values, training, self._apply)
        outs = [env[id(t)] for t in self.outputs]
        return outs[0] if self.single_output else outs

    def _apply(self, layer, args, training):
        layer.random = self.random  # a model inside draws from this one's stream too
        out = layer.call(args, training)
        if layer.activity_regularizer is not None:  # Keras divides it by the batch size
            layer.pending_losses.append(layer.activity_regularizer(out) / sn.cast(out.shape[0], out.dtype))
        mask = getattr(args, "keras_mask", None)
        if layer.keeps_mask and mask is not None and getattr(out, "keras_mask", None) is None:
            out.keras_mask = mask  # Keras' mask propagation: the padding is still padding
        return out

    def _graph(self, training: bool):
        """(input variables, output expressions, updates): the updates move on the counters
        of the random streams that the graph draws from (dropout while training)."""
        streams = _streams(self)
        before = [s.draws for s in streams]
        layers = _all_layers(self)
        for layer in layers:
            layer.pending_updates, layer.pending_losses = [], []
        xs = [sn.tensor(name or f"input_{k}", dtype, ndim=len(shape) + 1)
              for k, (name, dtype, shape) in enumerate(zip(self.input_names, self.input_dtypes, self.input_shapes))]
        out = self.call(xs if not self.single_input else xs[0], training)
        outs = [out] if self.single_output else list(out)
        # the layers' own state (a batch normalization's moving statistics), then the noise counters
        updates = [u for layer in layers for u in layer.pending_updates]
        updates += [u for s, b in zip(streams, before) if s.draws > b for u in s.updates()]
        # the regularizers' penalties, added to the loss
        penalties = [reg(w) for layer in layers for w, reg in layer.penalties] + [p for layer in layers for p in layer.pending_losses]
        self._penalty = sum(penalties[1:], penalties[0]) if penalties else None
        return xs, outs, updates

    @property
    def input_dtypes(self) -> list:
        return [t.dtype for t in self.inputs]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called ``name``, or at ``index`` in ``layers``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r} in model {self.name}; it has {', '.join(lr.name for lr in self.layers)}")

    # -- compiling ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, target=None) -> None:
        """Define the loss (one for every output, or a list or dict by output name), the
        optimizer and the metrics; the step compiles on the first ``fit``."""
        if not self.layers:
            raise ValueError("the model has no layers")
        names = self.output_names
        self.loss_names, self.loss_logits, self.loss_fns = [], [], []
        for entry in _per_output(loss, names, "loss"):
            name, logits = (entry.loss_name, entry.from_logits) if isinstance(entry, losses.Loss) else (entry, False)
            if isinstance(name, str):
                name = ALIASES.get(name, name)
                if name not in LOSSES:
                    raise ValueError(f"unknown loss {entry!r}; choose one of {', '.join(list(LOSSES) + list(ALIASES))}")
                if logits and name not in LOGITS:
                    raise ValueError(f"loss {name!r} has no from_logits form")
                fn = LOSSES[name]
                if logits:
                    fn = (lambda f, act: lambda p, t: f(act(p), t))(fn, LOGITS[name])
            elif callable(name):
                fn = name
            else:
                raise ValueError("compile needs a loss: a name or a function (prediction, target) -> elementwise loss")
            self.loss_names.append(name)
            self.loss_logits.append(logits)
            self.loss_fns.append(fn)
        self.loss_weights = [1.0] * len(names) if loss_weights is None else [float(w) for w in _per_output(loss_weights, names, "loss_weights")]
        specs = []
        for m in metrics or []:
            if isinstance(m, dict):  # a saved metric with state
                m = getattr(metrics_module, m["class"])(**{k: v for k, v in m.items() if k != "class"})
            elif isinstance(m, str) and m.lower() in metrics_module.NAMES:
                m = metrics_module.NAMES[m.lower()]()
            if not isinstance(m, metrics_module.Metric) and m not in METRICS:
                raise ValueError(f"unknown metric {m!r}; symnet.nn has {', '.join(METRICS + tuple(metrics_module.NAMES))}")
            specs.append(m)
        # a metric with state has counts of its own for each output
        self.metric_specs = [m for k, m in enumerate(specs) if _name(m) not in map(_name, specs[:k])]
        self.metrics = [_name(m) for m in self.metric_specs]
        self.stateful = {(k, j): m.copy() for k in range(len(names)) for j, m in enumerate(self.metric_specs)
                         if isinstance(m, metrics_module.Metric)}
        self.loss_name = self.loss_names[0]
        self.optimizer = optimizers.get(optimizer)
        self.target = target
        self.compiled = True
        self._train = self._eval = self._predict = self._train_weighted = None

    @property
    def metrics_names(self) -> list:
        """What the train step, ``evaluate`` and the History report, in order."""
        if len(self.output_shapes) == 1:
            return ["loss", *self.metrics]
        names = self.output_names
        return ["loss", *(f"{n}_loss" for n in names), *(f"{n}_{m}" for n in names for m in self.metrics)]

    def _logs(self, values: list) -> dict:
        """{name: value} in ``metrics_names`` order from a step's outputs (the loss, each
        output's loss, the mean metrics) and the counts of the metrics with state."""
        values = list(values)
        several = len(self.output_shapes) > 1
        logs = {"loss": values.pop(0)}
        names = self.output_names
        if several:
            logs.update((f"{n}_loss", values.pop(0)) for n in names)
        for k, n in enumerate(names):
            for j, m in enumerate(self.metric_specs):
                key = f"{n}_{_name(m)}" if several else _name(m)
                logs[key] = values.pop(0) if isinstance(m, str) else self.stateful[k, j].result()
        return logs

    def _reset_metrics(self) -> None:
        for m in self.stateful.values():
            m.reset()

    # -- the compiled functions --------------------------------------------------------------
    def _vector_labels(self, k: int) -> bool:
        """Keras-style labels of shape (n,) for output k: a one-unit output of bce or mse."""
        return self.output_shapes[k] == (1,) and self.loss_names[k] in ("binary_crossentropy", "mse")

    def _target_variables(self) -> list:
        ys = []
        for k, (name, shape) in enumerate(zip(self.output_names, self.output_shapes)):
            if self.loss_names[k] == "sparse_categorical_crossentropy":
                ys.append(sn.tensor(f"y_{name}", "int64", ndim=len(shape)))
            elif self._vector_labels(k):
                ys.append(sn.vector(f"y_{name}"))
            else:
                ys.append(sn.tensor(f"y_{name}", ndim=1 + len(shape)))
        return ys

    def _loss_and_metrics(self, outs, ys, weights=None) -> list:
        """[total loss, each output's (several outputs), metrics]; ``weights``: one per
        example, the loss their weighted mean (Keras' sample and class weights)."""
        losses_, metrics = [], []
        self._metric_updates = []
        for k, (out, y) in enumerate(zip(outs, ys)):
            sparse = self.loss_names[k] == "sparse_categorical_crossentropy"
            pred = out[:, 0] if y.ndim == 1 and out.ndim == 2 and not sparse else out
            per = self.loss_fns[k](pred, y)
            if weights is None:
                losses_.append(sn.mean(per))
            else:
                per = sn.mean(per, tuple(range(1, per.ndim))) if per.ndim > 1 else per
                losses_.append(sn.mean(per * weights))
            for j, m in enumerate(self.metric_specs):
                if isinstance(m, str):
                    metrics.append(sn.mean(sn.cast(self._metric(m, k, out, pred, y), out.dtype)))
                else:  # its counts move on by the batch's, as updates of the step
                    self._metric_updates += self.stateful[k, j].update(y, pred)
        total = losses_[0] * self.loss_weights[0] if self.loss_weights[0] != 1 else losses_[0]
        for loss, weight in zip(losses_[1:], self.loss_weights[1:]):
            total = total + loss * weight
        if self._penalty is not None:  # of the graph just built (_graph)
            total = total + sn.cast(self._penalty, total.dtype)
        return [total, *(losses_ if len(losses_) > 1 else []), *metrics]

    def _metric(self, name: str, k: int, out, pred, y):
        """Output k's metric ``name`` per example, to average ("accuracy" is Keras': the kind
        the loss implies)."""
        sparse = self.loss_names[k] == "sparse_categorical_crossentropy"
        if name in ("accuracy", "acc"):
            name = ("sparse_categorical_accuracy" if sparse else
                    "categorical_accuracy" if self.output_shapes[k][-1] > 1 else "binary_accuracy")
        if name == "sparse_categorical_accuracy":
            return sn.eq(sn.argmax(out, axis=-1), y)
        if name == "categorical_accuracy":
            return sn.eq(sn.argmax(out, axis=-1), sn.argmax(y, axis=-1))
        if name == "binary_accuracy":
            return sn.eq(sn.cast(pred > 0.5, pred.dtype), y)
        if name in ("mae", "mean_absolute_error"):
            return sn.abs(pred - y)
        return sn.square(pred - y)

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"call model.compile(optimizer, loss, metrics) before {what}")

    @property
    def train_function(self):
        """The compiled train step: (*x, *y) -> [loss, *metrics], updating the weights, the
        optimizer's slots and the dropout noise counters in place."""
        self._require_compiled("fit")
        if self._train is None:
            self._train = self._train_step(weighted=False)
        return self._train

    @property
    def weighted_train_function(self):
        """The train step of weighted examples: (*x, *y, weights) -> [loss, *metrics]."""
        self._require_compiled("fit")
        if self._train_weighted is None:
            self.train_function  # noqa: B018  (the optimizer's slots are made once, by the plain step)
            self._train_weighted = self._train_step(weighted=True)
        return self._train_weighted

    def _train_step(self, weighted: bool):
        xs, outs, random_updates = self._graph(training=True)
        ys = self._target_variables()
        weights = sn.vector("sample_weight") if weighted else None
        results = self._loss_and_metrics(outs, ys, weights)
        params = [w for layer in _all_layers(self) if layer.trainable for w in layer.weights if w not in layer.frozen]
        # the weighted step, built after the plain one, gets the same slots: one optimizer state
        updates = self.optimizer.updates(params, sn.grad(results[0], params)) if params else []
        if self._saved_slots is not None:  # a loaded model: its optimizer goes on from its state
            saving.restore_slots(self.optimizer.slots, self._saved_slots, self.name)
            self._saved_slots = None
        return sn.function(xs + ys + ([weights] if weighted else []), results,
                           updates=updates + random_updates + self._metric_updates, name="train_step", target=self.target)

    @property
    def evaluate_function(self):
        self._require_compiled("evaluate")
        if self._eval is None:
            xs, outs, _ = self._graph(training=False)
            ys = self._target_variables()
            results = self._loss_and_metrics(outs, ys)
            self._eval = sn.function(xs + ys, results, updates=self._metric_updates, name="evaluate", target=self.target)
        return self._eval

    @property
    def predict_function(self):
        if self._predict is None:
            xs, outs, _ = self._graph(training=False)
            self._predict = sn.function(xs, outs[0] if len(outs) == 1 else outs, name="predict", target=self.target)
        return self._predict

    # -- data checks -------------------------------------------------------------------------
    def _check_x(self, x, what: str) -> list:
        """The input arrays, one per input (``x`` an array, a list, or a dict by input name)."""
        arrays = _by_name(x, self.input_names, "x", what)
        out = []
        for k, (a, shape) in enumerate(zip(arrays, self.input_shapes)):
            name = "x" if len(arrays) == 1 else f"x[{k}] ({self.input_names[k]})"
            dtype = self.input_dtypes[k] if self.input_dtypes[k].startswith("int") else sn.config.floatX
            a = np.ascontiguousarray(_rows(a, name, what, dtype))
            if not _fits(a.shape[1:], shape):
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
        y = _rows(y, name, what)
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
        elif not _fits(y.shape[1:], shape):
            raise ValueError(f"{what}: the model outputs examples of shape {shape}, got {name} of shape {y.shape}")
        if not np.isfinite(y).all():
            raise ValueError(f"{what}: {name} has nan or inf values")
        return y

    # -- training and inference --------------------------------------------------------------
    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True, class_weight=None,
            sample_weight=None, initial_epoch: int = 0) -> callbacks_module.History:
        """Train for epochs ``initial_epoch`` … ``epochs - 1``, as Keras' ``fit``; with
        ``sample_weight`` (one per row) or ``class_weight`` ({class: weight}) the loss is the
        weighted mean."""
        self._require_compiled("fit")
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
        n = len(xs[0])
        if n == 0:
            raise ValueError("fit: no training rows")
        for name, value, least in (("batch_size", batch_size, 1), ("epochs", epochs, 0), ("initial_epoch", initial_epoch, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"fit: {name} must be {'a positive' if least else 'a non-negative'} integer, got {value!r}")
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
                # one gather per epoch: every batch is then a contiguous slice, passed without a copy
                order = self.rng.permutation(n) if shuffle else slice(None)
                arrays = [a[order] for a in xs + ys + ([] if weights is None else [weights])]
                totals = np.zeros(len(step.outputs))
                bar = _progress(batches, f"Epoch {epoch + 1}/{epochs}", verbose)
                for first in range(0, batches, per_call):
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
                logs = self._logs(totals / n)  # the metrics with state read before validation resets them
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
            # a native call is never cut short, so every weight is as after some whole batch
            if bar is not None:
                bar.close()
            warnings.warn(f"fit: interrupted in epoch {epoch + 1}/{epochs}; the history has the "
                          f"{len(history.epoch)} epochs that finished, the weights are those after the last whole batch",
                          stacklevel=2)
        for cb in cbs:
            cb.on_train_end()
        return history

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

    def save(self, path) -> None:
        """Architecture, compile settings and optimizer state as JSON, weights and optimizer
        slots as arrays, in one NumPy ``.npz`` archive written to ``path`` as named (``m.keras``
        works; ``symnet.nn.saving``). No pickle: ``load_model`` rebuilds it, and training
        resumes where it stopped."""
        saving.save(self, path)

    def save_weights(self, path) -> None:
        """The weights alone, as arrays in a NumPy archive written to ``path`` as named."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Weights written by ``save_weights`` (or ``save``) into this model's layers."""
        saving.load_weights(self, path)

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print) -> None:
        def shape_text(shape):
            if shape is None:
                return "?"
            return str([(None, *s) for s in shape]) if isinstance(shape, list) else str((None, *shape))

        rows = [(f"{layer.name} ({type(layer).__name__})", shape_text(layer.output_shape), str(layer.count_params()))
                for layer in self.layers]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("Layer (type)", "Output Shape", "Param #"))]
        line = "  ".join(h.ljust(w) for h, w in zip(("Layer (type)", "Output Shape", "Param #"), widths))
        print_fn(f'Model: "{self.name}"')
        print_fn(line)
        print_fn("-" * len(line))
        for r in rows:
            print_fn("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        trainable = sum(layer.count_params() for layer in self.layers if layer.trainable)
        print_fn(f"Total params: {self.count_params()} (trainable {trainable}, frozen {self.count_params() - trainable})")

class Sequential(Model):
    """A stack of layers, each taking the previous one's output."""

    def __init__(self, layers=None, name: str = "sequential", seed: int = 0):
        super().__init__(name=name, seed=seed)
        self.layers: list = []
        self.input_shape = None
        self.single_input = self.single_output = True
        for layer in layers or []:
            self.add(layer)

    # -- building ----------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if isinstance(layer, functional.KerasTensor) and layer.call is None:  # keras.Input(shape) first
            if self.layers or self.input_shape is not None:
                raise ValueError("Sequential: an Input comes first only")
            self.input_shape = layer.example_shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes an nn layer, got {type(layer).__name__}")
        if not self.layers and self.input_shape is None:
            self.input_shape = layer.input_shape
        elif layer.input_shape is not None:
            raise ValueError(f"layer {layer.name}: only the first layer takes input_dim/input_shape")
        self.layers.append(layer)
        self.compiled = False
        self._train = self._eval = self._predict = None
        if self.input_shape is not None:
            self._build()

    def pop(self) -> Layer:
        """Remove the last layer (and return it)."""
        if not self.layers:
            raise ValueError("Sequential.pop: the model has no layers")
        self.compiled = False
        self._train = self._eval = self._predict = None
        return self.layers.pop()

    def _build(self) -> None:
        shape = self.input_shape
        for layer in self.layers:
            if layer.output_shape is None:
                layer.input_spec = shape
                layer.output_shape = tuple(layer.build(shape, self.rng))
            shape = layer.output_shape
        self.input_spec = self.input_shape

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else None

    @output_shape.setter
    def output_shape(self, value) -> None:  # Layer.__init__ starts it unknown; the last layer's is the model's
        pass

    @property
    def input_shapes(self) -> list:
        if self.input_shape is None:
            raise RuntimeError("the model's input shape is unknown: give the first layer input_dim= or input_shape=")
        return [self.input_shape]

    @property
    def output_shapes(self) -> list:
        return [self.output_shape]

    @property
    def input_names(self) -> list:
        return ["x"]

    @property
    def output_names(self) -> list:
        return [self.layers[-1].name] if self.layers else []

    @property
    def input_dtypes(self) -> list:
        return [sn.config.floatX]

    def build(self, input_shape, rng):
        if self.input_shape is None:
            self.input_shape = tuple(input_shape)
            self._build()
        elif not _fits(tuple(input_shape), self.input_shape):
            raise ValueError(f"model {self.name} takes examples of shape {self.input_shape}, got {tuple(input_shape)}")
        return self.output_shape

    def call(self, x, training):
        for layer in self.layers:
            x = self._apply(layer, x, training)
        return x

    def _check_x(self, x, what: str) -> list:
        if self.input_shape is None:  # the first data fixes it
            self.input_shape = np.shape(_rows(x, "x", what))[1:]
            self._build()
        return super()._check_x(x, what)

def _name(metric) -> str:
    return metric if isinstance(metric, str) else metric.name


def _returned(logs: dict, as_dict: bool):
    """``evaluate``'s and ``train_on_batch``'s result: the dict, a list, or the loss alone."""
    if as_dict:
        return logs
    values = list(logs.values())
    return values if len(values) > 1 else values[0]


def _all_layers(model) -> list:
    """Every layer of ``model``, inside the models it holds too."""
    out = []
    for layer in model.layers:
        out += _all_layers(layer) if isinstance(layer, Model) else [layer]
    return out


def _streams(model) -> list:
    """The random streams a graph of ``model`` may draw from."""
    found = [model.random]
    for layer in _all_layers(model):
        own = getattr(layer, "own_random", None)
        if own is not None and own not in found:
            found.append(own)
    return found


def _per_output(value, names: list, what: str) -> list:
    """``value`` for each output: one for all, a list in output order, or a dict by name."""
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"compile: {what} names {sorted(unknown)}, which are not outputs ({', '.join(names)})")
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"compile: {what} has no entry for the outputs {missing}")
        return [value[n] for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"compile: {what} has {len(value)} entries for {len(names)} outputs")
        return list(value)
    return [value] * len(names)


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


# saving builds on the classes above
from symnet.nn import saving  # noqa: E402
