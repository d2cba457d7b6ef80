"""Model files: the architecture (a stack of layers, or a functional model's calls), the
compile settings and the optimizer's state as JSON, the weights and optimizer slots as arrays,
in one NumPy ``.npz`` archive written under the name given. Never a pickle: ``load_model``
rebuilds the model from the JSON and reads the arrays with ``allow_pickle=False``."""

from __future__ import annotations

import inspect
import json
import os
import zipfile

import numpy as np

from symnet.nn import losses, optimizers
from symnet.nn.layers import LAYERS, InputLayer
from symnet.nn.models import Model, Sequential

SEQUENTIAL = "symnet.nn.Sequential/2"
# version 1: images channels-first only, conv kernels (filters, channels, kh, kw)
SEQUENTIAL_1 = "symnet.nn.Sequential/1"
FUNCTIONAL = "symnet.nn.Model/1"
WEIGHTS = "symnet.nn.weights/1"


def save(model: Model, path) -> None:
    config = {"format": SEQUENTIAL if isinstance(model, Sequential) else FUNCTIONAL, "name": model.name,
              "layers": [_layer_entry(layer) for layer in model.layers]}
    if not isinstance(model, Sequential):  # a stack's graph is its layers' order
        config.update(_graph_config(model))
    arrays = {f"w{k}": a for k, a in enumerate(model.get_weights())}
    if model.compiled:
        config["compile"] = _compile_config(model)
        if model._train is not None:
            arrays.update({f"s{k}": slot.get_value() for k, slot in enumerate(model.optimizer.slots)})
    with open(path, "wb") as file:  # a file object: NumPy appends no ".npz"
        np.savez(file, config=np.array(json.dumps(config)), **arrays)


def save_weights(model: Model, path) -> None:
    with open(path, "wb") as file:
        np.savez(file, format=np.array(WEIGHTS), **{f"w{k}": a for k, a in enumerate(model.get_weights())})


def load_weights(model: Model, path) -> None:
    with _archive(path, "weights") as data:
        arrays = [data[f"w{k}"] for k in range(sum(name.startswith("w") for name in data.files))]
    expected = [tuple(w.type.shape) for layer in model.layers for w in layer.weights]
    if [a.shape for a in arrays] != expected:
        raise ValueError(f"{path}: weight shapes {[a.shape for a in arrays]} do not fit model {model.name}, "
                         f"which needs {expected}")
    model.set_weights(arrays)


def load_model(path) -> Model:
    """A model saved by ``model.save``: layers and graph rebuilt from the JSON, weights checked
    and set; compiled again as it was (when it was saved compiled), the optimizer's state
    restored when its train step is built, so ``fit`` goes on where it stopped."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_model: path must be a file name, got {path!r}")
    with _archive(path, "model") as data:
        if "config" not in data.files:
            raise ValueError(f"{path} is not a symnet model file (no architecture record)")
        config = json.loads(str(data["config"]))
        if config.get("format") not in (SEQUENTIAL, SEQUENTIAL_1, FUNCTIONAL):
            raise ValueError(f"{path}: unknown model format {config.get('format')!r}")
        weights = [data[f"w{k}"] for k in range(sum(name.startswith("w") for name in data.files))]
        slots = [data[f"s{k}"] for k in range(sum(name.startswith("s") for name in data.files))]
    old = config["format"] == SEQUENTIAL_1
    layers = []
    for entry in config["layers"]:
        cls = LAYERS.get(entry["class"], InputLayer if entry["class"] == "InputLayer" else None)
        if cls is None:
            raise ValueError(f"{path}: unknown layer type {entry['class']!r}; symnet.nn has {', '.join(LAYERS)}")
        if old and "data_format" in inspect.signature(cls).parameters:
            entry["config"]["data_format"] = "channels_first"
        layer = cls(**entry["config"])
        layer.trainable = entry["trainable"]
        layers.append(layer)
    if config["format"] == FUNCTIONAL:
        model = _rebuild_graph(config, layers)
    else:
        model = Sequential(layers, name=config["name"])
        if model.input_shape is None:
            raise ValueError(f"{path}: the first layer has no input shape")
    if old:  # conv kernels to Keras' (kh, kw, channels, filters)
        position = 0
        for layer in model.layers:
            if type(layer).__name__ == "Conv2D" and weights[position].ndim == 4:
                weights[position] = np.transpose(weights[position], (2, 3, 1, 0))
            position += len(layer.weights)
    expected = [tuple(w.type.shape) for layer in model.layers for w in layer.weights]
    got = [a.shape for a in weights]
    if expected != got:
        raise ValueError(f"{path}: weight shapes {got} do not fit the architecture, which needs {expected}")
    model.set_weights(weights)
    settings = config.get("compile")
    if settings is not None:
        optimizer = getattr(optimizers, settings["optimizer"]["class"])(**settings["optimizer"]["config"])
        loss = [losses.Loss(name, logits) for name, logits in zip(settings["loss"], settings["from_logits"])]
        model.compile(optimizer, loss, settings["metrics"], settings["loss_weights"], settings["target"])
        model._saved_slots = slots or None
    return model


def restore_slots(slots: list, arrays: list, name: str) -> None:
    """A loaded model's optimizer state into the slots its train step just made."""
    if [s.get_value(borrow=True).shape for s in slots] != [a.shape for a in arrays]:
        raise ValueError(f"model {name}: the saved optimizer state does not fit its optimizer's slots")
    for slot, array in zip(slots, arrays):
        slot.set_value(array)


