"""symnet's back end: a fused program in, a runnable native program out (Numba CPU; CUDA next).

``compile_program`` is the entry point: lowering (``lower.py``) turns fused regions into
loop-nest kernels (``loopir.py``), ``schedule.py`` decides how they run, printers in
``emit/`` write the Numba module, ``build.py``/``cache.py`` import it through the disk cache.
"""

from codegen import targets


def compile_program(program, inputs, updates, target: str = "cpu", fastmath=frozenset({"contract"}), single=False, vector_math=True):
    """A native program for ``program`` (a ``symnet.rewrite.fuse.Program``); ``single``: its
    entry point returns the one output itself rather than a list; ``vector_math``: kernels
    use codegen/vecmath.py's transcendentals instead of libm's."""
    return targets.build(target, program, inputs, updates, fastmath, single, vector_math)
