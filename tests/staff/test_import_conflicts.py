"""Re-importing last year's file never overwrites silently what was changed here since.

A value changed since the last import (by the family on the portal, or by the
secretariat) that the file contradicts is a conflict: the preview lists it, the
stored value stays unless staff tick "take the file's value" for it.
"""

import io

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Family, Student, User
from conservatoire.models import OutboxEmail
from reinscription.backoffice.imports.resource import run_import
from reinscription.models import Enrolment
from tests.staff.test_imports import SIBLINGS, csv_file

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:reinscription_enrolment_import"
PROCESS_URL = "admin:reinscription_enrolment_process_import"
NEW_ADDRESS = "12 chemin Neuf"
NEW_EMAIL = "helene.neuf@example.org"


@pytest.fixture
def imported(demo):
    """Last year's file imported once, then the family changed its address and an email."""
    result = run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    family = Family.objects.get(legacy_id="F100")
    helene = family.responsibles.get(email="helene.garnier@example.org")
    family.address = NEW_ADDRESS
    family._history_user = helene  # as the wizard saves it
    family.save()
    return family


@pytest.fixture
def helene_changed_her_email(imported):
    """Hélène changes her email on the account page (the family's side)."""
    helene = imported.responsibles.get(email="helene.garnier@example.org")
    client = Client()
    client.force_login(helene, backend="accounts.backends.IdentifierBackend")
    response = client.post(
        reverse("accounts:account"), {"email": NEW_EMAIL, "mobile": "06 20 30 40 50"}
    )
    assert response.status_code == 302
    OutboxEmail.objects.all().delete()
    return User.objects.get(pk=helene.pk)


def preview(client, data: bytes):
    upload = io.BytesIO(data)
    upload.name = "export.csv"
    response = client.post(reverse(IMPORT_URL), {"format": "0", "import_file": upload})
    assert response.status_code == 200
    return response


def confirm(client, response, take_file=()):
    form = response.context["confirm_form"]
    data = {
        name: field.initial if field.initial is not None else form.initial.get(name, "")
        for name, field in form.fields.items()
    }
    data["take_file"] = list(take_file)
    return client.post(reverse(PROCESS_URL), data, follow=True)


def conflicts_of(result) -> set[tuple[str, str, str]]:
    return {(c.field, c.current, c.incoming) for c in result.conflicts}


def test_the_preview_lists_each_conflict_with_the_familys_and_the_files_values(
    helene_changed_her_email, secretary_client
):
    response = preview(secretary_client, csv_file(*SIBLINGS))
    result = response.context["result"]
    assert conflicts_of(result) == {
        ("address", NEW_ADDRESS, "5 rue des Lilas"),
        ("email", NEW_EMAIL, "helene.garnier@example.org"),
    }
    content = response.content.decode()
    assert "Modifié depuis le dernier import" in content
    assert NEW_ADDRESS in content and "5 rue des Lilas" in content
    assert "Prendre la valeur du fichier" in content
    # Each conflict's checkbox is in the confirmation form, unticked.
    form_html = content.split('name="confirm"')[0]
    for conflict in result.conflicts:
        assert f'name="take_file" value="{conflict.token}"' in form_html
        assert f'value="{conflict.token}" checked' not in form_html
    address = next(c for c in result.conflicts if c.field == "address")
    assert address.changed_by == "Hélène Garnier"
    assert address.line == 1


def test_confirming_keeps_the_familys_values_and_imports_the_rest(
    helene_changed_her_email, secretary_client
):
    changed = [{**sibling, "qf": "700"} for sibling in SIBLINGS]
    changed[0]["cours"] = "fm1c3, violon"
    response = confirm(secretary_client, preview(secretary_client, csv_file(*changed)))
    assert response.status_code == 200
    family = Family.objects.get(legacy_id="F100")
    assert family.address == NEW_ADDRESS
    assert family.qf_value == 700  # changed in the file only: imported
    assert family.responsibles.count() == 2  # Hélène recognised by her former email
    assert family.responsibles.filter(email=NEW_EMAIL).exists()
    enrolment = Enrolment.objects.get(student__legacy_id="E100")
    assert sorted(enrolment.lines.values_list("course__code", flat=True)) == ["fm1c3", "violon"]
    assert not OutboxEmail.objects.filter(kind="accounts.email_changed").exists()


