"""Run the benchmarks, print their figures, merge them into .bench/results.json."""

import importlib
import json
import os
import pkgutil
import sys

import django

from . import RESULTS


def discover() -> list[str]:
    package = os.path.dirname(__file__)
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([package])
        if info.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conservatoire.settings")
    django.setup()
    available = discover()
    names = argv or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Available: {', '.join(available)}")
        return 2
    figures: dict[str, float | str] = {}
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}")
        results = module.run()
        for key, value in results.items():
            shown = f"{value:>14}" if isinstance(value, str) else f"{value:>14.6g}"
            print(f"  {key:<40} {shown}")
        figures.update(results)
    RESULTS.parent.mkdir(exist_ok=True)
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.update(figures)
    RESULTS.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")
    print(f"Written to {RESULTS.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
