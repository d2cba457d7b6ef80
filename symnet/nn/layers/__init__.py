"""Keras-like layers: each owns its weights (shared variables) and maps a graph expression
to a graph expression; ``config()`` is what ``model.save`` writes to rebuild it. One module
per family: base (the protocol, Input), core, conv, recurrent, normalization."""

from symnet.nn.layers.base import (
    ACTIVATIONS, Input, InputLayer, Layer, activation, pad_edges, positive_int, same_padding,
)
from symnet.nn.layers.conv import (
    AveragePooling1D, AveragePooling2D, Conv1D, Conv2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D,
)
from symnet.nn.layers.core import Activation, Add, Concatenate, Dense, Dropout, Embedding, Flatten, Reshape
from symnet.nn.layers.normalization import BatchNormalization, LayerNormalization
from symnet.nn.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN

LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten, Reshape, Concatenate, Add, Conv2D, MaxPooling2D,
                                        AveragePooling2D, SimpleRNN, LSTM, GRU, Bidirectional, Embedding,
                                        GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalAveragePooling2D,
                                        GlobalMaxPooling2D, Conv1D, MaxPooling1D, AveragePooling1D, BatchNormalization,
                                        LayerNormalization)}

__all__ = [
    "ACTIVATIONS", "LAYERS", "Activation", "Add", "AveragePooling1D", "AveragePooling2D", "BatchNormalization",
    "Bidirectional", "Concatenate", "Conv1D", "Conv2D", "Dense", "Dropout", "Embedding", "Flatten", "GRU",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input", "InputLayer",
    "LSTM", "Layer", "LayerNormalization", "MaxPooling1D", "MaxPooling2D", "Reshape", "SimpleRNN", "activation",
    "pad_edges", "positive_int", "same_padding",
]
