"""``python -m symnet bench``: the benchmark suite."""

import sys


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] != "bench":
        print("usage: python -m symnet bench [W1 W2 W3 CALL W5] [--quick] [--size N] [--json FILE]", file=sys.stderr)
        return 2
    from symnet.bench import main as bench_main

    return bench_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
