"""Global settings read once from the environment: the default float dtype and target."""

import os


class Config:
    """Process-wide settings; change attributes directly (``sn.config.floatX = "float64"``)."""

    def __init__(self) -> None:
        self.floatX: str = os.environ.get("SYMNET_FLOATX", "float32")
        if self.floatX not in ("float32", "float64"):
            raise ValueError(f"SYMNET_FLOATX must be float32 or float64, not {self.floatX!r}")
        # Where sn.function compiles to when no target is given: "cpu", "cuda" or "interp".
        self.target: str = os.environ.get("SYMNET_TARGET", "cpu")
        # True: exp, log, tanh, sigmoid, ... in CPU kernels are symnet's vectorizable
        # polynomial forms (symnet/codegen/vecmath.py, bounds in ULP_BOUNDS there); False: libm's.
        # Read when a function is compiled.
        self.fast_math: bool = os.environ.get("SYMNET_FAST_MATH", "1") != "0"
        # True: CUDA kernels use the GPU's fast intrinsics (approximate exp, log, sin, cos,
        # division and square root; subnormals flushed to zero); False: libdevice's
        # correctly rounded or few-ULP functions. Read when a function is compiled.
        self.cuda_fast_math: bool = os.environ.get("SYMNET_CUDA_FAST_MATH", "0") == "1"
        # Helper processes compiling a CPU driver's kernels while it compiles
        # (symnet/codegen/compile_pool.py); 0: everything compiles in this process.
        workers = os.environ.get("SYMNET_COMPILE_WORKERS", "")
        if workers and not workers.isdigit():
            raise ValueError(f"SYMNET_COMPILE_WORKERS must be a number of processes (0 for none), not {workers!r}")
        self.compile_workers: int = int(workers) if workers else _default_workers()
        # True: a call whose outputs or updates hold NaN or inf raises FloatingPointError
        # naming the node they came from, and leaves shared variables as they were
        # (symnet/nancheck.py). Read when a function is compiled; off, calls are not checked.
        self.debug_nans: bool = os.environ.get("SYMNET_DEBUG_NANS", "0") == "1"

    def codegen_settings(self) -> list:
        """(name, value) of the settings that change generated code: part of a graph's
        signature (the others only change how a call runs)."""
        return sorted((k, v) for k, v in vars(self).items() if k not in ("compile_workers", "debug_nans"))


def _default_workers() -> int:
    """A helper per core beyond the first, at most 3 (a driver launches a few dozen kernels);
    none on Windows, whose pipes ``select`` cannot wait on."""
    if os.name == "nt":
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(3, cores - 1))


config = Config()
