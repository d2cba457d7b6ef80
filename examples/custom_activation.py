"""A sympy formula as an activation: swish(z) = z * sigmoid(z), defined once; symnet
differentiates it, fuses it with the bias add and its gradient, and trains a model with it.

    python examples/custom_activation.py
"""

from __future__ import annotations

import numpy as np
import sympy

import symnet as sn
from symnet import nn

swish = sn.elementwise(lambda z: z / (1 + sympy.exp(-z)), name="swish")


def main() -> float:
    z = sympy.Symbol("z", real=True)
    print("swish(z) =", z / (1 + sympy.exp(-z)))
    print("swish'(z) =", sympy.diff(z / (1 + sympy.exp(-z)), z))

    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (2000, 2)).astype(np.float32)
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 < 2).astype(np.float32)  # a disc: not linearly separable
    model = nn.Sequential([
        nn.Dense(16, activation=swish, input_dim=2),
        nn.Dense(16, activation=swish),
        nn.Dense(1, activation="sigmoid"),
    ], seed=0)
    model.compile(optimizer=nn.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X[:1600], y[:1600], batch_size=32, epochs=30, verbose=0)
    loss, accuracy = model.evaluate(X[1600:], y[1600:])
    print(f"test accuracy {accuracy:.4f} (loss {loss:.4f})")

    # swish's derivative, fused into the backward pass of the generated train step
    kernel = next(k for k in model.train_function.kernels if "swish_grad" in k.source)
    print(f"a fused kernel of the train step ({kernel.name}, {kernel.kind}):")
    print(kernel.source)
    return accuracy


if __name__ == "__main__":
    main()
