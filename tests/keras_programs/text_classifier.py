"""A bidirectional GRU text classifier as Keras' example writes one: padded integer
sequences, an Embedding with mask_zero, Bidirectional(GRU), a sigmoid. The generated task: a
review is positive when it has more "good" words (ids 1-9) than "bad" ones (10-19).
Prints the test metrics as JSON."""

import json

import numpy as np

import symnet.keras as keras
from symnet.keras import layers

max_features, maxlen = 40, 12
rng = np.random.default_rng(3)


def reviews(n):
    x = np.zeros((n, maxlen), dtype="int64")
    y = np.zeros(n, dtype="float32")
    for i in range(n):
        length = rng.integers(3, maxlen + 1)
        words = rng.integers(1, max_features, length)
        x[i, :length] = words
        y[i] = float(np.sum((words >= 1) & (words <= 9)) > np.sum((words >= 10) & (words <= 19)))
    return x, y


x_train, y_train = reviews(1500)
x_val, y_val = reviews(300)

inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(max_features, 16, mask_zero=True)(inputs)
x = layers.Bidirectional(layers.GRU(16))(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=8, validation_data=(x_val, y_val), verbose=0)
loss, accuracy = model.evaluate(x_val, y_val)
print(json.dumps({"loss": loss, "accuracy": accuracy}))
