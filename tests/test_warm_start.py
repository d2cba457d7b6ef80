"""A warm start: a later process recalls the program compiled for an identical graph by its
signature (no optimizing, printing or sympy), and builds gradients from remembered derivatives."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import symnet as sn
from symnet.signature import graph_signature

STEP = """
    import sys, json
    import numpy as np, symnet as sn
    x, t = sn.matrix("x"), sn.vector("t")
    W = sn.shared(np.full((3, 2), 0.1, "float32"), name="W")
    b = sn.shared(np.zeros(2, "float32"), name="b")
    p = sn.sigmoid(sn.relu(x @ W + b).sum(axis=1))
    loss = sn.mean(sn.nn.binary_crossentropy(p, t))
    gW, gb = sn.grad(loss, [W, b])
    f = sn.function([x, t], loss, updates=[(W, W - 0.5 * gW), (b, b - 0.5 * gb)])
    sympy_used = "sympy" in sys.modules
    X = np.arange(12, dtype="float32").reshape(4, 3) / 10
    losses = [float(f(X, np.array([0, 1, 1, 0], "float32"))) for _ in range(3)]
    report = {"sympy": sympy_used, "stages": sorted(f.compile_time), "losses": losses, "W": W.get_value().tolist()}
    report["kernels"] = [k.name for k in f.kernels]  # a recalled program prints itself again for this
    report["graph_nodes"] = len(f.program.steps)
    print(json.dumps(report))
