"""`python -m benchmarks [NAME [options]]`: every benchmark, or the one named with its options."""

import importlib
import sys
import time

from benchmarks import BENCHMARKS

USAGE = f"""usage: python -m benchmarks [NAME [options]]

Runs every benchmark in turn, or only NAME, passing it the options that follow.
Benchmarks: {", ".join(BENCHMARKS)}. `python -m benchmarks NAME --help` lists NAME's options."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0
    if argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        if name not in BENCHMARKS:
            print(f"No benchmark named {name!r}.\n\n{USAGE}", file=sys.stderr)
            return 2
        return importlib.import_module(f"benchmarks.{name}").main(argv)
    if argv:
        print(f"Options go after a benchmark's name.\n\n{USAGE}", file=sys.stderr)
        return 2
    status = 0
    for name in BENCHMARKS:
        started = time.perf_counter()
        print(f"=== benchmark {name} ===", flush=True)
        status = max(status, importlib.import_module(f"benchmarks.{name}").main([]))
        print(f"=== {name} took {time.perf_counter() - started:.0f} s ===\n", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
