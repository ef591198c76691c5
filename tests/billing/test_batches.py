"""The debit ledger: a month's batch recorded once, debits from what is left, rejections
presented again or moved to a single payment, batches marked collected, amendments."""

import datetime
import functools
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sepaxml
import xmlschema
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import ledger
from billing.backoffice import collections, exports
from billing.models import (
    CollectionBatch,
    DebitLine,
    DebitStatus,
    PaymentMode,
    RejectionResolution,
)
from billing.rules.schedule import debit_dates
from billing.services import amend_mandate

from .factories import FamilyBillingFactory, MandateFactory, ready_family

pytestmark = pytest.mark.django_db
D = Decimal
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
NOVEMBER = datetime.date(2025, 11, 1)
DECEMBER = datetime.date(2025, 12, 1)
JANUARY = datetime.date(2026, 1, 1)
MONTHS = debit_dates(datetime.date(2025, 9, 1))  # November 2025 to July 2026
OTHER_BANK_IBAN = "FR1420041010050500013M02606"  # La Banque Postale
SAME_BANK_IBAN = "FR7630006000019876543210076"  # the factories' bank (30006), another account


def line_of(billing, month) -> DebitLine:
    return DebitLine.objects.get(billing=billing, batch__month=month)


@functools.cache
def pain_008_001_08() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def xml_of(batch) -> ElementTree.Element:
    content = bytes(batch.sepa_file)
    pain_008_001_08().validate(content.decode())  # the file as sent validates
    return ElementTree.fromstring(content)  # noqa: S314 (our own output)


def transaction_of(root, rum) -> ElementTree.Element:
    for node in root.iterfind(".//p:DrctDbtTxInf", NS):
        if node.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS) == rum:
            return node
    raise AssertionError(f"no transaction for {rum}")


def reject(line, reason="AM04", resolution=RejectionResolution.REPRESENT):
    return collections.record_rejection(
        line,
        reason=reason,
        rejected_on=line.collection_date + datetime.timedelta(days=3),
        resolution=resolution,
        by=None,
    )


# --- A month is recorded once -------------------------------------------------------------------


def test_exporting_a_month_records_its_batch_and_lines(school_year, staff_user):
    billing = ready_family(school_year, "Martin")
    ready_family(school_year, "Bernard", signed_on=None)  # blocked: not recorded

    batch = exports.export_month(school_year, NOVEMBER, NOVEMBER, by=staff_user)

    assert (batch.month, batch.collection_date, batch.created_by) == (
        NOVEMBER,
        NOVEMBER,
        staff_user,
    )
    (line,) = batch.lines.all()
    mandate = billing.family.mandates.get()
    assert line.billing == billing and line.mandate == mandate
    assert (line.rum, line.iban, line.holder) == (mandate.rum, mandate.iban, mandate.holder)
    assert (line.amount, line.sequence_type, line.status) == (D("53.36"), "FRST", "scheduled")
    assert (line.instalment_number, line.instalment_count) == (1, 9)
    assert line.end_to_end_id == f"{mandate.rum}-202511"
    root = xml_of(batch)
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "53.36"
    assert root.findtext(".//p:PmtId/p:EndToEndId", namespaces=NS) == line.end_to_end_id


def test_exporting_the_same_month_again_gives_back_the_same_batch(school_year):
    billing = ready_family(school_year)
    first = exports.export_month(school_year, NOVEMBER, NOVEMBER)
    files = bytes(first.sepa_file), bytes(first.csv_file)
    FamilyBillingFactory(school_year=school_year)  # a change meanwhile changes nothing

    again = exports.export_month(school_year, NOVEMBER, datetime.date(2025, 11, 5))

    assert again.pk == first.pk and again.message_id == first.message_id
    assert (bytes(again.sepa_file), bytes(again.csv_file)) == files
    assert CollectionBatch.objects.count() == 1
    assert DebitLine.objects.filter(billing=billing).count() == 1


