"""``keras.layers``: symnet.nn's layers by Keras' names."""

from __future__ import annotations

from symnet.nn.layers import (  # noqa: F401
    GRU, LSTM, Activation, Add, AveragePooling2D, Bidirectional, Concatenate, Conv2D, Dense, Dropout, Flatten, Input,
    InputLayer, Layer, MaxPooling2D, Reshape, SimpleRNN,
)
from symnet.unsupported import module_getattr

MaxPool2D, AvgPool2D, Convolution2D = MaxPooling2D, AveragePooling2D, Conv2D  # Keras' aliases

__getattr__ = module_getattr(__name__)
