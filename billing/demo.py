"""The demo tariff grid: five QF brackets for residents, a higher non-resident tariff.

``ensure_demo_grid(school_year)`` is idempotent: it creates what is missing and
leaves what exists (a price staff changed in admin stays changed). The same
figures are in ``billing/examples/grille-2025-2026.csv``.
"""

from decimal import Decimal

from django.db import transaction

from conservatoire.models import SchoolYear

from .models import Formula, Price, QFBracket, SiblingReduction, TariffGrid

# label, min, max (inclusive; None: open-ended)
BRACKETS = [
    ("QF de 0 à 450", 0, 450),
    ("QF de 451 à 750", 451, 750),
    ("QF de 751 à 1100", 751, 1100),
    ("QF de 1101 à 1500", 1101, 1500),
    ("QF 1501 et plus", 1501, None),
]

# code, name, sibling reduction applies, [price per bracket…], non-resident price
FORMULAS = [
    ("eveil", "Éveil artistique", True, ["120", "150", "180", "210", "240"], "330"),
    ("decouverte", "Découverte instrumentale", True, ["150", "190", "230", "270", "310"], "420"),
    (
        "cursus-musique",
        "Cursus musique (instrument, formation musicale, pratique collective)",
        True,
        ["300", "390", "480", "570", "660"],
        "900",
    ),
    ("fm-seule", "Formation musicale seule", True, ["90", "115", "140", "165", "190"], "260"),
    (
        "pratique-collective",
        "Pratique collective seule",
        True,
        ["60", "75", "90", "105", "120"],
        "160",
    ),
    ("second-instrument", "Second instrument", True, ["210", "270", "330", "390", "450"], "620"),
    ("danse", "Danse", True, ["150", "190", "230", "270", "310"], "420"),
    ("theatre", "Théâtre", True, ["150", "190", "230", "270", "310"], "420"),
    ("adulte", "Adulte (instrument)", False, ["330", "420", "510", "600", "690"], "950"),
]

SIBLING_REDUCTIONS = {2: Decimal("10"), 3: Decimal("20")}
PASS_CULTURE_AMOUNT = Decimal("30.00")


@transaction.atomic
def ensure_demo_grid(school_year: SchoolYear) -> TariffGrid:
    """Create (or complete) the demo grid of ``school_year``; returns it."""
    grid, created = TariffGrid.objects.get_or_create(
        school_year=school_year,
        defaults={
            "pass_culture_amount": PASS_CULTURE_AMOUNT,
            "notes": "Grille de démonstration (tarifs fictifs).",
        },
    )
    brackets = []
    for order, (label, min_qf, max_qf) in enumerate(BRACKETS):
        bracket, _ = QFBracket.objects.get_or_create(
            grid=grid, label=label, defaults={"min_qf": min_qf, "max_qf": max_qf, "order": order}
        )
        brackets.append(bracket)
    existing = set(grid.prices.values_list("formula__code", "bracket_id"))
    new_prices = []
    for order, (code, name, reducible, resident, non_resident) in enumerate(FORMULAS):
        formula, formula_created = Formula.objects.get_or_create(
            code=code, defaults={"name": name, "order": order, "sibling_reduction": reducible}
        )
        if created and not formula_created and not reducible and formula.sibling_reduction:
            # seed_demo creates the formulas first: adults get no sibling reduction.
            Formula.objects.filter(pk=formula.pk).update(sibling_reduction=False)
        for bracket, amount in [*zip(brackets, resident, strict=True), (None, non_resident)]:
            if (code, bracket.pk if bracket else None) not in existing:
                new_prices.append(
                    Price(grid=grid, formula=formula, bracket=bracket, amount=Decimal(amount))
                )
    Price.objects.bulk_create(new_prices)
    for rank, percent in SIBLING_REDUCTIONS.items():
        SiblingReduction.objects.get_or_create(
            grid=grid, from_rank=rank, defaults={"percent": percent}
        )
    return grid
