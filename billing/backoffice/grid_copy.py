"""A school year's tariff grid copied to the next year, for staff to adjust or re-import.

Brackets, prices, sibling reductions and the Pass'Culture deduction are copied; what
the target year already has (a bracket of the same label, a price of the same
formula and bracket, a reduction of the same rank) is left as it is, so copying
twice changes nothing and an adjusted price stays adjusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from conservatoire.models import SchoolYear

from ..models import Price, QFBracket, SiblingReduction, TariffGrid


@dataclass
class GridCopy:
    grid: TariffGrid | None  # None: the source year has no grid
    created: bool = False
    brackets: int = 0
    prices: int = 0
    reductions: int = 0


@transaction.atomic
def copy_grid(source: SchoolYear, target: SchoolYear) -> GridCopy:
    """Copy ``source``'s grid to ``target``, completing what is missing there."""
    original = TariffGrid.objects.filter(school_year=source).first()
    if original is None:
        return GridCopy(TariffGrid.objects.filter(school_year=target).first())
    grid, created = TariffGrid.objects.get_or_create(
        school_year=target,
        defaults={
            "pass_culture_amount": original.pass_culture_amount,
            "notes": original.notes,
        },
    )
    result = GridCopy(grid, created)
    brackets = {bracket.label: bracket for bracket in grid.brackets.all()}
    for bracket in original.brackets.order_by("order", "min_qf"):
        if bracket.label not in brackets:
            brackets[bracket.label] = QFBracket.objects.create(
                grid=grid,
                label=bracket.label,
                min_qf=bracket.min_qf,
                max_qf=bracket.max_qf,
                order=bracket.order,
            )
            result.brackets += 1
    existing = {
        (formula_id, label)
        for formula_id, label in grid.prices.values_list("formula_id", "bracket__label")
    }
    new_prices = []
    for price in original.prices.select_related("bracket"):
        label = price.bracket.label if price.bracket_id else None
        if (price.formula_id, label) in existing:
            continue
        new_prices.append(
            Price(
                grid=grid,
                formula_id=price.formula_id,
                bracket=brackets[label] if label is not None else None,
                amount=price.amount,
            )
        )
    Price.objects.bulk_create(new_prices)
    result.prices = len(new_prices)
    ranks = set(grid.reductions.values_list("from_rank", flat=True))
    for reduction in original.reductions.all():
        if reduction.from_rank not in ranks:
            SiblingReduction.objects.create(
                grid=grid, from_rank=reduction.from_rank, percent=reduction.percent
            )
            result.reductions += 1
    return result
