"""Staff exports: debits (CSV, SEPA pain.008.001.08), one-off invoices (CSV), grid (CSV)."""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sepaxml
import xmlschema
from django.utils import timezone

from billing.backoffice import exports
from billing.conf import creditor
from billing.models import CollectionBatch, PaymentMode
from billing.rules.sepa import payfip_reference
from conservatoire.spreadsheets import escape_cell
from tests.factories import FamilyFactory, ResponsibleFactory

from .factories import FamilyBillingFactory, ready_family

pytestmark = pytest.mark.django_db
D = Decimal
NOVEMBER = datetime.date(2025, 11, 1)
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("\tcmd", "'\tcmd"),
        ("Martin", "Martin"),
        ("Jean-Marc", "Jean-Marc"),
        (D("1234.5"), "1234,50"),
        (datetime.date(2025, 11, 1), "01/11/2025"),
        (None, ""),
    ],
)
def test_escape_cell(value, cell):
    assert escape_cell(value) == cell


def test_the_debits_of_a_month_say_what_blocks_each(school_year):
    ready = ready_family(school_year, "Martin")
    unsigned = ready_family(school_year, "Bernard", signed_on=None)
    no_mandate = FamilyBillingFactory(
        school_year=school_year, final_amount=D("300"), final_reason="x", family__name="Petit"
    )
    estimate_only = FamilyBillingFactory(school_year=school_year, family__name="Leroy")
    late = ready_family(school_year, "Moreau")
    late.prenotified_at = timezone.make_aware(datetime.datetime(2025, 10, 25))
    late.save()
    FamilyBillingFactory(school_year=school_year, payment_mode=PaymentMode.ONCE)

    debits = {d.billing.family.name: d for d in exports.monthly_debits(school_year, NOVEMBER)}
    assert set(debits) == {"Martin", "Bernard", "Petit", "Leroy", "Moreau"}
    assert debits["Martin"].problems == []
    assert debits["Martin"].amount == D("53.36") and debits["Martin"].number == 1
    assert debits["Bernard"].problems == ["mandat non signé"]
    assert "pas de mandat" in debits["Petit"].problems
    assert "montant non définitif" in debits["Leroy"].problems
    assert debits["Moreau"].problems == ["pas de pré-notification 14 jours avant"]
    assert {ready, unsigned, no_mandate, estimate_only, late} == {
        d.billing for d in debits.values()
    }


def test_a_late_start_has_no_debit_before_its_first_month(school_year):
    billing = ready_family(school_year)
    billing.starts_on = datetime.date(2026, 2, 10)
    billing.save()
    assert exports.monthly_debits(school_year, NOVEMBER) == []
    (february,) = exports.monthly_debits(school_year, datetime.date(2026, 2, 1))
    assert (february.number, february.count) == (1, 6)


def test_the_debits_csv_is_french_and_escaped(school_year):
    ready_family(school_year, "=cmd|' /C calc'!A0", holder="@Titulaire")
    ready_family(school_year, "Blocked", signed_on=None)  # not in the batch
    content = bytes(exports.export_month(school_year, NOVEMBER).csv_file)
    header, line = rows(content)
    assert header == [
        "Famille",
        "RUM",
        "Mandat signé le",
        "Titulaire du compte",
        "IBAN",
        "BIC",
        "Date de prélèvement",
        "Prélèvement n°",
        "Séquence",
        "Montant",
        "Dont impayé représenté",
        "Référence de bout en bout",
    ]
    assert line[0] == "'=cmd|' /C calc'!A0"
    assert line[3] == "'@Titulaire"
    assert line[4] == "FR7630006000011234567890189"  # staff export: the full IBAN
    assert line[6:11] == ["01/11/2025", "1/9", "FRST", "53,36", "0,00"]


def test_the_sepa_file_validates_against_the_pain_008_001_08_schema(school_year):
    ready_family(school_year, "Martin")
    ready_family(school_year, "Bernard", bic="")  # no BIC: NOTPROVIDED
    ready_family(school_year, "Éloïse-Dupré", iban="DE89370400440532013000", bic="COBADEFFXXX")
    ready_family(school_year, "Blocked", signed_on=None)
    collection = datetime.date(2025, 11, 5)
    batch = exports.export_month(school_year, NOVEMBER, collection)
    xml = bytes(batch.sepa_file)

    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(xml.decode())  # raises on any error

    root = ElementTree.fromstring(xml)  # noqa: S314 (our own output)
    assert root.tag == f"{{{NS['p']}}}Document"
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "160.08"
    dates = {e.text for e in root.iterfind(".//p:ReqdColltnDt", NS)}
    assert dates == {"2025-11-05"}  # one collection date per file
    assert root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS) == (
        creditor().ics
    )
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=NS) == (
        batch.message_id
    )
    rums = {e.text for e in root.iterfind(".//p:MndtId", NS)}
    assert len(rums) == 3
    names = {e.text for e in root.iterfind(".//p:Dbtr/p:Nm", NS)}
    assert "Claire Martin" in names


def test_nothing_to_export_is_an_error(school_year):
    ready_family(school_year, "Blocked", signed_on=None)
    with pytest.raises(exports.NothingToExport):
        exports.export_month(school_year, NOVEMBER)
    assert not CollectionBatch.objects.exists()


def test_the_invoices_of_one_off_payers_carry_their_payfip_reference(school_year):
    family = FamilyFactory(name="+Leroy", address="4 impasse des Vignes")
    ResponsibleFactory(family=family, first_name="Marc", last_name="Leroy", email="m@example.org")
    FamilyBillingFactory(
        family=family,
        school_year=school_year,
        payment_mode=PaymentMode.ONCE,
        estimated_total=D("420.00"),
        final_amount=D("400.00"),
        final_reason="QF",
    )
    late = FamilyBillingFactory(
        school_year=school_year,
        payment_mode=PaymentMode.ONCE,
        estimated_total=D("100.00"),
        starts_on=datetime.date(2026, 3, 2),
        family__name="Zola",
    )
    FamilyBillingFactory(school_year=school_year, payment_mode=PaymentMode.MONTHLY)
    header, first, second = rows(exports.invoices_csv(exports.invoices(school_year)))
    assert header[0] == "Référence PayFiP" and header[-2:] == ["Montant", "Montant définitif"]
    assert first[0] == payfip_reference(2025, family.pk)
    assert first[1] == "'+Leroy"
    assert first[2] == "Marc Leroy" and first[3] == "m@example.org"
    assert first[7:] == ["25/10/2025", "400,00", "oui"]
    assert second[0] == payfip_reference(2025, late.family_id)
    assert second[7:] == ["02/03/2026", "100,00", "non"]
