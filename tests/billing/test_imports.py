"""Importing a tariff grid from CSV: the example file, errors, the command."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from billing.backoffice import exports, imports
from billing.demo import ensure_demo_grid
from billing.models import Formula, Price, TariffGrid
from billing.services import load_grid
from conservatoire.models import SchoolYear
from tests.factories import PreviousSchoolYearFactory

pytestmark = pytest.mark.django_db
EXAMPLE = Path(settings.BASE_DIR, "billing", "examples", "grille-2025-2026.csv")

HEADER = "formule;nom;QF 0-450;QF 451-750;QF 751+;Hors commune\n"


def by_label(grid):
    """A grid's prices keyed by (formula code, bracket label) — comparable across grids."""
    labels = {b.key: b.label for b in grid.brackets}
    return {(code, labels.get(key)): amount for (code, key), amount in grid.prices.items()}


def test_the_example_file_is_the_demo_grid(school_year):
    previous = PreviousSchoolYearFactory()
    imports.import_grid(previous, EXAMPLE.read_bytes())
    ensure_demo_grid(school_year)
    imported, demo = load_grid(previous), load_grid(school_year)
    assert by_label(imported) == by_label(demo)
    assert imported.reductions == demo.reductions == {2: Decimal("10"), 3: Decimal("20")}
    assert imported.pass_culture_amount == demo.pass_culture_amount == Decimal("30.00")
    assert [(b.label, b.min_qf, b.max_qf) for b in imported.brackets] == [
        ("QF de 0 à 450", 0, 450),
        ("QF de 451 à 750", 451, 750),
        ("QF de 751 à 1100", 751, 1100),
        ("QF de 1101 à 1500", 1101, 1500),
        ("QF 1501 et plus", 1501, None),
    ]


def test_a_grid_exported_then_imported_is_unchanged(demo_grid, school_year):
    content = exports.grid_csv(demo_grid)
    previous = PreviousSchoolYearFactory()
    imports.import_grid(previous, content)
    assert by_label(load_grid(previous)) == by_label(load_grid(school_year))


def test_importing_replaces_the_grid_of_the_year(demo_grid, school_year):
    result = imports.import_grid(
        school_year,
        HEADER
        + "eveil;Éveil;100;110;120;200\nnouvelle;Nouvelle formule;1 000,50 €;1001;1002;2000\n",
    )
    assert not result.created and result.formulas_created == ["nouvelle"]
    grid = load_grid(school_year)
    assert len(grid.brackets) == 3 and len(grid.prices) == 8
    assert grid.prices[("nouvelle", None)] == Decimal("2000.00")
    assert grid.reductions == {} and grid.pass_culture_amount == 0
    assert Formula.objects.get(code="nouvelle").name == "Nouvelle formule"
    assert TariffGrid.objects.count() == 1


def test_windows_1252_and_commas_are_accepted(school_year):
    text = "formule,nom,QF 0-450,QF 451+,Non-résident\neveil,Éveil,100.00,120.5,200\n"
    imports.import_grid(school_year, text.encode("cp1252"))
    grid = load_grid(school_year)
    assert by_label(grid)[("eveil", "QF 451+")] == Decimal("120.50")
    assert Formula.objects.get(code="eveil").name == "Éveil"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "Le fichier est vide."),
        ("code;QF 0+\n", "doit comporter une colonne « Hors commune »"),
        (
            "tarif;QF 0+;Hors commune\n",
            "Ligne 1 : la première colonne doit s'intituler « formule ».",
        ),
        ("formule;Tranche A;Hors commune\n", "Colonne « Tranche A » : indiquez les bornes"),
        (
            "formule;QF 0-400;QF 500+;Hors commune\n",
            "Aucune tranche ne contient les QF de 401 à 499.",
        ),
        (HEADER, "Le fichier ne contient aucune ligne de formule."),
        (
            HEADER + "eveil;;100;abc;120;200\n",
            "Ligne 2, colonne « QF 451-750 » : « abc » n'est pas",
        ),
        (HEADER + "eveil;;100;-5;120;200\n", "« -5 » n'est pas un montant en euros"),
        (HEADER + "eveil;;100;110;120;\n", "colonne « Hors commune » : «  » n'est pas"),
        (HEADER + "Éveil Artistique;;1;2;3;4\n", "n'est pas un code de formule"),
        (
            HEADER + "eveil;;1;2;3;4\neveil;;1;2;3;4\n",
            "Ligne 3 : la formule « eveil » apparaît deux fois.",
        ),
        (HEADER + "eveil;;1;2;3;4\nreduction-fratrie-1;;10\n", "commence à la 2e inscription"),
        (HEADER + "eveil;;1;2;3;4\nreduction-fratrie-2;;150\n", "un pourcentage entre 0 et 100"),
        (HEADER + "eveil;;1;2;3;4\npass-culture;;trente\n", "la déduction Pass'Culture doit"),
        (HEADER + "inconnue;;1;2;3;4\n", "La nouvelle formule « inconnue » doit avoir un nom"),
    ],
)
def test_a_bad_file_is_refused_with_a_french_message_and_nothing_written(
    demo_grid, school_year, content, message
):
    before = set(Price.objects.values_list("pk", "amount"))
    with pytest.raises(imports.GridImportError) as error:
        imports.import_grid(school_year, content)
    assert any(message in line for line in error.value.errors), error.value.errors
    assert set(Price.objects.values_list("pk", "amount")) == before


def test_the_command_imports_the_example(db):
    out = StringIO()
    call_command("import_tariffs", str(EXAMPLE), "--year", "2025-2026", stdout=out)
    assert "54 prices" in out.getvalue()
    assert TariffGrid.objects.get().school_year == SchoolYear.objects.get(label="2025-2026")


def test_the_command_dry_run_writes_nothing(db):
    out = StringIO()
    call_command("import_tariffs", str(EXAMPLE), "--year", "2025", "--dry-run", stdout=out)
    assert "nothing written" in out.getvalue()
    assert not TariffGrid.objects.exists() and not SchoolYear.objects.exists()


def test_the_command_reports_errors(db, tmp_path):
    bad = tmp_path / "grille.csv"
    bad.write_text(HEADER + "eveil;;1;deux;3;4\n", encoding="utf-8")
    with pytest.raises(CommandError, match="n'est pas un montant"):
        call_command("import_tariffs", str(bad), "--year", "2025-2026")
    with pytest.raises(CommandError):
        call_command("import_tariffs", str(tmp_path / "absent.csv"), "--year", "2025-2026")
