"""Benchmarks: ``python -m bench [name …]`` (or ``make bench``).

Every module ``bench/bench_<name>.py`` defines ``run() -> dict[str, float]``;
``python -m bench`` runs them all (or those named on the command line), prints
each figure and merges them into ``.bench/results.json``, a flat JSON object of
named numbers (keys from other modules are kept; a figure may also be a short
string, like the load bench's ``backend``). To add a benchmark, drop a
``bench_<name>.py`` module here; use :func:`best_of` to time a workload, and
measure a baseline in the same run so figures compare across machines.
"""

import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "results.json"


def best_of(repeat: int, func: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs of ``func``, in seconds (the least disturbed one)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best
