"""Importing last year's data: preview, French line-level errors, all or nothing, idempotent."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Family, Student, User
from reinscription.backoffice.imports.parsing import COLUMNS
from reinscription.backoffice.imports.resource import run_import
from reinscription.models import Enrolment

pytestmark = pytest.mark.django_db

HEADER = list(COLUMNS)


def line(**cells) -> dict:
    base = {
        "famille_id": "F100",
        "famille_nom": "Garnier",
        "adresse": "5 rue des Lilas",
        "code_postal": "69760",
        "ville": "Limonest",
        "residant": "oui",
        "qf": "640",
        "qf_annee": "2025",
        "responsable1_identifiant": "",
        "responsable1_prenom": "Hélène",
        "responsable1_nom": "Garnier",
        "responsable1_email": "helene.garnier@example.org",
        "responsable1_mobile": "06 20 30 40 50",
        "responsable1_lien": "mère",
        "responsable2_identifiant": "garnier-paul",
        "responsable2_prenom": "Paul",
        "responsable2_nom": "Garnier",
        "responsable2_email": "paul.garnier@example.org",
        "responsable2_mobile": "",
        "responsable2_lien": "père",
        "eleve_id": "E100",
        "eleve_prenom": "Zoé",
        "eleve_nom": "Garnier",
        "date_naissance": "14/02/2015",
        "niveau_scolaire": "cm2",
        "etablissement": "École du Bourg",
        "adulte": "non",
        "annee_scolaire": "2024-2025",
        "formule": "cursus-musique",
        "cours": "fm1c3, piano, chorale",
        "annee_instrument": "2",
    }
    base.update(cells)
    return base


def csv_file(*lines, sep=";", header=None) -> bytes:
    header = header or HEADER
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep)
    writer.writerow(header)
    for cells in lines:
        writer.writerow([cells.get(column, "") for column in header])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_file(*lines) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for cells in lines:
        sheet.append([cells.get(column, "") for column in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SIBLINGS = (
    line(),
    line(
        eleve_id="E101",
        eleve_prenom="Tom",
        date_naissance="2019-09-03",
        niveau_scolaire="gs",
        formule="eveil",
        cours="eveil",
        annee_instrument="",
    ),
)


def snapshot_counts() -> dict:
    return {
        "families": Family.objects.count(),
        "students": Student.objects.count(),
        "users": User.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "history": Family.history.count() + Student.history.count() + User.history.count(),
        "enrolment_history": Enrolment.history.count(),
    }


def test_a_file_creates_families_responsibles_students_and_courses(demo):
    result = run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    family = Family.objects.get(legacy_id="F100")
    assert (family.name, family.city, family.is_resident, family.qf_value) == (
        "Garnier",
        "Limonest",
        True,
        640,
    )
    responsibles = family.responsibles.order_by("email")
    assert [r.email for r in responsibles] == [
        "helene.garnier@example.org",
        "paul.garnier@example.org",
    ]
    assert User.objects.get(username="garnier-paul").relation == "père"
    assert not responsibles[0].has_usable_password()
    zoe = Student.objects.get(legacy_id="E100")
    enrolment = Enrolment.objects.get(student=zoe)
    assert enrolment.school_year.label == "2024-2025"
    assert enrolment.formula.code == "cursus-musique"
    assert enrolment.instrument_year == 2
    assert sorted(enrolment.lines.values_list("course__code", flat=True)) == [
        "chorale",
        "fm1c3",
        "piano",
    ]
    tom = Student.objects.get(legacy_id="E101")
    assert tom.family == family
    assert str(tom.birth_date) == "2019-09-03"


def test_importing_the_same_file_again_changes_nothing(demo):
    data = csv_file(*SIBLINGS)
    run_import(data, "export.csv", dry_run=False)
    before = snapshot_counts()
    result = run_import(data, "export.csv", dry_run=False)
    assert [row.import_type for row in result.rows] == ["skip", "skip"]
    assert snapshot_counts() == before


def test_a_changed_line_updates_only_what_changed(demo):
    run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    changed = (
        line(cours="fm1c3, violon, orchestre", ville="Dardilly"),
        {**SIBLINGS[1], "ville": "Dardilly"},
    )
    result = run_import(csv_file(*changed), "export.csv", dry_run=False)
    assert [row.import_type for row in result.rows] == ["update", "skip"]  # family already done
    enrolment = Enrolment.objects.get(student__legacy_id="E100")
    assert sorted(enrolment.lines.values_list("course__code", flat=True)) == [
        "fm1c3",
        "orchestre",
        "violon",
    ]
    assert Family.objects.get(legacy_id="F100").city == "Dardilly"
    assert Family.objects.filter(legacy_id="F100").count() == 1


def test_the_preview_writes_nothing(demo):
    before = snapshot_counts()
    result = run_import(csv_file(*SIBLINGS), "export.csv", dry_run=True)
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert snapshot_counts() == before


def test_one_wrong_line_means_nothing_is_imported_with_french_errors(demo):
    before = snapshot_counts()
    wrong = line(
        eleve_id="E102",
        eleve_prenom="Léon",
        cours="fm1c3, tuba",
        date_naissance="31/02/2015",
        responsable1_email="pas-un-email",
        residant="peut-être",
        formule="inconnue",
    )
    result = run_import(csv_file(*SIBLINGS, wrong), "export.csv", dry_run=False)
    assert result.has_validation_errors()
    assert snapshot_counts() == before  # the two valid lines are not imported either
    invalid = result.invalid_rows[0]
    assert invalid.number == 3
    errors = {column: [str(m) for m in messages] for column, messages in invalid.error_dict.items()}
    assert errors["cours"] == ["Cours inconnu « tuba »."]
    assert errors["date_naissance"] == ["Date attendue au format 31/01/2015, pas « 31/02/2015 »."]
    assert errors["responsable1_email"] == ["Adresse e-mail invalide."]
    assert errors["residant"] == ["« oui » ou « non » attendu, pas « peut-être »."]
    assert errors["formule"] == ["Formule inconnue « inconnue »."]


def test_a_family_described_two_ways_in_one_file_is_an_error(demo):
    result = run_import(
        csv_file(line(), line(eleve_id="E104", ville="Lyon")), "x.csv", dry_run=True
    )
    [invalid] = result.invalid_rows
    assert invalid.error_dict["famille_id"] == [
        "Les informations de cette famille diffèrent de la ligne 1."
    ]


def test_missing_required_values_and_repeated_students_are_reported(demo):
    result = run_import(
        csv_file(line(), line(), line(eleve_id="E103", eleve_prenom="")), "export.csv", dry_run=True
    )
    messages = {
        row.number: {c: [str(m) for m in ms] for c, ms in row.error_dict.items()}
        for row in result.invalid_rows
    }
    assert messages[2]["eleve_id"] == ["Même élève qu’à la ligne 1."]
    assert messages[3]["eleve_prenom"] == ["Cette colonne est obligatoire."]


def test_a_file_without_its_key_columns_is_refused(demo):
    result = run_import(
        csv_file(line(), header=["famille_nom", "eleve_prenom"]), "x.csv", dry_run=True
    )
    assert result.has_errors()
    assert any("Colonnes manquantes" in str(error.error) for error in result.base_errors)


def test_responsibles_are_matched_by_email_within_the_family(demo):
    run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    changes = {"responsable1_prenom": "Hélène-Marie", "responsable2_identifiant": "GARNIER-PAUL"}
    result = run_import(
        csv_file(*({**sibling, **changes} for sibling in SIBLINGS)), "export.csv", dry_run=False
    )
    assert not result.has_validation_errors()
    family = Family.objects.get(legacy_id="F100")
    assert family.responsibles.count() == 2
    assert family.responsibles.get(email="helene.garnier@example.org").first_name == "Hélène-Marie"


def test_an_identifier_of_another_family_is_refused(demo):
    result = run_import(
        csv_file(line(responsable2_identifiant="martin-claire")), "export.csv", dry_run=True
    )
    [invalid] = result.invalid_rows
    assert invalid.error_dict["responsable2_identifiant"] == [
        "Cet identifiant appartient à une autre famille ou à un membre du personnel."
    ]


def test_xlsx_and_comma_separated_windows_files_are_read(demo):
    result = run_import(xlsx_file(*SIBLINGS), "export.xlsx", dry_run=False)
    assert not result.has_validation_errors() and not result.has_errors()
    assert Student.objects.filter(legacy_id__in=["E100", "E101"]).count() == 2
    data = csv_file(*SIBLINGS, sep=",").decode("utf-8-sig").encode("cp1252")
    result = run_import(data, "export.csv", dry_run=False)
    assert [row.import_type for row in result.rows] == ["skip", "skip"]


def test_the_admin_shows_a_preview_then_imports_on_confirmation(demo, secretary_client):
    url = reverse("admin:reinscription_enrolment_import")
    page = secretary_client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Colonnes obligatoires" in content and "famille_id" in content
    upload = io.BytesIO(csv_file(*SIBLINGS))
    upload.name = "export.csv"
    response = secretary_client.post(url, {"format": "0", "import_file": upload})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Prévisualiser" in content and "Nouveau" in content
    assert not Family.objects.filter(legacy_id="F100").exists()
    confirm = response.context["confirm_form"]
    response = secretary_client.post(
        reverse("admin:reinscription_enrolment_process_import"),
        {
            name: field.initial if field.initial is not None else confirm.initial.get(name, "")
            for name, field in confirm.fields.items()
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Family.objects.filter(legacy_id="F100").exists()
    assert Student.objects.get(legacy_id="E100").history.first().history_user is not None


def test_the_admin_lists_line_errors_in_french_and_offers_no_confirmation(demo, secretary_client):
    url = reverse("admin:reinscription_enrolment_import")
    upload = io.BytesIO(csv_file(line(cours="tuba")))
    upload.name = "export.csv"
    response = secretary_client.post(url, {"format": "0", "import_file": upload})
    content = response.content.decode()
    assert "Cours inconnu « tuba »." in content
    assert "confirm_form" not in response.context or not response.context.get("confirm_form")
    assert not Family.objects.filter(legacy_id="F100").exists()
