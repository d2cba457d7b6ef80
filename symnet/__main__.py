"""``python -m symnet bench``: the benchmark suite; ``python -m symnet cache``: the cache
folder's size, and removing from it."""

import argparse
import sys

USAGE = "usage: python -m symnet bench [W1 W2 W3 W4 FIT CALL W5] [options] | python -m symnet cache [--prune | --clear]"


def cache(argv: list) -> int:
    from symnet import diskcache

    parser = argparse.ArgumentParser(prog="python -m symnet cache", description="Where symnet keeps generated modules, Numba's code for them, recalled programs and remembered derivatives, and how much of it there is.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--prune", action="store_true", help="remove the least recently used entries now, down to SYMNET_CACHE_MAX_MB (entries used in the last hour stay)")
    action.add_argument("--clear", action="store_true", help="remove everything symnet wrote there (a running process rebuilds what it needs)")
    args = parser.parse_args(argv)
    if args.prune:
        print(f"removed {diskcache.prune() / 2**20:.1f} MB")
    elif args.clear:
        print(f"removed {diskcache.prune(limit=0, spare_seconds=0) / 2**20:.1f} MB")
    found = diskcache.usage()
    tables = ", ".join(f"{count} {name} entries" for name, count in sorted(found.items()) if name not in ("bytes", "modules"))
    print(f"{diskcache.cache_dir()}: {found['bytes'] / 2**20:.1f} MB of {diskcache.limit_bytes() / 2**20:.0f} MB (SYMNET_CACHE_MAX_MB); {found['modules']} modules" + (f", {tables}" if tables else ""))
    return 0


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else None
    if command == "bench":
        from symnet.bench import main as bench_main

        return bench_main(sys.argv[2:])
    if command == "cache":
        return cache(sys.argv[2:])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
