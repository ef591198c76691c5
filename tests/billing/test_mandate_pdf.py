""" "Télécharger le mandat SEPA": the family's prefilled mandate PDF."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing import services
from billing.conf import creditor
from billing.models import Mandate
from tests.factories import FamilyFactory, ResponsibleFactory

from .factories import VALID_IBAN

pytestmark = pytest.mark.django_db
URL = "/tarifs/mandat-sepa.pdf"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def martin(db):
    family = FamilyFactory(
        name="Martin", address="12 chemin de la Sablière", postal_code="69760", city="Limonest"
    )
    return ResponsibleFactory(family=family, first_name="Claire", last_name="Martin")


def download(client, user):
    client.force_login(user)
    return client.get(URL)


def test_the_mandate_pdf_carries_the_rum_the_ics_and_the_iban(client, martin):
    mandate = services.record_mandate(
        martin.family, iban=VALID_IBAN, bic="AGRIFRPPXXX", holder="Claire Martin"
    )
    assert reverse("billing:mandate_pdf") == URL
    response = download(client, martin)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="mandat-sepa-{mandate.rum}.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "Mandat de prélèvement SEPA" in text
    assert mandate.rum in text
    assert creditor().ics in text
    assert VALID_IBAN in compact(text)
    assert "AGRIFRPPXXX" in compact(text)
    assert "Claire Martin" in text
    assert "12 chemin de la Sablière" in text and "69760 Limonest" in text
    assert "Paiement récurrent" in text
    lowered = text.lower()  # the labels are uppercased by the stylesheet
    assert "signature du titulaire du compte" in lowered and "fait à" in lowered
    assert "Conservatoire municipal de Limonest" in text


def test_without_a_mandate_the_pdf_is_prefilled_with_a_reserved_rum_and_a_blank_iban(
    client, martin
):
    response = download(client, martin)
    assert response.status_code == 200
    mandate = Mandate.objects.get(family=martin.family)
    assert mandate.iban == ""
    text = pdf_text(response.content)
    assert mandate.rum in text and creditor().ics in text
    assert "Claire Martin" in text
    again = download(client, martin)
    assert mandate.rum in pdf_text(again.content)
    assert Mandate.objects.filter(family=martin.family).count() == 1


def test_a_family_only_gets_its_own_mandate(client, martin):
    other = ResponsibleFactory()
    theirs = services.record_mandate(other.family, iban=VALID_IBAN, holder="Autre")
    text = pdf_text(download(client, martin).content)
    assert theirs.rum not in text
    assert VALID_IBAN not in compact(text)


def test_anonymous_users_are_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_without_family_get_404(client, staff_user):
    client.force_login(staff_user)
    assert client.get(URL).status_code == 404


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")
def test_the_mandate_renders_to_an_image_on_one_page(client, martin, tmp_path, settings):
    services.record_mandate(
        martin.family, iban=VALID_IBAN, bic="AGRIFRPPXXX", holder="Claire Martin"
    )
    content = download(client, martin).content
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    pdf = tmp_path / "mandat.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "mandat")],
        check=True,
        timeout=60,
    )
    images = sorted(tmp_path.glob("mandat*.png"))
    assert len(images) == 1
    assert images[0].stat().st_size > 10_000  # a drawn form, not a blank page
    # keep a copy to look at: .venv/bin/python -m pytest tests/billing -k image --basetemp=/tmp/b
    artifacts = Path(settings.BASE_DIR, "artifacts")
    if artifacts.is_dir():  # CI keeps it for a human look
        shutil.copy(images[0], artifacts / "mandat-sepa.png")