def test_staff_take_the_files_value_for_the_conflicts_they_tick(
    helene_changed_her_email, secretary_client
):
    page = preview(secretary_client, csv_file(*SIBLINGS))
    address = next(c for c in page.context["result"].conflicts if c.field == "address")
    confirm(secretary_client, page, take_file=[address.token])
    family = Family.objects.get(legacy_id="F100")
    assert family.address == "5 rue des Lilas"
    assert family.responsibles.filter(email=NEW_EMAIL).exists()  # not ticked: kept


def test_taking_the_files_email_tells_the_address_the_family_had_chosen(
    helene_changed_her_email, secretary_client, django_capture_on_commit_callbacks
):
    page = preview(secretary_client, csv_file(*SIBLINGS))
    email = next(c for c in page.context["result"].conflicts if c.field == "email")
    confirm(secretary_client, page, take_file=[email.token])
    helene_changed_her_email.refresh_from_db()
    assert helene_changed_her_email.email == "helene.garnier@example.org"
    [notice] = OutboxEmail.objects.filter(kind="accounts.email_changed")
    assert notice.to == [NEW_EMAIL]


def test_a_tick_for_a_value_the_family_changed_again_since_the_preview_keeps_it(
    imported, secretary_client
):
    page = preview(secretary_client, csv_file(*SIBLINGS))
    [address] = [c for c in page.context["result"].conflicts if c.field == "address"]
    imported.address = "3 impasse Récente"
    imported.save()
    confirm(secretary_client, page, take_file=[address.token])
    assert Family.objects.get(pk=imported.pk).address == "3 impasse Récente"


def test_a_kept_value_is_a_conflict_again_at_the_next_import(imported):
    for _attempt in range(2):
        result = run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
        assert conflicts_of(result) == {("address", NEW_ADDRESS, "5 rue des Lilas")}
        assert Family.objects.get(pk=imported.pk).address == NEW_ADDRESS


def test_a_value_changed_in_the_file_only_is_imported_without_conflict(imported):
    changed = [{**sibling, "ville": "Dardilly"} for sibling in SIBLINGS]
    result = run_import(csv_file(*changed), "export.csv", dry_run=False)
    assert conflicts_of(result) == {("address", NEW_ADDRESS, "5 rue des Lilas")}
    family = Family.objects.get(pk=imported.pk)
    assert (family.city, family.address) == ("Dardilly", NEW_ADDRESS)


def test_a_value_changed_here_to_what_the_file_says_is_no_conflict(imported):
    imported.address = "5 rue des Lilas"
    imported.save()
    result = run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    assert result.conflicts == []
    assert [row.import_type for row in result.rows] == ["skip", "skip"]


def test_objects_imported_before_the_snapshot_compare_with_their_first_history_record(
    imported,
):
    """Families imported before ``imported_values`` existed: their creation is the baseline."""
    Family.objects.update(imported_values={})
    Student.objects.update(imported_values={})
    User.objects.update(imported_values={})
    result = run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    assert conflicts_of(result) == {("address", NEW_ADDRESS, "5 rue des Lilas")}
    assert Family.objects.get(pk=imported.pk).address == NEW_ADDRESS


def test_the_imports_saves_are_marked_in_the_history(demo):
    run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    family = Family.objects.get(legacy_id="F100")
    assert family.history.first().history_change_reason == "import"
    assert Student.objects.get(legacy_id="E100").history.first().history_change_reason == "import"
    for responsible in family.responsibles.all():
        assert responsible.history.first().history_change_reason == "import"


def test_an_email_changed_by_the_file_tells_the_former_address(
    demo, django_capture_on_commit_callbacks
):
    run_import(csv_file(*SIBLINGS), "export.csv", dry_run=False)
    changed = [{**sibling, "responsable2_email": "paul@example.net"} for sibling in SIBLINGS]
    preview_result = run_import(csv_file(*changed), "export.csv", dry_run=True)
    assert preview_result.conflicts == []
    assert not OutboxEmail.objects.filter(kind="accounts.email_changed").exists()
    run_import(csv_file(*changed), "export.csv", dry_run=False)
    assert User.objects.get(username="garnier-paul").email == "paul@example.net"
    [notice] = OutboxEmail.objects.filter(kind="accounts.email_changed")
    assert notice.to == ["paul.garnier@example.org"]
