"""A Conv1D + BatchNormalization time-series classifier as Keras' timeseries example writes
one (channels-last (steps, 1) series, three conv blocks, global average pooling). The
generated task: is the series a sine or a square wave, under noise. Prints the test metrics
as JSON."""

import json

import numpy as np

import symnet.keras as keras
from symnet.keras import layers

rng = np.random.default_rng(5)
steps = 64


def series(n):
    t = np.arange(steps)
    labels = rng.integers(0, 2, n)
    period = rng.uniform(8, 20, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    wave = np.sin(2 * np.pi * t / period + phase)
    wave = np.where(labels[:, None] == 1, np.sign(wave), wave)
    return (wave + 0.3 * rng.standard_normal((n, steps)))[..., None].astype("float32"), labels


x_train, y_train = series(600)
x_test, y_test = series(200)

input_layer = keras.Input((steps, 1))
x = input_layer
for _ in range(3):
    x = layers.Conv1D(filters=16, kernel_size=3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
gap = layers.GlobalAveragePooling1D()(x)
output_layer = layers.Dense(2, activation="softmax")(gap)
model = keras.Model(inputs=input_layer, outputs=output_layer)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)]
model.fit(x_train, y_train, batch_size=32, epochs=30, callbacks=callbacks, validation_split=0.2, verbose=0)
loss, accuracy = model.evaluate(x_test, y_test)
print(json.dumps({"loss": loss, "accuracy": accuracy}))
