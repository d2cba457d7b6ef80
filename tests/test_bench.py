"""sn.bench returns sane statistics and measures the interpreter alongside."""

import numpy as np
import pytest

import symnet as sn
from symnet.bench import format_time, timeit


def test_bench_reports_medians_for_the_function_and_the_interpreter():
    x = sn.vector("x")
    f = sn.function([x], sn.exp(x) + 1, target="interp")
    result = sn.bench(f, np.ones(8, "float32"), repeat=5, warmup=1)
    assert 0 < result.min <= result.median <= result.max
    assert result.repeat == 5 and result.interp_median is None  # f is the interpreter already
    assert "median" in str(result)


def test_timeit_calibrates_the_number_of_calls():
    calls = []
    samples = timeit(lambda: calls.append(1), repeat=4, warmup=2)
    assert len(samples) == 4 and len(calls) > 6


def test_format_time_picks_a_unit():
    assert format_time(2.5) == "2.5 s"
    assert format_time(0.0031) == "3.1 ms"
    assert format_time(4.2e-6) == "4.2 us"
    assert format_time(5e-9) == "5 ns"


def test_verify_refuses_to_time_a_wrong_answer():
    from symnet.bench import verify

    verify("ok", [np.ones(3)], [np.ones(3) + 1e-7])
    with pytest.raises(RuntimeError, match="W9: result 0 differs"):
        verify("W9", [np.ones(3)], [np.zeros(3)])


def test_cost_of_a_matmul_is_2mnk_flops_and_its_operands_bytes():
    from symnet.cost import cost

    x, w = sn.matrix("x"), sn.matrix("w")
    f = sn.function([x, w], x @ w, target="cpu")
    a, b = np.ones((5, 3), "float32"), np.ones((3, 4), "float32")
    work = cost(f, a, b)
    assert work.flops == 2 * 5 * 4 * 3
    assert work.bytes == (5 * 3 + 3 * 4 + 5 * 4) * 4


def test_a_fused_kernel_moves_its_inputs_and_outputs_once():
    from symnet.cost import cost

    x, y = sn.vector("x"), sn.vector("y")
    f = sn.function([x, y], sn.exp(x) * 2 + y, target="cpu")
    a = np.ones(100, "float32")
    work = cost(f, a, a)
    assert work.bytes == 3 * 100 * 4  # x and y read, the result written; no intermediates
    assert work.flops == 3 * 100  # exp, mul, add per element
    interpreted = cost(sn.function([x, y], sn.exp(x) * 2 + y, target="interp"), a, a)
    assert interpreted.flops == work.flops and interpreted.bytes > work.bytes  # op by op


def test_sn_bench_reports_rates_and_compile_time():
    x = sn.vector("x")
    f = sn.function([x], sn.exp(x) + 1, target="cpu")
    result = sn.bench(f, np.ones(1000, "float32"), repeat=3, warmup=1)
    assert result.flops == 2000 and result.gflops > 0 and result.gbps > 0
    assert result.interp_median > 0 and "GFLOP/s" in str(result)
    # Built here or recalled from an earlier identical graph: either way the stages and
    # Numba's first call are reported.
    assert result.compile_time == f.compile_time and result.compile_time["numba"] > 0
    assert {"rewrite", "emit"} <= set(result.compile_time) or "recall" in result.compile_time


def test_the_command_line_runs_one_small_workload(tmp_path, capsys):
    import json

    from symnet.bench import main

    pytest.importorskip("matplotlib")  # a test extra: the chart is checked wherever the tests run
    out, chart = tmp_path / "rows.json", tmp_path / "ratios.png"
    assert main(["w1", "--quick", "--size", "1000", "--compare", "numpy", "--json", str(out), "--plot", str(chart)]) == 0
    table = capsys.readouterr().out
    assert "W1 (1,000 float32)" in table and "W2" not in table and "numpy (ratio)" in table
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpus"] >= 1 and saved["machine"]["memory GB/s"] > 0 and saved["rows"][0]["ratio"] > 0
    assert set(saved["peers"]) == {"numpy"} and saved["peers"]["numpy"]["W1"] > 0  # timed in its own process
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # a picture, not an empty file


