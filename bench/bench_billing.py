"""Billing: estimate every family of a 20,000-family campaign.

The grid is loaded once from the database (the demo grid, created inside a
transaction that is rolled back, so the database is left as it was); then
20,000 generated families (one to three children, residents or not, proven QF
or not, some late starts, both payment modes) are estimated in memory.

Figures (seconds, best of 3 runs):
- ``estimate_20000_seconds``: the 20,000 estimates (bracket, proration,
  sibling reductions, Pass'Culture, schedule);
- ``baseline_decimal_20000_seconds``: the same families' prices summed and
  quantized with plain Decimal arithmetic — the machine's speed, to compare
  runs on different machines (``estimate_vs_baseline_ratio``);
- ``grid_load_seconds`` and ``grid_load_queries``: loading the grid.
"""

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing import services
from billing.demo import ensure_demo_grid
from billing.rules.brackets import EstimateInput
from billing.rules.schedule import MONTHLY, ONCE
from conservatoire.models import SchoolYear
from conservatoire.money import to_money

from . import best_of

FAMILIES = 20_000
FORMULAS = ["cursus-musique", "eveil", "decouverte", "danse", "theatre", "fm-seule"]
LATE_STARTS = [datetime.date(2025, 12, 1), datetime.date(2026, 1, 12), datetime.date(2026, 3, 2)]


class Rollback(Exception):
    pass


def families(count: int) -> list[dict]:
    """Deterministic families, like ``seed_demo --families`` (and a few late starts)."""
    result = []
    for n in range(1, count + 1):
        children = [
            EstimateInput(
                key=f"{n}-{child}",
                label=f"Élève {child + 1}",
                formula_code=FORMULAS[(n + child) % len(FORMULAS)],
                starts_on=LATE_STARTS[n % 3] if n % 17 == 0 and child == 0 else None,
            )
            for child in range(1 + n % 3)
        ]
        result.append(
            {
                "is_resident": n % 4 != 0,
                "qf_value": 300 + (n * 37) % 1700,
                "qf_proven": n % 3 != 0,
                "enrolments": children,
                "payment_mode": MONTHLY if n % 2 else ONCE,
                "pass_culture": n % 11 == 0,
            }
        )
    return result


def run() -> dict[str, float]:
    try:
        with transaction.atomic():
            year, _created = SchoolYear.objects.get_or_create(
                label="2025-2026",
                defaults={
                    "starts_on": datetime.date(2025, 9, 1),
                    "ends_on": datetime.date(2026, 8, 31),
                },
            )
            if not year.tariff_grids.exists():
                ensure_demo_grid(year)
            with CaptureQueriesContext(connection) as queries:
                grid = services.load_grid(year)
            load_seconds = best_of(3, lambda: services.load_grid(year))
            raise Rollback
    except Rollback:
        pass

    campaign = families(FAMILIES)
    totals = []

    def estimate_all():
        totals.clear()
        for family in campaign:
            totals.append(services.estimate_family(year, grid=grid, **family).total)

    def baseline():
        for family in campaign:
            bracket = grid.brackets[0].key
            total = Decimal(0)
            for item in family["enrolments"]:
                total += grid.prices.get((item.formula_code, bracket), Decimal("100"))
            to_money(total / 9)

    estimate_seconds = best_of(3, estimate_all)
    baseline_seconds = best_of(3, baseline)
    assert len(totals) == FAMILIES and all(total >= 0 for total in totals)
    return {
        "estimate_20000_seconds": round(estimate_seconds, 4),
        "baseline_decimal_20000_seconds": round(baseline_seconds, 4),
        "estimate_vs_baseline_ratio": round(estimate_seconds / baseline_seconds, 2),
        "estimate_per_family_microseconds": round(estimate_seconds / FAMILIES * 1e6, 1),
        "grid_load_seconds": round(load_seconds, 5),
        "grid_load_queries": len(queries),
    }
