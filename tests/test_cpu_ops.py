"""Every op of the op table compiled for the CPU against the reference interpreter, in the
batches of ``tests/battery.py``."""

from __future__ import annotations

import pytest

from tests.battery import BATTERY, check_gradients, check_values, grad_items


@pytest.mark.parametrize("dtype, items", BATTERY)
def test_cpu_matches_the_interpreter(dtype, items):
    check_values(items, "cpu")


@pytest.mark.parametrize("items", grad_items())
def test_cpu_gradients_match_the_interpreter(items):
    check_gradients(items, "cpu")
