"""One fused kernel, printed for the CPU and for CUDA side by side.

A dense layer's bias add, gelu and its derivative fuse into one elementwise kernel; the same
loop IR becomes a loop nest inside the CPU driver and a grid-stride ``@cuda.jit`` kernel.
Runs without a GPU: the CUDA kernel is only generated (and, with NUMBA_ENABLE_CUDASIM=1,
run by Numba's simulator and checked against the CPU).

    python examples/inspect_kernels.py [--width 70]
"""

import argparse
import itertools
import os

import numpy as np

import symnet as sn


def side_by_side(left: str, right: str, width: int) -> str:
    rows = itertools.zip_longest(left.splitlines(), right.splitlines(), fillvalue="")
    return "\n".join(f"{a[:width]:<{width}} | {b}" for a, b in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=70, help="columns for the CPU side")
    args = parser.parse_args()

    x, b = sn.matrix("x"), sn.vector("b")
    h = sn.gelu(x + b)
    dh = sn.grad(sn.sum(h), x)
    functions = {target: sn.function([x, b], [h, dh], target=target) for target in ("cpu", "cuda")}
    cpu, cuda = (functions[t].kernels[0] for t in ("cpu", "cuda"))
    print(f"kernels: cpu {len(functions['cpu'].kernels)}, cuda {len(functions['cuda'].kernels)}")
    print(f"fused nodes: {', '.join(type(n.op).__name__ for n in cpu.nodes)}")
    print()
    print(side_by_side(f"CPU ({cpu.name}, inside the driver)", f"CUDA ({cuda.name})", args.width))
    print(side_by_side("-" * args.width, "-" * args.width, args.width))
    print(side_by_side(cpu.source, cuda.source, args.width))

    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        rng = np.random.default_rng(0)
        data = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)]
        got = functions["cuda"](*data)
        want = functions["cpu"](*data)
        error = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))
        print(f"\nsimulated CUDA vs CPU: max abs difference {error:.2e}")


if __name__ == "__main__":
    main()
