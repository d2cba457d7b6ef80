"""Shared fixtures: a seeded random generator. CUDA tests run under Numba's simulator unless
NUMBA_ENABLE_CUDASIM=0 is given (on a machine with a GPU)."""

import os

# read once when numba is imported, which no test module has done yet
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