def test_the_numpy_mlp_step_is_the_graphs_gradient_step():
    """W4's baseline (and W3's for peers) is an oracle only if it is right: one step of it
    equals sn.grad's SGD step on the interpreter, for both heads."""
    from symnet.bench import mlp_params, numpy_mlp_step

    rng = np.random.default_rng(0)
    for head, t in (("softmax", rng.integers(0, 3, 5)), ("sigmoid", (rng.random(5) < 0.5).astype("float32"))):
        params = mlp_params((4, 6, 3 if head == "softmax" else 1), rng)
        x = rng.standard_normal((5, 4)).astype("float32")
        shared = [sn.shared(p.copy()) for p in params]
        z = sn.relu(sn.as_tensor(x) @ shared[0] + shared[1]) @ shared[2] + shared[3]
        if head == "softmax":
            loss = sn.mean(sn.nn.sparse_categorical_crossentropy(sn.softmax(z), sn.as_tensor(t)))
        else:
            loss = sn.mean(sn.nn.binary_crossentropy(sn.sigmoid(z[:, 0]), sn.as_tensor(t)))
        grads = sn.grad(loss, shared)
        value = sn.function([], loss, updates=[(s, s - 0.5 * g) for s, g in zip(shared, grads)], target="interp")()
        assert numpy_mlp_step(x, t, params, np.float32(0.5), head) == pytest.approx(float(value), rel=1e-5)
        for s, p in zip(shared, params):
            np.testing.assert_allclose(s.get_value(), p, rtol=1e-4, atol=1e-6)


def test_the_command_line_rejects_unknown_workloads():
    from symnet.bench import main

    with pytest.raises(SystemExit):
        main(["W42"])
    with pytest.raises(SystemExit):
        main(["W1", "--compare", "tensorflow"])


def test_profile_times_every_step_and_restores_state():
    x = sn.matrix("x")
    w = sn.shared(np.ones((3, 2), "float32"), name="w")
    loss = sn.sum(sn.tanh(x @ w))
    f = sn.function([x], loss, updates=[(w, w - 0.1 * sn.grad(loss, w))])
    result = sn.profile(f, np.ones((4, 3), "float32"), repeat=3)
    assert len(result.labels) == len(f.program.steps) and len(result.seconds) == len(result.labels)
    assert any("matmul" in label for label in result.labels)
    assert all(s > 0 for s in result.seconds)  # every step timed: none took no time at all
    assert "share" in str(result)
    np.testing.assert_array_equal(w.get_value(), np.ones((3, 2)))  # profiling left w as it was
    with pytest.raises(TypeError, match="compiled function"):
        sn.profile(sn.function([x], loss, target="interp"), np.ones((4, 3), "float32"))


def test_cli_runs_the_gpu_workloads_under_the_simulator(capsys):
    from symnet.codegen import cudalib
    from symnet.bench import main

    if not cudalib.SIMULATOR:
        pytest.skip("a real GPU: python -m symnet bench --target cuda times it at full size")
    assert main(["--target", "cuda", "--quick", "W1"]) == 0
    table = capsys.readouterr().out
    assert "GPU W1 (256 float32) vs device copy" in table and "GPU W2" not in table


@pytest.mark.parametrize("peer", ["jax", "keras", "pytensor", "torch"])
def test_each_installed_peer_verifies_and_times_the_small_workloads(peer):
    from symnet.bench import peer_installed, peer_suite

    if not peer_installed(peer):
        pytest.skip(f"{peer} is not installed (the bench extra)")
    figures = peer_suite(peer, ["W1", "W3-10"], quick=True, size=1000)  # raises on a wrong result
    timed = {"W3-10"} if peer == "keras" else {"W1", "W3-10"}  # Keras has no elementwise workload
    assert set(figures) == timed and all(t > 0 for t in figures.values())


@pytest.mark.parametrize("peer", ["keras", "torch"])
def test_an_installed_peer_trains_the_rnn_workload_from_symnets_weights(peer):
    """The peer's first loss on the first batch is symnet's (the same model and weights;
    ``peer_figures`` refuses to time it otherwise)."""
    from symnet import bench_rnn
    from symnet.bench import peer_installed

    if not peer_installed(peer):
        pytest.skip(f"{peer} is not installed (the bench extra)")
    figures = bench_rnn.peer_figures(peer, ["RNN-STEP"], repeat=3)
    assert set(figures) == {"RNN-STEP"} and figures["RNN-STEP"] > 0


def test_compile_growth_times_first_epochs_in_fresh_processes():
    from symnet.bench import compile_growth, compile_model

    (row,) = compile_growth(models=(("mlp2", "mlp1", 1.5),), quick=True)
    assert row["key"] == "COMPILE-mlp2" and row["symnet"] > 0 and row["baseline_time"] > 0
    assert row["ratio"] == row["symnet"] / row["baseline_time"]
    with pytest.raises(ValueError, match="unknown COMPILE model"):
        compile_model("resnet")
