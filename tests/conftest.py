"""Shared fixtures: a seeded generator and float64 as the default float for gradient tests."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
