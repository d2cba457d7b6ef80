"""``python -m symnet bench``: the benchmark suite."""

import sys


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] != "bench":
        print("usage: python -m symnet bench [--quick] [--json FILE]", file=sys.stderr)
        return 2
    from symnet.bench import main as bench_main

    return bench_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
