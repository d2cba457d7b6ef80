"""``Model`` (Keras' functional model: a graph of layer calls) and ``Sequential`` (a stack),
compiled into three native functions — the train step (forward, loss, gradients, optimizer
updates and metrics in one call), evaluate, predict. ``compile`` is here; ``fit``/``evaluate``/
``predict`` are ``symnet.nn.training``'s, files ``symnet.nn.saving``'s."""

from __future__ import annotations

import numpy as np

import symnet as sn
from symnet.nn import functional, losses, optimizers
from symnet.nn import metrics as metrics_module
from symnet.nn.layers import Layer
from symnet.nn.training import Training, fits, rows_of

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


class Model(Training, Layer):
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
        self._data_parallel = {}  # symnet.distributed: the step on a Dask client's workers, by (client, weighted, sync_every)
        self._saved_slots = None  # optimizer state read by load_model, set when the step is built
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
        if len(shapes) != len(self.input_shapes) or not all(fits(s, e) for s, e in zip(shapes, self.input_shapes)):
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
        """(input variables, output expressions, updates, penalty): the updates move the
        layers' own state and the counters of the random streams the graph draws from
        (dropout while training); the penalty (or None) is the regularizers' sum."""
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
        return xs, outs, updates, (sum(penalties[1:], penalties[0]) if penalties else None)

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
        self._data_parallel = {}  # symnet.distributed: the step on a Dask client's workers, by (client, weighted, sync_every)

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

    def _loss_and_metrics(self, outs, ys, penalty, weights=None) -> tuple:
        """([total loss, each output's (several outputs), the mean metrics], the updates of the
        metrics with state); ``penalty`` joins the total; ``weights``: one per example, the
        loss their weighted mean (Keras' sample and class weights)."""
        losses_, metrics, metric_updates = [], [], []
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
                    metric_updates += self.stateful[k, j].update(y, pred)
        total = losses_[0] * self.loss_weights[0] if self.loss_weights[0] != 1 else losses_[0]
        for loss, weight in zip(losses_[1:], self.loss_weights[1:]):
            total = total + loss * weight
        if penalty is not None:
            total = total + sn.cast(penalty, total.dtype)
        return [total, *(losses_ if len(losses_) > 1 else []), *metrics], metric_updates

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
        xs, outs, layer_updates, penalty = self._graph(training=True)
        ys = self._target_variables()
        weights = sn.vector("sample_weight") if weighted else None
        results, metric_updates = self._loss_and_metrics(outs, ys, penalty, weights)
        params = [w for layer in _all_layers(self) if layer.trainable for w in layer.weights if w not in layer.frozen]
        # the weighted step, built after the plain one, gets the same slots: one optimizer state
        updates = self.optimizer.updates(params, sn.grad(results[0], params)) if params else []
        if self._saved_slots is not None:  # a loaded model: its optimizer goes on from its state
            saving.restore_slots(self.optimizer.slots, self._saved_slots, self.name)
            self._saved_slots = None
        return sn.function(xs + ys + ([weights] if weighted else []), results,
                           updates=updates + layer_updates + metric_updates, name="train_step", target=self.target)

    @property
    def evaluate_function(self):
        self._require_compiled("evaluate")
        if self._eval is None:
            xs, outs, _, penalty = self._graph(training=False)
            ys = self._target_variables()
            results, metric_updates = self._loss_and_metrics(outs, ys, penalty)
            self._eval = sn.function(xs + ys, results, updates=metric_updates, name="evaluate", target=self.target)
        return self._eval

    @property
    def predict_function(self):
        if self._predict is None:
            xs, outs, _, _ = self._graph(training=False)
            self._predict = sn.function(xs, outs[0] if len(outs) == 1 else outs, name="predict", target=self.target)
        return self._predict

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
        elif not fits(tuple(input_shape), self.input_shape):
            raise ValueError(f"model {self.name} takes examples of shape {self.input_shape}, got {tuple(input_shape)}")
        return self.output_shape

    def call(self, x, training):
        for layer in self.layers:
            x = self._apply(layer, x, training)
        return x

    def _check_x(self, x, what: str) -> list:
        if self.input_shape is None:  # the first data fixes it
            self.input_shape = np.shape(rows_of(x, "x", what))[1:]
            self._build()
        return super()._check_x(x, what)

def _name(metric) -> str:
    return metric if isinstance(metric, str) else metric.name




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










# saving builds on the classes above
from symnet.nn import saving  # noqa: E402
