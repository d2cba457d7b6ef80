"""symnet's back end: a fused program in, a runnable native program out (Numba CPU and CUDA).

``compile_program`` is the entry point: lowering (``lower.py``) turns fused regions into
loop-nest kernels (``loopir.py``), ``schedule.py`` decides how they run, ``plan.py`` plans
the driver (sizes, checks, lifetimes) and printers in ``emit/`` write it for a target, ``build.py``/``cache.py`` import it through the disk cache.
"""

import importlib.machinery
import importlib.util
import os
import sys


def _load_cython_blas() -> None:
    """Numba's first compile in a process imports ``scipy.linalg.cython_blas`` (for BLAS
    function pointers), and with it all of ``scipy.linalg``: 0.15-0.2 s, half of the first
    call of a cached function. Load that one extension module by itself instead.

    The module is the same object a later ``import scipy.linalg.cython_blas`` or a Cython
    ``cimport`` returns; only the attribute ``scipy.linalg.cython_blas`` is missing if
    ``scipy.linalg`` is imported afterwards. Anything unexpected leaves Numba's own import.
    """
    if "scipy.linalg" in sys.modules or "scipy.linalg.cython_blas" in sys.modules:
        return
    try:
        scipy = importlib.util.find_spec("scipy")
        folder = os.path.join(os.path.dirname(scipy.origin), "linalg")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "cython_blas" + suffix)
            if os.path.exists(path):
                spec = importlib.util.spec_from_file_location("scipy.linalg.cython_blas", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                sys.modules[spec.name] = module
                return
    except Exception:  # noqa: BLE001 - an optimization only: Numba imports it its own way
        sys.modules.pop("scipy.linalg.cython_blas", None)


_load_cython_blas()

from symnet.codegen import targets  # noqa: E402
from symnet.codegen.build import CPU_FASTMATH  # noqa: E402


def compile_program(program, inputs, updates, target: str = "cpu", fastmath=CPU_FASTMATH, single=False, vector_math=True, signature=None):
    """A native program for ``program`` (a ``symnet.rewrite.fuse.Program``); ``single``: its
    entry point returns the one output itself rather than a list; ``vector_math``: kernels
    use symnet/codegen/vecmath.py's transcendentals instead of libm's; ``signature``: the source
    graph's (``symnet.signature``), to remember the program under for ``recall_program``."""
    return targets.build(target, program, inputs, updates, fastmath, single, vector_math, signature)


def recall_program(signature, inputs, target: str = "cpu"):
    """The program compiled earlier (in any process) for a graph with ``signature``, loaded
    without optimizing or printing anything; None if there is none."""
    return targets.recall(target, signature, inputs)


def describe_program(program, inputs, updates, single: bool, vector_math: bool, fastmath=CPU_FASTMATH):
    """What printing ``program`` for the CPU gives (source, kernels, …), loading nothing."""
    from symnet.codegen.build import cpu_printer

    return cpu_printer(program, inputs, updates, fastmath, single, vector_math).print()
