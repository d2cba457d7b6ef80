"""symnet.nn: Keras-like layers, models, optimizers and callbacks on the graph API, and
the losses as graph expressions."""

from symnet.nn.callbacks import Callback, CSVLogger, EarlyStopping, History, ModelCheckpoint, ReduceLROnPlateau
from symnet.nn.functional import set_random_seed
from symnet.nn.layers import (
    GRU, LSTM, Activation, Add, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, Concatenate,
    Conv1D, Conv2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, Input, InputLayer, Layer, LayerNormalization, MaxPooling1D, MaxPooling2D,
    Reshape, SimpleRNN,
)
from symnet.nn.losses import binary_crossentropy, categorical_crossentropy, mse, sparse_categorical_crossentropy
from symnet.nn.models import Model, Sequential
from symnet.nn.saving import load_model
from symnet.nn.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, ExponentialDecay, Nadam, Optimizer, RMSprop

__all__ = [
    "Activation",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Add",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "CSVLogger",
    "Callback",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Embedding",
    "ExponentialDecay",
    "Flatten",
    "GRU",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "History",
    "Input",
    "InputLayer",
    "LSTM",
    "Layer",
    "LayerNormalization",
    "MaxPooling1D",
    "MaxPooling2D",
    "Model",
    "ModelCheckpoint",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "Reshape",
    "SGD",
    "Sequential",
    "SimpleRNN",
    "binary_crossentropy",
    "categorical_crossentropy",
    "load_model",
    "mse",
    "set_random_seed",
    "sparse_categorical_crossentropy",
]
