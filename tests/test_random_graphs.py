"""Random graphs (Hypothesis) compiled for the CPU agree with the interpreter: values and
gradients. Graphs are compiled in batches (one function per batch: compiling dominates).

CI runs a few fixed batches; ``SYMNET_RANDOM_GRAPHS=2000 python -m pytest
tests/test_random_graphs.py`` is the long run, with fresh random draws.
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symnet.testing import check_random_graphs, random_graph

GRAPHS = int(os.environ.get("SYMNET_RANDOM_GRAPHS", "0"))
BATCH = 8


@settings(
    max_examples=max(1, GRAPHS // BATCH) if GRAPHS else 3,
    deadline=None,
    derandomize=not GRAPHS,  # CI is reproducible; the long run explores
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def test_random_graphs_agree_with_the_interpreter(data):
    graphs = [random_graph(data.draw) for _ in range(BATCH)]
    check_random_graphs(graphs)