def _archive(path, what: str):
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile):
        raise ValueError(f"{path} is not a symnet {what} file (not a NumPy .npz archive)") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a symnet {what} file (a single array, not an .npz archive)")
    return data


def _layer_entry(layer) -> dict:
    return {"class": type(layer).__name__, "config": layer.config(), "trainable": layer.trainable}


def _graph_config(model: Model) -> dict:
    """The calls between the inputs and outputs: each input of a call is ["input", k] or
    ["call", j, i] (output i of call j)."""
    refs = {id(t): ["input", k] for k, t in enumerate(model.inputs)}
    calls = []
    for j, call in enumerate(model.graph_calls):
        if isinstance(call.layer, Model):
            raise NotImplementedError(f"saving a model that calls the model {call.layer.name} is not supported yet; "
                                      "save its weights (save_weights)")
        calls.append({"layer": model.layers.index(call.layer), "inputs": [refs[id(t)] for t in call.inputs],
                      "listed": call.listed})
        refs.update((id(t), ["call", j, i]) for i, t in enumerate(call.outputs))
    return {"inputs": [model.layers.index(t.input_layer) for t in model.inputs], "calls": calls,
            "outputs": [refs[id(t)] for t in model.outputs], "single_input": model.single_input,
            "single_output": model.single_output}


def _compile_config(model: Model) -> dict:
    if not all(isinstance(n, str) for n in model.loss_names):
        raise ValueError(f"model {model.name}: a model compiled with a loss function cannot be saved by name; "
                         "compile it with a loss name, or save its weights")
    return {"optimizer": {"class": type(model.optimizer).__name__, "config": model.optimizer.config()},
            "loss": model.loss_names, "from_logits": model.loss_logits, "loss_weights": model.loss_weights,
            "metrics": [m if isinstance(m, str) else m.config() for m in model.metric_specs], "target": model.target}


def _rebuild_graph(config: dict, layers: list) -> Model:
    """A functional model from its saved calls, each layer called again on KerasTensors."""
    made = {}

    def tensor(ref):
        return layers[config["inputs"][ref[1]]].output if ref[0] == "input" else made[ref[1]][ref[2]]

    for j, call in enumerate(config["calls"]):
        args = [tensor(ref) for ref in call["inputs"]]
        out = layers[call["layer"]](args if call["listed"] else args[0])
        made[j] = out if isinstance(out, list) else [out]
    inputs = [layers[k].output for k in config["inputs"]]
    outputs = [tensor(ref) for ref in config["outputs"]]
    return Model(inputs[0] if config["single_input"] else inputs, outputs[0] if config["single_output"] else outputs,
                 name=config["name"])
