"""Keras-style programs (tests/keras_programs/, written as Keras' documentation writes them,
``import symnet.keras as keras`` their only change) run and reach their stated accuracies."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

PROGRAMS = pathlib.Path(__file__).resolve().parent / "keras_programs"


def run(name: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(PROGRAMS / name), *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_functional_model_with_two_inputs_and_two_outputs():
    out = run("two_inputs.py")  # 0.965 and 0.87 when written
    assert out["priority_accuracy"] >= 0.9 and out["department_accuracy"] >= 0.8, out
    assert out["loss"] == pytest.approx(out["priority_loss"] + 0.5 * out["department_loss"], rel=1e-5)
    assert out["history"] == ["department_accuracy", "department_loss", "loss", "priority_accuracy", "priority_loss"]


def test_a_channels_last_convnet_on_the_digits():
    out = run("digits_convnet.py")  # 0.980 when written
    assert out["accuracy"] >= 0.95, out
    assert out["shapes"] == [[8, 8, 16], [4, 4, 16], [4, 4, 32], [2, 2, 32], [128], [128], [10]]


def test_an_embedding_and_bidirectional_gru_text_classifier_on_padded_sequences():
    out = run("text_classifier.py")  # 0.967 when written
    assert out["accuracy"] >= 0.9, out


def test_a_conv1d_and_batch_normalization_time_series_classifier():
    out = run("timeseries_conv1d.py")  # 0.965 when written (early stopping restores the best weights)
    assert out["accuracy"] >= 0.9, out
