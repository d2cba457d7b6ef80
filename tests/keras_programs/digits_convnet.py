"""A small convnet on scikit-learn's 8x8 digits written as Keras' MNIST convnet example
writes it: channels-last images, one-hot labels, categorical crossentropy. Prints the test
loss and accuracy as JSON."""

import json

import numpy as np
from sklearn.datasets import load_digits

import symnet.keras as keras
from symnet.keras import layers

num_classes = 10
input_shape = (8, 8, 1)

x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32").reshape(-1, 8, 8, 1)
order = np.random.default_rng(0).permutation(len(x))
x_train, y_train = x[order[:1400]], keras.utils.to_categorical(y[order[:1400]], num_classes)
x_test, y_test = x[order[1400:]], keras.utils.to_categorical(y[order[1400:]], num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=15, validation_split=0.1, verbose=0)
score = model.evaluate(x_test, y_test, verbose=0)
print(json.dumps({"loss": score[0], "accuracy": score[1], "shapes": [list(layer.output_shape) for layer in model.layers]}))