"""


def _run(script: str, folder, numba_cache: bool = False) -> dict:
    """Run ``script`` (from a file, so errors can quote its lines) in a new process with the
    cache in ``folder``/cache (and Numba's in ``folder``/numba); its last line of output,
    as JSON."""
    path = folder / "script.py"
    path.write_text(textwrap.dedent(script))
    env = dict(os.environ, SYMNET_CACHE_DIR=str(folder / "cache"))
    if numba_cache:
        env["NUMBA_CACHE_DIR"] = str(folder / "numba")
    done = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_later_process_recalls_the_program_without_sympy(tmp_path):
    cold, warm = _run(STEP, tmp_path), _run(STEP, tmp_path)
    assert cold["sympy"] and not warm["sympy"]
    assert {"rewrite", "fuse", "lower", "emit"} <= set(cold["stages"])
    assert "recall" in warm["stages"] and "rewrite" not in warm["stages"]
    assert warm["losses"] == cold["losses"] and warm["W"] == cold["W"]
    assert warm["kernels"] == cold["kernels"] and warm["graph_nodes"] == cold["graph_nodes"]


def test_a_damaged_cache_counts_as_missing(tmp_path):
    """Every file of symnet's and Numba's caches overwritten with garbage (a full disk, a
    crash mid-write): the next process compiles again and computes the same, and the one
    after it recalls what that one wrote. Numba's index raised UnpicklingError before."""
    cold = _run(STEP, tmp_path, numba_cache=True)
    files = [p for folder in ("cache", "numba") for p in (tmp_path / folder).rglob("*") if p.is_file()]
    assert any(p.suffix == ".nbi" for p in files) and any(p.suffix == ".py" for p in files)
    for p in files:
        p.write_bytes(b"\x00garbage\x80" * 8)
    rebuilt = _run(STEP, tmp_path, numba_cache=True)
    warm = _run(STEP, tmp_path, numba_cache=True)
    assert rebuilt["losses"] == cold["losses"] == warm["losses"] and rebuilt["W"] == cold["W"]
    assert "rewrite" in rebuilt["stages"] and "recall" in warm["stages"]


ERROR = """
    import numpy as np, symnet as sn
    x = sn.matrix("x", "float64")
    w = sn.shared(np.ones(3), name="w")
    f = sn.function([x], sn.exp(x @ w) + sn.sum(x, axis=0))  # the line an error names
    try:
        f(np.ones((2, 3)))  # x @ w is (2,), the sum over rows (3,): they do not broadcast
    except sn.ShapeError as e:
        print(json.dumps({"message": str(e), "stages": sorted(f.compile_time)}))
""".replace("import numpy", "import json, numpy")


def test_a_recalled_program_names_the_node_and_line_of_a_failing_check(tmp_path):
    cold, warm = _run(ERROR, tmp_path), _run(ERROR, tmp_path)
    assert "recall" in warm["stages"]
    assert "the line an error names" in warm["message"] and "sizes differ" in warm["message"]
    assert warm["message"] == cold["message"]


def test_an_altered_module_is_not_recalled(tmp_path):
    cold = _run(STEP, tmp_path)
    for path in (tmp_path / "cache").glob("symnet_gen_*.py"):
        path.write_text(path.read_text() + "\n# edited\n")
    again = _run(STEP, tmp_path)
    assert "recall" not in again["stages"] and again["losses"] == cold["losses"]


def _signature(scale=2.0, name="h", fast=True, extra_constant=None):
    x = sn.vector("x")
    h = sn.tanh(x * scale)
    h.name = name
    outputs = [h if extra_constant is None else h + sn.constant(np.array(extra_constant, "float32"))]
    return graph_signature([x], outputs, [], ("cpu", True, fast))


def test_the_signature_covers_constants_names_settings_and_structure():
    base = _signature()
    # the same graph built again (new Variable objects, same labels) has the same signature
    assert _signature().digest == base.digest
    for other in (_signature(scale=3.0), _signature(name="g"), _signature(fast=False), _signature(extra_constant=[1.0, 2.0])):
        assert other.digest != base.digest
    assert _signature(extra_constant=[1.0, 2.0]).digest != _signature(extra_constant=[1.0, 2.5]).digest


def test_ops_whose_parameters_have_no_faithful_text_have_no_signature():
    from dataclasses import dataclass

    from symnet.ops.elementwise import Elemwise

    @dataclass(frozen=True)
    class Strange(Elemwise):
        thing: object = None

    x = sn.vector("x")
    y = Strange("strange", 1, thing=object(), fn=lambda a: a)(x)
    assert graph_signature([x], [y], [], ()) is None


def test_a_remembered_derivative_that_sympy_no_longer_agrees_with_is_refused(monkeypatch, tmp_path):
    from symnet.ops import elementwise

    monkeypatch.setenv("SYMNET_CACHE_DIR", str(tmp_path))
    x = sn.vector("x", "float64")
    sn.grad(sn.sum(sn.tanh(x)), x)  # remembers d tanh
    table = elementwise._DERIVATIVES
    (path,) = [p for p in table._memory if p.startswith(str(tmp_path)) and "tanh|" in open(p).read()]
    stored = json.loads(open(path).read())
    stored["value"] = ["Symbol('x1', real=True)", [0]]  # not tanh's derivative
    with open(path, "w") as f:
        json.dump(stored, f)
    del table._memory[path]  # read the file again, as a new process would
    g = sn.grad(sn.sum(sn.tanh(x)), x)
    with pytest.raises(RuntimeError, match="remembered derivative of tanh"):
        sn.function([x], g, target="interp")(np.ones(2))


def _conv_model():
    from symnet import nn

    # named layers: unnamed ones are numbered per process (conv2d_1, conv2d_2, ...) as in Keras
    model = nn.Sequential([
        nn.Conv2D(2, 3, padding="same", activation="relu", input_shape=(6, 6, 1), name="conv"),
        nn.MaxPooling2D(2, name="pool"),
        nn.Dropout(0.2, name="drop"),
        nn.Flatten(name="flat"),
        nn.Dense(2, activation="softmax", name="out"),
    ], seed=3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_graph_built_again_in_the_same_process_is_recalled_and_prints_the_same():
    # new Variable objects with new numbers: the signature, the recalled module and the
    # source printed again for f.kernels must not depend on them
    from symnet.bench import churn_data, churn_params, churn_step_symnet

    rng = np.random.default_rng(0)
    X, y = churn_data(10, rng)
    params = churn_params(rng)
    first, again = churn_step_symnet(params), churn_step_symnet(params)
    assert "recall" in again.compile_time
    assert [k.name for k in again.kernels] == [k.name for k in first.kernels]
    assert float(again(X, y)) == float(first(X, y))

    x = np.random.default_rng(1).standard_normal((4, 6, 6, 1)).astype(np.float32)
    labels = np.array([0, 1, 1, 0])
    models = [_conv_model() for _ in range(2)]
    histories = [m.fit(x, labels, batch_size=2, epochs=2, shuffle=False, verbose=0).history for m in models]
    assert "recall" in models[1]._train.compile_time
    assert len(models[1]._train.kernels) == len(models[0]._train.kernels)
    assert histories[0] == histories[1]


def test_gradients_work_where_the_cache_folder_cannot_be_made(monkeypatch, tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("SYMNET_CACHE_DIR", str(blocked / "cache"))
    x = sn.vector("x", "float64")
    g = sn.grad(sn.sum(sn.sin(x) * sn.exp(x)), x)  # derivatives remembered in memory only
    data = np.array([0.3, -1.2])
    np.testing.assert_allclose(sn.function([x], g, target="interp")(data), (np.cos(data) + np.sin(data)) * np.exp(data))
