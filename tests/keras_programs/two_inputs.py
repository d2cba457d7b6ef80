"""A functional model with two inputs and two outputs, as Keras' guide to the functional API
writes one: a ticket's title and body features in, its priority (a score) and its department
(4 classes) out. Prints the test metrics as JSON."""

import json
import sys

import numpy as np

import symnet.keras as keras
from symnet.keras import layers

rng = np.random.default_rng(7)
n = 1200
title = rng.standard_normal((n, 10)).astype("float32")
body = rng.standard_normal((n, 20)).astype("float32")
priority = (title[:, 0] + body[:, 0] > 0).astype("float32")
department = np.argmax(title[:, 1:5] + body[:, 1:5], axis=1)

title_input = keras.Input(shape=(10,), name="title")
body_input = keras.Input(shape=(20,), name="body")
title_features = layers.Dense(16, activation="relu")(title_input)
body_features = layers.Dense(16, activation="relu")(body_input)
x = layers.Concatenate()([title_features, body_features])
priority_pred = layers.Dense(1, activation="sigmoid", name="priority")(x)
department_pred = layers.Dense(4, activation="softmax", name="department")(x)
model = keras.Model(inputs=[title_input, body_input], outputs=[priority_pred, department_pred])

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
    loss_weights={"priority": 1.0, "department": 0.5},
    metrics=["accuracy"],
)
train, test = slice(0, 1000), slice(1000, None)
history = model.fit(
    {"title": title[train], "body": body[train]},
    {"priority": priority[train], "department": keras.utils.to_categorical(department[train], 4)},
    epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 15,
    batch_size=32,
    verbose=0,
)
results = model.evaluate([title[test], body[test]], [priority[test], keras.utils.to_categorical(department[test], 4)])
print(json.dumps(dict(zip(model.metrics_names, results)) | {"history": sorted(history.history)}))
