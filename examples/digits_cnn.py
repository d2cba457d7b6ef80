"""Handwritten digits with symnet.nn: a small CNN (Conv2D, MaxPooling2D, Dense) and an MLP on
scikit-learn's 8×8 digits (1,797 images, NCHW), trained with adam on sparse labels.

    pip install -e ".[examples]"
    python examples/digits_cnn.py                     # both models, 20 epochs
    python examples/digits_cnn.py --model cnn --epochs 30 --plot digits.png
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from symnet import nn


def digits() -> tuple:
    """Images scaled to [0, 1] as (N, 8, 8, 1) float32 (channels last, as Keras), and labels 0–9."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32).reshape(-1, 8, 8, 1), y.astype(np.int64)


def build(kind: str) -> nn.Sequential:
    if kind == "cnn":
        layers = [
            nn.Conv2D(16, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
            nn.MaxPooling2D(2),
            nn.Conv2D(32, 3, padding="same", activation="relu"),
            nn.MaxPooling2D(2),
            nn.Flatten(),
            nn.Dense(64, activation="relu"),
            nn.Dense(10, activation="softmax"),
        ]
    else:
        layers = [
            nn.Flatten(input_shape=(8, 8, 1)),
            nn.Dense(64, activation="relu"),
            nn.Dense(64, activation="relu"),
            nn.Dense(10, activation="softmax"),
        ]
    model = nn.Sequential(layers, seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["cnn", "mlp", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--plot", metavar="FILE", help="save the validation-accuracy curves (needs matplotlib)")
    args = parser.parse_args(argv)

    X, y = digits()
    order = np.random.default_rng(0).permutation(len(X))
    cut = int(0.75 * len(X))
    train, test = order[:cut], order[cut:]
    results, histories = {}, {}
    for kind in ("cnn", "mlp") if args.model == "both" else (args.model,):
        model = build(kind)
        start = time.perf_counter()
        # the first epoch compiles the train step and the evaluation of the validation split
        fit = dict(batch_size=32, validation_split=0.1, verbose=0)
        first = model.fit(X[train], y[train], epochs=1, **fit)
        compiled = time.perf_counter() - start
        start = time.perf_counter()
        history = model.fit(X[train], y[train], epochs=args.epochs - 1, **fit)
        seconds = time.perf_counter() - start
        for key, values in first.history.items():
            history.history[key] = values + history.history[key]
        loss, accuracy = model.evaluate(X[test], y[test])
        results[kind], histories[kind] = float(accuracy), history
        print(f"{kind}: {model.count_params()} parameters, first epoch {compiled:.2f} s (compile included), "
              f"{args.epochs - 1} more in {seconds:.2f} s")
        print(f"{kind}: test loss {loss:.5f}, test accuracy {accuracy:.4f}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for kind, history in histories.items():
            values = history.history["val_accuracy"]
            ax.plot(range(1, len(values) + 1), values, label=f"{kind} validation accuracy")
        ax.set_xlabel("epoch")
        ax.legend()
        fig.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"training curves saved to {args.plot}")
    return results


if __name__ == "__main__":
    main()
