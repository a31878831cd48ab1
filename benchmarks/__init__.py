"""Performance benchmarks: figures beside a named baseline measured in the same run.

`python -m benchmarks` runs every benchmark listed in BENCHMARKS; `python -m benchmarks NAME
[options]` runs one, with its own options (`python -m benchmarks client_list --help`).

A benchmark is a module of this package with a `main(argv: list[str]) -> int` that prints its
report and returns 0 when it ran, whether or not a target was met: benchmarks report, they do
not assert. To add one, write the module and add its name below. `benchmarks.common` holds
what they share: a Django process per database, scratch databases, timing, tables.
"""

# In the order `python -m benchmarks` runs them.
BENCHMARKS: tuple[str, ...] = ("client_list", "imports", "serving", "register", "watch")
