"""symnet.nn: Keras-like layers, models, optimizers and callbacks on the graph API, and
the losses as graph expressions."""

from symnet.nn.callbacks import Callback, EarlyStopping, History
from symnet.nn.layers import (
    GRU, LSTM, Activation, AveragePooling2D, Bidirectional, Conv2D, Dense, Dropout, Flatten, Layer, MaxPooling2D,
    SimpleRNN,
)
from symnet.nn.losses import binary_crossentropy, categorical_crossentropy, mse, sparse_categorical_crossentropy
from symnet.nn.models import Sequential, load_model
from symnet.nn.optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop

__all__ = [
    "Activation", "Adagrad", "Adam", "AveragePooling2D", "Bidirectional", "Callback", "Conv2D", "Dense", "Dropout", "EarlyStopping", "Flatten", "GRU", "History", "LSTM", "Layer",
    "MaxPooling2D", "Optimizer", "RMSprop", "SGD", "Sequential", "SimpleRNN", "binary_crossentropy", "categorical_crossentropy", "load_model", "mse",
    "sparse_categorical_crossentropy",
]
