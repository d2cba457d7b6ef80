"""The course's churn workflow with symnet.nn: split, standardize, three Dense layers, adam,
binary cross-entropy, batch 10; test accuracy and the confusion matrix.

Data: a churn-shaped table generated below (10,000 customers, 11 features after encoding,
as in the bank-churn dataset the course uses), or with ``--dataset breast-cancer``
scikit-learn's breast-cancer data (``pip install -e ".[examples]"``).

    python examples/churn_mlp.py                        # 10,000 rows, 50 epochs
    python examples/churn_mlp.py --rows 2000 --epochs 5 --plot curve.png
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from symnet import nn

FEATURES = ["credit_score", "germany", "spain", "male", "age", "tenure", "balance", "products", "has_card",
            "active", "salary"]


def churn_table(rows: int, seed: int = 0) -> tuple:
    """Customers of a bank and whether they left, from a documented generator: churn is
    more likely with age, for inactive members, in Germany, with a high balance, for women
    and with one product or more than two — the patterns of the real dataset."""
    rng = np.random.default_rng(seed)
    country = rng.choice(3, rows, p=[0.5, 0.25, 0.25])  # France, Germany, Spain
    age = np.clip(rng.normal(39, 10, rows), 18, 92).round()
    balance = np.where(rng.random(rows) < 0.36, 0.0, rng.normal(120_000, 30_000, rows).clip(0))
    products = rng.choice([1, 2, 3, 4], rows, p=[0.5, 0.46, 0.03, 0.01])
    active = (rng.random(rows) < 0.51).astype(float)
    male = (rng.random(rows) < 0.55).astype(float)
    X = np.column_stack([
        rng.normal(650, 97, rows).clip(350, 850).round(),
        country == 1,
        country == 2,
        male,
        age,
        rng.integers(0, 11, rows),
        balance,
        products,
        (rng.random(rows) < 0.7).astype(float),
        active,
        rng.uniform(10, 200_000, rows),
    ]).astype(np.float32)
    z = (-1.5 + 0.075 * (age - 39) * (1 + (age > 50)) - 1.0 * active + 0.75 * (country == 1) + 0.4 * (balance > 0)
         - 0.5 * male + 2.5 * (products >= 3) - 0.9 * (products == 2))
    y = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(np.float32)
    return X, y


def breast_cancer() -> tuple:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data.astype(np.float32), data.target.astype(np.float32)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["churn", "breast-cancer"], default="churn")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the churn table")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--plot", metavar="FILE", help="save the training curve (needs matplotlib)")
    args = parser.parse_args(argv)

    X, y = churn_table(args.rows) if args.dataset == "churn" else breast_cancer()
    order = np.random.default_rng(42).permutation(len(X))
    cut = int(0.8 * len(X))
    train, test = order[:cut], order[cut:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0) + 1e-8  # StandardScaler, fit on train
    X_train, X_test = (X[train] - mean) / std, (X[test] - mean) / std

    model = nn.Sequential([
        nn.Dense(6, activation="relu", kernel_initializer="uniform", input_dim=X.shape[1]),
        nn.Dense(6, activation="relu", kernel_initializer="uniform"),
        nn.Dense(1, activation="sigmoid", kernel_initializer="uniform"),
    ], seed=0)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(X_train, y[train], batch_size=10, epochs=args.epochs, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - start

    predicted = model.predict(X_test)[:, 0] > 0.5
    actual = y[test] > 0.5
    confusion = [[int(np.sum(~actual & ~predicted)), int(np.sum(~actual & predicted))],
                 [int(np.sum(actual & ~predicted)), int(np.sum(actual & predicted))]]
    accuracy = float(np.mean(predicted == actual))
    print(f"{args.dataset}: {len(X)} rows, {X.shape[1]} features, {args.epochs} epochs in {seconds:.2f} s "
          f"(compile included)")
    print(f"final training loss {history.history['loss'][-1]:.4f}, validation accuracy "
          f"{history.history['val_accuracy'][-1]:.4f}")
    print(f"test accuracy {accuracy:.4f}")
    print(f"confusion matrix (rows: actual 0/1, columns: predicted 0/1): {confusion}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for key in ("loss", "val_loss"):
            ax.plot(range(1, len(history.history[key]) + 1), history.history[key], label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel("binary cross-entropy")
        ax.legend()
        fig.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"training curve saved to {args.plot}")
    return {"accuracy": accuracy, "confusion": confusion}


if __name__ == "__main__":
    main()
