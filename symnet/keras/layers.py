"""``keras.layers``: symnet.nn's layers by Keras' names."""

from __future__ import annotations

from symnet.nn.layers import (  # noqa: F401
    GRU, LSTM, Activation, Add, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, Concatenate,
    Conv1D, Conv2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, Input, InputLayer, Layer, LayerNormalization, MaxPooling1D, MaxPooling2D,
    Reshape, SimpleRNN,
)
from symnet.unsupported import module_getattr

# Keras' aliases
MaxPool1D, AvgPool1D, MaxPool2D, AvgPool2D = MaxPooling1D, AveragePooling1D, MaxPooling2D, AveragePooling2D
Convolution1D, Convolution2D = Conv1D, Conv2D
GlobalAvgPool1D, GlobalMaxPool1D, GlobalAvgPool2D, GlobalMaxPool2D = (
    GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D)

__getattr__ = module_getattr(__name__)
