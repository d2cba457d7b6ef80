"""``theano.printing``: ``debugprint`` and ``pp`` over symnet's printers."""

from __future__ import annotations

from symnet.printing import debugprint, graph_text, outputs_of
from symnet.unsupported import module_getattr


def pp(obj) -> str:
    """The graph of a variable (or a list, or a compiled function) as text, one node a line."""
    return graph_text(outputs_of(obj))


__all__ = ["debugprint", "pp"]
__getattr__ = module_getattr(__name__)
