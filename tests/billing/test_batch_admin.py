"""The ledger in the staff admin: exports record a batch once, batches and debits pages,
rejections, marking collected, the family's ledger, who may do what."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from billing.backoffice import collections, exports
from billing.models import CollectionBatch, DebitLine, DebitStatus, RejectionResolution
from reinscription.management.commands.setup_groups import setup_secretariat_group
from tests.factories import StaffFactory

from .factories import ready_family

pytestmark = pytest.mark.django_db
D = Decimal
NOVEMBER = datetime.date(2025, 11, 1)
DECEMBER = datetime.date(2025, 12, 1)


@pytest.fixture
def secretary(client):
    """A member of the Secrétariat group as ``setup_groups`` makes it (not a superuser)."""
    group, _missing = setup_secretariat_group()
    user = StaffFactory(is_superuser=False)
    user.groups.add(group)
    client.force_login(user)
    return user


@pytest.fixture
def accountant(client):
    """Staff who may only see the family billings."""
    user = StaffFactory(is_superuser=False)
    user.user_permissions.add(Permission.objects.get(codename="view_familybilling"))
    client.force_login(user)
    return user


def export(client, school_year, action, month="2025-11", **data):
    values = {"school_year": school_year.pk, "month": month, "export": action, **data}
    return client.post(reverse("admin:billing_familybilling_exports"), values)


def test_downloading_a_month_twice_records_one_batch(client, secretary, school_year):
    ready_family(school_year)
    first = export(client, school_year, "debits_csv")
    second = export(client, school_year, "debits_csv")
    sepa = export(client, school_year, "sepa_xml", collection_date="2025-11-05")

    batch = CollectionBatch.objects.get()
    assert first.content == second.content == bytes(batch.csv_file)
    assert sepa.content == bytes(batch.sepa_file)
    assert 'filename="sepa-2025-11-01.xml"' in sepa["Content-Disposition"]  # the batch's date
    assert batch.created_by == secretary and batch.lines.count() == 1


def test_the_preview_of_an_exported_month_shows_its_batch(client, secretary, school_year):
    ready_family(school_year)
    exports.export_month(school_year, NOVEMBER)
    page = export(client, school_year, "preview").content.decode()
    assert "Les prélèvements de 11/2025 ont été exportés le" in page
    assert "1 prélèvement (53,36\u00a0€)" in page
    assert (
        reverse("admin:billing_collectionbatch_change", args=[CollectionBatch.objects.get().pk])
        in page
    )


def test_an_earlier_month_is_refused_after_a_later_one(client, secretary, school_year):
    ready_family(school_year)
    exports.export_month(school_year, DECEMBER)
    response = export(client, school_year, "sepa_xml")
    assert response.status_code == 200
    assert "Les prélèvements de 12/2025 sont déjà exportés" in response.content.decode()


def test_staff_who_only_see_billings_download_but_do_not_record_a_batch(
    client, accountant, school_year
):
    ready_family(school_year)
    assert export(client, school_year, "sepa_xml").status_code == 403
    assert not CollectionBatch.objects.exists()
    batch = exports.export_month(school_year, NOVEMBER)
    response = export(client, school_year, "sepa_xml")
    assert response.content == bytes(batch.sepa_file)
    file_url = reverse("admin:billing_collectionbatch_file", args=[batch.pk, "csv"])
    assert client.get(file_url).content == bytes(batch.csv_file)
    line = batch.lines.get()
    reject_url = reverse("admin:billing_debitline_reject", args=[line.pk])
    assert client.get(reject_url).status_code == 403


def test_the_batch_pages_open_and_serve_the_recorded_files(client, secretary, school_year):
    ready_family(school_year)
    batch = exports.export_month(school_year, NOVEMBER)
    assert client.get(reverse("admin:billing_collectionbatch_changelist")).status_code == 200
    page = client.get(reverse("admin:billing_collectionbatch_change", args=[batch.pk]))
    assert page.status_code == 200 and "53,36" in page.content.decode()
    xml = client.get(reverse("admin:billing_collectionbatch_file", args=[batch.pk, "xml"]))
    assert xml.content == bytes(batch.sepa_file)
    assert xml["Content-Type"] == "application/xml"
    assert client.get(reverse("admin:billing_debitline_changelist")).status_code == 200
    line = batch.lines.get()
    assert client.get(reverse("admin:billing_debitline_change", args=[line.pk])).status_code == 200
    assert client.get(reverse("admin:billing_collectionbatch_add")).status_code == 403
    assert client.get(reverse("admin:billing_debitline_delete", args=[line.pk])).status_code == 403


def test_staff_mark_a_batch_collected(client, secretary, school_year):
    ready_family(school_year)
    batch = exports.export_month(school_year, NOVEMBER)
    response = client.post(
        reverse("admin:billing_collectionbatch_changelist"),
        {"action": "mark_batches_collected", "_selected_action": [batch.pk]},
        follow=True,
    )
    assert "1 prélèvement marqué encaissé." in response.content.decode()
    assert batch.lines.get().status == DebitStatus.COLLECTED


def test_staff_record_a_rejection_presented_again(client, secretary, school_year):
    billing = ready_family(school_year)
    line = exports.export_month(school_year, NOVEMBER).lines.get()
    url = reverse("admin:billing_debitline_reject", args=[line.pk])
    assert client.get(url).status_code == 200

    today = timezone.localdate()  # the batch was exported today
    response = client.post(url, {"reason": "AM04", "rejected_on": today, "resolution": "represent"})

    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.rejection_reason, line.resolution) == (
        "rejected",
        "AM04",
        "represent",
    )
    assert line.rejected_on == today
    assert line.rejection_recorded_by == secretary
    assert line.history.count() == 2
    exports.export_month(school_year, DECEMBER)
    assert DebitLine.objects.get(billing=billing, batch__month=DECEMBER).amount == D("106.69")


def test_a_rejection_date_before_the_export_is_refused(client, secretary, school_year):
    ready_family(school_year)
    line = exports.export_month(school_year, NOVEMBER).lines.get()
    line.batch.created_at = line.batch.created_at.replace(year=2025, month=10, day=20)
    line.batch.save()
    response = client.post(
        reverse("admin:billing_debitline_reject", args=[line.pk]),
        {"reason": "AM04", "rejected_on": "2025-10-01", "resolution": "represent"},
    )
    assert response.context["form"].errors["rejected_on"] == [
        "Le prélèvement a été exporté après cette date."
    ]


def test_the_last_debit_can_only_move_to_a_single_payment(client, secretary, school_year):
    billing = ready_family(school_year)
    for month in (11, 12, 1, 2, 3, 4, 5, 6, 7):
        year = 2025 if month > 8 else 2026
        exports.export_month(school_year, datetime.date(year, month, 1))
    july = DebitLine.objects.get(billing=billing, batch__month=datetime.date(2026, 7, 1))
    url = reverse("admin:billing_debitline_reject", args=[july.pk])
    today = timezone.localdate()
    response = client.post(url, {"reason": "AM04", "rejected_on": today, "resolution": "represent"})
    assert response.context["form"].errors["resolution"] == [
        "Martin : il ne reste aucun prélèvement cette année scolaire pour le représenter ; "
        "passez-le en paiement unique."
    ]
    response = client.post(
        url, {"reason": "AM04", "rejected_on": today, "resolution": "single_payment"}
    )
    assert response.status_code == 302
    july.refresh_from_db()
    assert july.resolution == RejectionResolution.SINGLE_PAYMENT


def test_staff_move_rejected_debits_to_a_single_payment(client, secretary, school_year):
    ready_family(school_year)
    line = exports.export_month(school_year, NOVEMBER).lines.get()
    collections.record_rejection(
        line,
        reason="AM04",
        rejected_on=datetime.date(2025, 11, 6),
        resolution=RejectionResolution.REPRESENT,
        by=None,
    )
    response = client.post(
        reverse("admin:billing_debitline_changelist"),
        {"action": "move_to_single_payment", "_selected_action": [line.pk]},
        follow=True,
    )
    assert "1 prélèvement mis à jour." in response.content.decode()
    line.refresh_from_db()
    assert line.resolution == RejectionResolution.SINGLE_PAYMENT


def test_the_family_billing_page_shows_its_ledger(client, secretary, school_year):
    billing = ready_family(school_year)
    batch = exports.export_month(school_year, NOVEMBER)
    collections.mark_collected(batch, by=None)
    exports.export_month(school_year, DECEMBER)
    page = client.get(
        reverse("admin:billing_familybilling_change", args=[billing.pk])
    ).content.decode()
    for label, amount in [
        ("Encaissé", "53,36"),
        ("Programmé (envoyé, pas encore encaissé)", "53,33"),
        ("Rejeté, en attente du prochain prélèvement", "0,00"),
        ("Dû en paiement unique (facture)", "0,00"),
        ("Reste (prélèvements à venir)", "373,31"),
        ("Montant dû", "480,00"),
    ]:
        assert label in page and f"{amount}\u00a0€" in page, label
