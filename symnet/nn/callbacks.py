"""Training callbacks, Keras' hooks: ``History`` (what ``fit`` returns), ``EarlyStopping``,
``ModelCheckpoint`` and ``CSVLogger``."""

from __future__ import annotations

import csv
import os

import numpy as np


class Callback:
    """Keras' callback: ``fit`` calls the hooks with the logs so far. The batches of an epoch
    run natively in a few long calls; a callback that defines a batch hook makes ``fit`` run
    one call per batch so that the hook sees each."""

    model = None
    params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None) -> None:
        pass

    def on_train_end(self, logs=None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        pass

    @property
    def per_batch(self) -> bool:
        """Whether a batch hook is defined (the loop then calls the step once per batch)."""
        return any(getattr(type(self), hook) is not getattr(Callback, hook)
                   for hook in ("on_train_batch_begin", "on_train_batch_end"))


class History(Callback):
    """``history[name]`` is the list of per-epoch values of ``loss``, metrics and ``val_*``;
    ``events``, what went wrong on a cluster and was recovered (``fit(distribute=)``)."""

    def __init__(self):
        self.history: dict = {}
        self.epoch: list = []
        self.events: list = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)


class EarlyStopping(Callback):
    """Stops ``fit`` when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs; ``restore_best_weights`` puts back the best epoch's weights."""

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False):
        self.monitor, self.patience, self.min_delta = monitor, int(patience), abs(float(min_delta))
        self.sign = _sign(monitor, mode, "EarlyStopping")  # minimize sign * value
        self.restore_best_weights = restore_best_weights
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.best_weights, self.stopped_epoch = np.inf, 0, None, None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but fit reports only {', '.join(logs)} "
                           "(val_* needs validation_split or validation_data)")
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.set_weights(self.best_weights)


def _sign(monitor: str, mode: str, what: str) -> float:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{what}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return -1.0 if mode == "max" or (mode == "auto" and "acc" in monitor) else 1.0


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after each epoch to ``filepath``, which may name the
    epoch and logs (``"m-{epoch:02d}-{val_loss:.2f}.keras"``); ``save_best_only``: only when
    ``monitor`` improved."""

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto"):
        self.filepath, self.monitor = os.fspath(filepath), monitor
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.sign = _sign(monitor, mode, "ModelCheckpoint")
        self.best = np.inf

    def on_train_begin(self, logs=None):
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            if self.monitor not in logs:
                raise KeyError(f"ModelCheckpoint monitors {self.monitor!r}, but fit reports only {', '.join(logs)}")
            value = self.sign * logs[self.monitor]
            if not value < self.best:
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        (self.model.save_weights if self.save_weights_only else self.model.save)(path)


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of ``filename`` (the header first; ``append``: after
    the rows already there)."""

    def __init__(self, filename, separator: str = ",", append: bool = False):
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self.file = self.writer = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer, self.header = None, exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.writer is None:
            self.writer = csv.DictWriter(self.file, fieldnames=["epoch", *logs], delimiter=self.separator)
            if not self.header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **logs})
        self.file.flush()

    def on_train_end(self, logs=None):
        if self.file is not None:
            self.file.close()
            self.file = None


class ReduceLROnPlateau(Callback):
    """Multiplies the optimizer's learning rate by ``factor`` (down to ``min_lr``) when
    ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs, then
    waits ``cooldown`` epochs; the rate is a shared scalar of the compiled step, so nothing
    compiles again. The logs get ``learning_rate``, as Keras'."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.sign = _sign(monitor, mode, "ReduceLROnPlateau")
        self.min_delta, self.cooldown, self.min_lr = abs(float(min_delta)), int(cooldown), float(min_lr)

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooling = np.inf, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.monitor not in logs:
            raise KeyError(f"ReduceLROnPlateau monitors {self.monitor!r}, but fit reports only {', '.join(logs)}")
        optimizer = self.model.optimizer
        logs["learning_rate"] = optimizer.learning_rate
        value = self.sign * logs[self.monitor]
        if self.cooling:
            self.cooling -= 1
            self.wait = 0
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
        elif not self.cooling:
            self.wait += 1
            if self.wait >= self.patience and optimizer.learning_rate > self.min_lr:
                optimizer.learning_rate = max(optimizer.learning_rate * self.factor, self.min_lr)
                self.cooling, self.wait = self.cooldown, 0
