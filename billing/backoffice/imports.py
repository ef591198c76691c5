"""Import a school year's tariff grid from a CSV file (admin page or ``import_tariffs``).

Format (see ``billing/examples/grille-2025-2026.csv``)::

    formule;nom;QF de 0 à 450;QF de 451 à 750;…;QF 1501 et plus;Hors commune
    eveil;Éveil artistique;120,00;150,00;…;240,00;330,00
    cursus-musique;Cursus musique;300,00;…
    reduction-fratrie-2;;10
    reduction-fratrie-3;;20
    pass-culture;;30,00

- UTF-8 (with or without BOM) or Windows-1252 (Excel's "CSV séparateur
  point-virgule"); separator ``;`` (``,`` or tab are recognised too), as
  :func:`conservatoire.spreadsheets.read_csv` reads them; lines that are empty
  or start with ``#`` are ignored.
- Header: ``formule``, then optionally ``nom``, then one column per QF bracket
  whose title holds its bounds, inclusive: ``0-450``, ``451 à 750`` or
  ``1501+`` / ``1501 et plus`` for the last, open-ended one (the title is the
  bracket's label; a trailing ``(0-450)`` is dropped from it), then exactly one
  non-resident column titled ``Hors commune`` (or ``Non-résident``).
- One line per formula: its code (created with the ``nom`` if unknown), then
  an annual price in euros for every bracket and for non-residents
  (``1 234,50``, ``1234.50`` and a ``€`` are accepted).
- ``reduction-fratrie-N``: from the N-th enrolment of a family (ordered from
  the most to the least expensive), −X % (X in the first price column).
- ``pass-culture``: the Pass'Culture de Limonest deduction, in euros.

The file describes the whole grid: importing it replaces the year's brackets,
prices and reductions (and sets the deduction, 0 when absent) in one
transaction; on any error nothing is written and every error is reported with
its line number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from conservatoire.models import SchoolYear
from conservatoire.money import to_money
from conservatoire.spreadsheets import read_csv

from ..models import Formula, Price, QFBracket, SiblingReduction, TariffGrid
from ..rules.brackets import Bracket, bracket_problems

EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "examples" / "grille-2025-2026.csv"
RANGE_RE = re.compile(r"(\d+)\s*(?:-|–|—|à|a)\s*(\d+)")
OPEN_RE = re.compile(r"(\d+)\s*(?:\+|et plus|ou plus|and more)")
TRAILING_BOUNDS_RE = re.compile(r"^(?P<label>.*\S)\s*\(\s*\d+\s*(?:[-–—]\s*\d+|\+)\s*\)$")
REDUCTION_RE = re.compile(r"^reduction-fratrie-(\d+)$")
NON_RESIDENT_TITLES = ("hors commune", "non-resident", "non resident", "hors limonest")
FORMULA_TITLES = ("formule", "code", "formula")
NAME_TITLES = ("nom", "libelle", "name")


class GridImportError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ParsedGrid:
    brackets: list[Bracket]
    prices: dict[str, list[Decimal]]  # code -> one per bracket, then non-resident
    names: dict[str, str]
    reductions: dict[int, Decimal] = field(default_factory=dict)
    pass_culture: Decimal = Decimal("0.00")


@dataclass
class ImportResult:
    grid: TariffGrid
    created: bool
    formulas_created: list[str]
    prices: int


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("_", " ").split())


def parse_bounds(title: str) -> tuple[int, int | None] | None:
    if match := RANGE_RE.search(title):
        return int(match[1]), int(match[2])
    if match := OPEN_RE.search(title):
        return int(match[1]), None
    return None


def bracket_label(title: str) -> str:
    match = TRAILING_BOUNDS_RE.match(title.strip())
    return match["label"] if match else title.strip()


def parse_amount(text: str) -> Decimal:
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        raise InvalidOperation(text)
    return to_money(Decimal(cleaned))


def _rows(data: bytes | str) -> list[tuple[int, list[str]]]:
    """The file's meaningful rows with their line numbers (empty and ``#`` lines dropped)."""
    rows = []
    for number, row in enumerate(read_csv(data), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        rows.append((number, cells))
    return rows


def parse(data: bytes | str) -> ParsedGrid:
    """Read a grid file; raise :class:`GridImportError` listing every problem."""
    rows = _rows(data)
    if not rows:
        raise GridImportError([_("The file is empty.")])
    errors: list[str] = []
    (header_line, header), body = rows[0], rows[1:]
    if _plain(header[0]) not in FORMULA_TITLES:
        raise GridImportError(
            [_("Line %(line)s: the first column must be titled “formule”.") % {"line": header_line}]
        )
    has_name = len(header) > 1 and _plain(header[1]) in NAME_TITLES
    first_price = 2 if has_name else 1
    brackets: list[Bracket] = []
    non_resident_column = None
    for column, title in enumerate(header[first_price:], start=first_price):
        if not title:
            continue
        if _plain(title) in NON_RESIDENT_TITLES:
            if non_resident_column is not None:
                errors.append(_("Two non-resident columns."))
            non_resident_column = column
            continue
        bounds = parse_bounds(title)
        if bounds is None:
            errors.append(
                _(
                    "Column “%(title)s”: write the bracket's bounds, "
                    "e.g. “QF de 0 à 450” or “QF 1501 et plus”."
                )
                % {"title": title}
            )
            continue
        brackets.append(
            Bracket(
                key=str(column),
                label=bracket_label(title)[:60],
                min_qf=bounds[0],
                max_qf=bounds[1],
                order=len(brackets),
            )
        )
    if non_resident_column is None:
        errors.append(_("The header needs a “Hors commune” column (non-resident tariff)."))
    if brackets:
        errors += bracket_problems(brackets)
    else:
        errors.append(_("The header has no QF bracket column."))
    if errors:
        raise GridImportError(errors)

    columns = [int(b.key) for b in brackets] + [non_resident_column]
    parsed = ParsedGrid(brackets=brackets, prices={}, names={})
    for line, cells in body:
        cells = cells + [""] * (len(header) - len(cells))
        code = cells[0].strip().lower()
        if match := REDUCTION_RE.match(code):
            rank = int(match[1])
            value = cells[first_price] if len(cells) > first_price else ""
            try:
                percent = Decimal(value.replace(",", ".").replace("%", "").strip())
            except InvalidOperation:
                percent = Decimal(-1)
            if rank < 2:
                errors.append(
                    _("Line %(line)s: a sibling reduction starts at the 2nd enrolment.")
                    % {"line": line}
                )
            elif not 0 <= percent <= 100:
                errors.append(
                    _("Line %(line)s: the reduction must be a percentage between 0 and 100.")
                    % {"line": line}
                )
            else:
                parsed.reductions[rank] = percent
            continue
        if code == "pass-culture":
            try:
                parsed.pass_culture = parse_amount(cells[first_price])
            except (InvalidOperation, IndexError):
                errors.append(
                    _("Line %(line)s: the Pass'Culture deduction must be an amount in euros.")
                    % {"line": line}
                )
            continue
        if not code or slugify(code) != code:
            errors.append(
                _(
                    "Line %(line)s: “%(code)s” is not a formula code "
                    "(lowercase letters, digits, dashes)."
                )
                % {"line": line, "code": cells[0]}
            )
            continue
        if code in parsed.prices:
            errors.append(
                _("Line %(line)s: the formula “%(code)s” appears twice.")
                % {"line": line, "code": code}
            )
            continue
        amounts = []
        for column in columns:
            value = cells[column] if column < len(cells) else ""
            try:
                amounts.append(parse_amount(value))
            except InvalidOperation:
                errors.append(
                    _("Line %(line)s, column “%(title)s”: “%(value)s” is not an amount in euros.")
                    % {"line": line, "title": header[column], "value": value}
                )
        parsed.prices[code] = amounts
        if has_name and cells[1]:
            parsed.names[code] = cells[1][:150]
    if not parsed.prices:
        errors.append(_("The file has no formula line."))
    if errors:
        raise GridImportError(errors)
    return parsed


@transaction.atomic
def import_grid(
    school_year: SchoolYear, data: bytes | str, *, create_formulas: bool = True
) -> ImportResult:
    """Replace ``school_year``'s grid with the file's content (all or nothing)."""
    parsed = parse(data)
    formulas = {f.code: f for f in Formula.objects.filter(code__in=parsed.prices)}
    missing = [code for code in parsed.prices if code not in formulas]
    errors = []
    for code in missing:
        if not create_formulas:
            errors.append(_("Unknown formula “%(code)s”.") % {"code": code})
        elif not parsed.names.get(code):
            errors.append(
                _("The new formula “%(code)s” needs a name in the “nom” column.") % {"code": code}
            )
    if errors:
        raise GridImportError(errors)
    created_formulas = []
    next_order = max((f.order for f in Formula.objects.all()), default=0)
    for code in missing:
        next_order += 1
        formulas[code] = Formula.objects.create(
            code=code, name=parsed.names[code], order=next_order
        )
        created_formulas.append(code)

    grid, created = TariffGrid.objects.select_for_update().get_or_create(school_year=school_year)
    grid.prices.all().delete()
    grid.brackets.all().delete()
    grid.reductions.all().delete()
    grid.pass_culture_amount = parsed.pass_culture
    grid.save()
    brackets = QFBracket.objects.bulk_create(
        QFBracket(grid=grid, label=b.label, min_qf=b.min_qf, max_qf=b.max_qf, order=b.order)
        for b in parsed.brackets
    )
    targets = [*brackets, None]
    prices = [
        Price(grid=grid, formula=formulas[code], bracket=bracket, amount=amount)
        for code, amounts in parsed.prices.items()
        for bracket, amount in zip(targets, amounts, strict=True)
    ]
    Price.objects.bulk_create(prices)
    SiblingReduction.objects.bulk_create(
        SiblingReduction(grid=grid, from_rank=rank, percent=percent)
        for rank, percent in sorted(parsed.reductions.items())
    )
    return ImportResult(grid, created, created_formulas, len(prices))


def grid_rows(grid: TariffGrid) -> tuple[list[str], list[list]]:
    """The grid in the import format: header and rows (for :func:`exports.grid_csv`)."""
    brackets = list(grid.brackets.order_by("min_qf"))
    header = ["formule", "nom"]
    for bracket in brackets:
        bounds = parse_bounds(bracket.label)
        if bounds == (bracket.min_qf, bracket.max_qf):
            header.append(bracket.label)
        elif bracket.max_qf is None:
            header.append(f"{bracket.label} ({bracket.min_qf}+)")
        else:
            header.append(f"{bracket.label} ({bracket.min_qf}-{bracket.max_qf})")
    header.append("Hors commune")
    table: dict[int, dict] = {}
    formulas = {}
    for price in grid.prices.select_related("formula").order_by("formula__order", "formula__name"):
        formulas[price.formula_id] = price.formula
        table.setdefault(price.formula_id, {})[price.bracket_id] = price.amount
    rows: list[list] = []
    for formula_id, formula in formulas.items():
        row = [formula.code, formula.name]
        row += [table[formula_id].get(b.pk, "") for b in brackets]
        row.append(table[formula_id].get(None, ""))
        rows.append(row)
    for reduction in grid.reductions.order_by("from_rank"):
        rows.append([f"reduction-fratrie-{reduction.from_rank}", "", reduction.percent])
    rows.append(["pass-culture", "", grid.pass_culture_amount])
    return header, rows