def test_the_database_refuses_a_second_batch_or_debit_for_a_month(school_year):
    billing = ready_family(school_year)
    batch = exports.export_month(school_year, NOVEMBER)
    line = batch.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectionBatch.objects.create(
            school_year=school_year,
            month=NOVEMBER,
            collection_date=NOVEMBER,
            message_id="other",
            schema="pain.008.001.08",
            sepa_file=b"",
            csv_file=b"",
        )
    copy = {
        f.name: getattr(line, f.name)
        for f in DebitLine._meta.concrete_fields
        if f.name not in ("id", "end_to_end_id")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        DebitLine.objects.create(**copy, end_to_end_id="other")
    assert billing.debit_lines.count() == 1


def test_nothing_exportable_records_no_batch(school_year):
    ready_family(school_year, signed_on=None)
    with pytest.raises(exports.NothingToExport):
        exports.export_month(school_year, NOVEMBER)
    assert not CollectionBatch.objects.exists() and not DebitLine.objects.exists()


def test_the_months_are_exported_in_order(school_year):
    ready_family(school_year)
    exports.export_month(school_year, DECEMBER)
    with pytest.raises(exports.LaterMonthExported):
        exports.export_month(school_year, NOVEMBER)


def test_a_blocked_family_catches_up_over_the_months_after(school_year):
    billing = ready_family(school_year, "Martin", signed_on=None)
    ready_family(school_year, "Bernard")
    exports.export_month(school_year, NOVEMBER)
    assert not billing.debit_lines.exists()
    mandate = billing.family.mandates.get()
    mandate.signed_on = datetime.date(2025, 11, 10)
    mandate.save()

    exports.export_month(school_year, DECEMBER)

    assert line_of(billing, DECEMBER).amount == D("60.00")  # 480 over 8 months
    assert line_of(billing, DECEMBER).sequence_type == "FRST"


def test_the_debits_after_the_first_are_recurring(school_year):
    billing = ready_family(school_year)
    exports.export_month(school_year, NOVEMBER)
    exports.export_month(school_year, DECEMBER)
    assert line_of(billing, NOVEMBER).sequence_type == "FRST"
    assert line_of(billing, DECEMBER).sequence_type == "RCUR"
    assert line_of(billing, DECEMBER).instalment_number == 2


# --- The amount due changes mid-year ------------------------------------------------------------


def change_final_amount(billing, amount):
    billing.final_amount = billing.prenotified_total = amount
    billing.save()


def test_a_final_amount_changed_mid_year_changes_only_the_future_debits(school_year):
    billing = ready_family(school_year, final=D("480.00"))
    for month in MONTHS[:2]:
        exports.export_month(school_year, month)
    change_final_amount(billing, D("600.00"))
    for month in MONTHS[2:]:
        exports.export_month(school_year, month)

    amounts = [line_of(billing, month).amount for month in MONTHS]
    assert amounts[:2] == [D("53.36"), D("53.33")]  # what left is not touched
    assert amounts[2] == D("70.49")  # (600 − 106.69) over 7, the remainder cents first
    assert set(amounts[3:]) == {D("70.47")}
    assert sum(amounts) == D("600.00")
    balance = ledger.balance_of(billing)
    assert (balance.scheduled, balance.remaining) == (D("600.00"), D("0.00"))


def test_a_lowered_amount_stops_the_debits_and_shows_what_to_refund(school_year):
    billing = ready_family(school_year, final=D("90.00"))
    for month in MONTHS[:3]:
        exports.export_month(school_year, month)
    change_final_amount(billing, D("20.00"))
    assert exports.monthly_debits(school_year, MONTHS[3]) == []  # 30 debited for 20 due
    balance = ledger.balance_of(billing)
    assert balance.to_refund == D("10.00")


# --- Rejections -----------------------------------------------------------------------------------


def test_a_rejected_debit_presented_again_adds_to_next_months_debit(school_year):
    billing = ready_family(school_year)
    november = exports.export_month(school_year, NOVEMBER).lines.get()
    reject(november, "AM04", RejectionResolution.REPRESENT)

    exports.export_month(school_year, DECEMBER)

    december = line_of(billing, DECEMBER)
    assert december.amount == D("106.69")  # 53.33 + the 53.36 rejected
    assert december.represented_amount == D("53.36")
    assert december.sequence_type == "RCUR"
    november.refresh_from_db()
    assert november.status == DebitStatus.REJECTED and november.rejection_reason == "AM04"
    assert november.represented_by == december
    balance = ledger.balance_of(billing)
    assert (balance.scheduled, balance.rejected, balance.remaining) == (
        D("106.69"),
        D("0.00"),
        D("373.31"),
    )


def test_a_rejected_debit_moved_to_a_single_payment_is_invoiced(school_year):
    billing = ready_family(school_year)
    november = exports.export_month(school_year, NOVEMBER).lines.get()
    reject(november, "MS02", RejectionResolution.SINGLE_PAYMENT)

    exports.export_month(school_year, DECEMBER)

    assert line_of(billing, DECEMBER).amount == D("53.33")  # the plan goes on without it
    balance = ledger.balance_of(billing)
    assert balance.single_payment == D("53.36")
    (invoice,) = exports.invoices(school_year)
    assert (invoice.billing, invoice.amount) == (billing, D("53.36"))
    assert invoice.issued_on == datetime.date(2025, 11, 4)


def test_the_follow_up_can_change_until_the_amount_is_presented_again(school_year):
    billing = ready_family(school_year)
    november = reject(exports.export_month(school_year, NOVEMBER).lines.get())
    collections.set_resolution(november, RejectionResolution.SINGLE_PAYMENT, by=None)
    collections.set_resolution(november, RejectionResolution.REPRESENT, by=None)
    exports.export_month(school_year, DECEMBER)
    with pytest.raises(collections.AlreadyRepresented):
        collections.set_resolution(november, RejectionResolution.SINGLE_PAYMENT, by=None)
    with pytest.raises(collections.AlreadyRejected):
        reject(november)
    assert line_of(billing, DECEMBER).represented_amount == D("53.36")


def test_the_last_debit_of_the_year_cannot_be_presented_again(school_year):
    billing = ready_family(school_year)
    for month in MONTHS:
        exports.export_month(school_year, month)
    july = line_of(billing, MONTHS[-1])
    with pytest.raises(collections.CannotRepresent):
        reject(july, resolution=RejectionResolution.REPRESENT)
    reject(july, resolution=RejectionResolution.SINGLE_PAYMENT)
    assert ledger.balance_of(billing).single_payment == july.amount


def test_a_rejected_debit_shows_in_the_balance_until_the_next_batch(school_year):
    billing = ready_family(school_year)
    reject(exports.export_month(school_year, NOVEMBER).lines.get())
    balance = ledger.balance_of(billing)
    assert (balance.rejected, balance.to_represent, balance.remaining) == (
        D("53.36"),
        D("53.36"),
        D("426.64"),
    )
    total = (
        balance.collected
        + balance.scheduled
        + balance.rejected
        + balance.single_payment
        + balance.remaining
    )
    assert total == D("480.00")


# --- Collected ---------------------------------------------------------------------------------


def test_a_batch_is_marked_collected_from_its_collection_date(school_year, staff_user):
    first = ready_family(school_year, "Martin")
    second = ready_family(school_year, "Bernard")
    batch = exports.export_month(school_year, NOVEMBER, datetime.date(2025, 11, 5))
    reject(line_of(second, NOVEMBER))

    with pytest.raises(collections.TooEarly):
        collections.mark_collected(batch, by=staff_user, today=datetime.date(2025, 11, 4))
    assert collections.mark_collected(batch, by=staff_user, today=datetime.date(2025, 11, 5)) == 1

    assert line_of(first, NOVEMBER).status == DebitStatus.COLLECTED
    assert line_of(second, NOVEMBER).status == DebitStatus.REJECTED
    batch.refresh_from_db()
    assert batch.collected_by == staff_user and batch.collected_at is not None
    assert ledger.balance_of(first).collected == D("53.36")


def test_a_collected_debit_can_still_come_back(school_year):
    billing = ready_family(school_year)
    batch = exports.export_month(school_year, NOVEMBER)
    collections.mark_collected(batch, by=None)
    reject(line_of(billing, NOVEMBER), "MD06", RejectionResolution.SINGLE_PAYMENT)
    balance = ledger.balance_of(billing)
    assert (balance.collected, balance.single_payment) == (D("0.00"), D("53.36"))


# --- Mandates: a new account, an amendment -----------------------------------------------------


def test_a_new_mandate_starts_with_a_first_debit(school_year):
    billing = ready_family(school_year)
    exports.export_month(school_year, NOVEMBER)
    MandateFactory(family=billing.family, iban=OTHER_BANK_IBAN, bic="")
    exports.export_month(school_year, DECEMBER)
    december = line_of(billing, DECEMBER)
    assert (december.sequence_type, december.original_rum) == ("FRST", "")
    transaction_node = transaction_of(xml_of(december.batch), december.rum)
    assert transaction_node.find(".//p:AmdmntInd", NS) is None


def test_an_amendment_to_another_bank_is_a_first_debit_that_says_so(school_year):
    billing = ready_family(school_year)
    exports.export_month(school_year, NOVEMBER)
    original = billing.family.mandates.get()
    amended = amend_mandate(original, iban=OTHER_BANK_IBAN, bic="PSSTFRPPLYO")

    exports.export_month(school_year, DECEMBER)
    exports.export_month(school_year, JANUARY)

    december = line_of(billing, DECEMBER)
    assert (december.mandate, december.sequence_type) == (amended, "FRST")
    assert (december.original_rum, december.original_iban) == (original.rum, original.iban)
    node = transaction_of(xml_of(december.batch), amended.rum)
    mandate_info = node.find("p:DrctDbtTx/p:MndtRltdInf", NS)
    assert [child.tag.split("}")[1] for child in mandate_info] == [
        "MndtId",
        "DtOfSgntr",
        "AmdmntInd",
        "AmdmntInfDtls",
    ]
    assert mandate_info.findtext("p:AmdmntInd", namespaces=NS) == "true"
    details = mandate_info.find("p:AmdmntInfDtls", NS)
    assert details.findtext("p:OrgnlMndtId", namespaces=NS) == original.rum
    assert details.findtext("p:OrgnlDbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "SMNDA"
    assert details.find("p:OrgnlDbtrAcct", NS) is None
    assert mandate_info.findtext("p:DtOfSgntr", namespaces=NS) == str(original.signed_on)
    (block,) = xml_of(december.batch).iterfind(".//p:PmtInf", NS)
    assert block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS) == "FRST"
    january = line_of(billing, JANUARY)  # the amendment is told once
    assert (january.sequence_type, january.original_rum) == ("RCUR", "")
    assert transaction_of(xml_of(january.batch), amended.rum).find(".//p:AmdmntInd", NS) is None


def test_an_amendment_within_the_same_bank_carries_the_original_account(school_year):
    billing = ready_family(school_year)
    exports.export_month(school_year, NOVEMBER)
    original = billing.family.mandates.get()
    amended = amend_mandate(original, iban=SAME_BANK_IBAN)

    exports.export_month(school_year, DECEMBER)

    december = line_of(billing, DECEMBER)
    assert (december.mandate, december.sequence_type) == (amended, "RCUR")
    details = transaction_of(xml_of(december.batch), amended.rum).find(".//p:AmdmntInfDtls", NS)
    assert details.findtext("p:OrgnlMndtId", namespaces=NS) == original.rum
    assert details.findtext("p:OrgnlDbtrAcct/p:Id/p:IBAN", namespaces=NS) == original.iban
    assert details.find("p:OrgnlDbtrAgt", NS) is None


# --- Pre-notification from the ledger -----------------------------------------------------------


def test_the_debits_to_come_follow_the_ledger(school_year):
    billing = ready_family(school_year, final=D("480.00"))
    for month in MONTHS[:2]:
        exports.export_month(school_year, month)
    change_final_amount(billing, D("600.00"))
    upcoming = ledger.upcoming_debits(billing, today=datetime.date(2025, 12, 10))
    assert [i.due_on for i in upcoming] == MONTHS[2:]
    assert upcoming[0].amount == D("70.49")
    assert sum(i.amount for i in upcoming) == D("600.00") - D("106.69")


def test_a_once_payer_is_invoiced_what_is_left(school_year):
    billing = FamilyBillingFactory(
        school_year=school_year,
        payment_mode=PaymentMode.ONCE,
        final_amount=D("300"),
        final_reason="QF",
    )
    (invoice,) = exports.invoices(school_year)
    assert invoice.amount == D("300.00")
    assert invoice.issued_on == datetime.date(2025, 10, 25)
    assert invoice.billing == billing


def test_the_export_date_is_recorded(school_year):
    ready_family(school_year)
    before = timezone.now()
    batch = exports.export_month(school_year, NOVEMBER)
    assert before <= batch.created_at <= timezone.now()


def test_an_amount_raised_after_the_last_batch_is_invoiced(school_year, staff_user):
    billing = ready_family(school_year, final=D("90.00"))
    for month in MONTHS:
        exports.export_month(school_year, month)
    billing.final_amount, billing.final_set_at = (
        D("100.00"),
        timezone.make_aware(datetime.datetime(2026, 7, 20, 10, 0)),
    )
    billing.save()

    assert ledger.balance_of(billing).remaining == D("10.00")
    (invoice,) = exports.invoices(school_year)
    assert (invoice.amount, invoice.issued_on) == (D("10.00"), datetime.date(2026, 7, 20))


def test_the_family_sees_the_debits_the_ledger_made_and_the_plan_of_what_is_left(school_year):
    from billing.services import final_estimate

    billing = ready_family(school_year, final=D("480.00"))
    for month in MONTHS[:2]:
        exports.export_month(school_year, month)
    change_final_amount(billing, D("600.00"))

    shown = final_estimate(billing.family, school_year)

    assert shown.total == D("600.00")
    assert [(i.due_on, i.amount) for i in shown.schedule[:3]] == [
        (MONTHS[0], D("53.36")),
        (MONTHS[1], D("53.33")),
        (MONTHS[2], D("70.49")),
    ]
    assert [i.due_on for i in shown.schedule] == MONTHS
    assert sum(i.amount for i in shown.schedule) == D("600.00")
