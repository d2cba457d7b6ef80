"""The examples run as users run them, and print the course's numbers."""

import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_forward_propagation_numbers():
    out = run_example("forward_propagation.py")
    assert "two relu layers: 364.0" in out
    assert "two relu layers, other weights: 182.0" in out
    assert "single hidden layer: 0.0" in out
    assert "single hidden layer, tanh: 0.0" in out


def test_computational_graph_numbers():
    out = run_example("computational_graph.py")
    assert "g = -12.0" in out
    assert "dg/dx = -3.0  dg/dy = -3.0  dg/dz = 4.0" in out


def test_churn_mlp_on_a_small_table():
    import json
    import re

    out = run_example("churn_mlp.py", "--rows", "2000", "--epochs", "5")
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", out).group(1))
    confusion = json.loads(re.search(r"columns: predicted 0/1\): (\[\[.*\]\])", out).group(1))
    assert sum(map(sum, confusion)) == 400 and accuracy >= 0.78


def test_churn_mlp_on_breast_cancer():
    import re

    out = run_example("churn_mlp.py", "--dataset", "breast-cancer", "--epochs", "50")
    assert float(re.search(r"test accuracy ([0-9.]+)", out).group(1)) >= 0.94


def test_custom_activation_trains_and_shows_its_derivative_kernel():
    out = run_example("custom_activation.py")
    assert "swish'(z) = " in out and "swish_grad" in out
    assert float(out.split("test accuracy ")[1].split()[0]) >= 0.95


def test_digits_cnn_and_mlp_reach_the_stated_accuracy():
    import re

    out = run_example("digits_cnn.py")  # 20 epochs: cnn 0.976, mlp 0.980 when written
    accuracy = {kind: float(value) for kind, value in re.findall(r"(cnn|mlp): test loss [0-9.]+, test accuracy ([0-9.]+)", out)}
    assert accuracy["cnn"] >= 0.93 and accuracy["mlp"] >= 0.95, out


def test_inspect_kernels_prints_cpu_and_cuda_side_by_side():
    import re

    out = run_example("inspect_kernels.py")  # conftest turned the CUDA simulator on
    assert "kernels: cpu 1, cuda 1" in out and "@cuda.jit" in out and "prange" not in out.split("|")[0]
    error = float(re.search(r"max abs difference ([0-9.e+-]+)", out).group(1))
    assert error < 1e-5
