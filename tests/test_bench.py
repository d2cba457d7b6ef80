"""sn.bench returns sane statistics and measures the interpreter alongside."""

import numpy as np

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
    import pytest

    from symnet.bench import verify

    verify("ok", [np.ones(3)], [np.ones(3) + 1e-7])
    with pytest.raises(RuntimeError, match="W9: result 0 differs"):
        verify("W9", [np.ones(3)], [np.zeros(3)])
