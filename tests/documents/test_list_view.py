""" "Mes documents": the family's table, to upload later."""

import pytest
from django.urls import reverse

from tests.factories import StudentFactory

from .factories import DocumentFactory, DocumentFileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def url():
    return reverse("documents:list")


def test_family_sees_its_requested_documents_in_french(family_client, url, family_type, family):
    document = DocumentFactory(
        type=family_type,
        family=family,
        status="refused",
        refusal_reason="Ce n'est pas l'attestation 2025",
    )
    DocumentFileFactory(document=document, original_name="qf-2024.pdf")
    response = family_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Mes documents" in html
    assert "Merci de nous fournir les pièces demandées vous concernant." in html
    assert "<caption" in html and "Pièces demandées" in html
    assert '<th scope="col">Statut</th>' in html
    assert '<th scope="row">' in html
    assert "Attestation QF 2025" in html
    assert "Refusé" in html
    assert "Motif : Ce n&#x27;est pas l&#x27;attestation 2025" in html
    assert "qf-2024.pdf" in html
    assert reverse("documents:download", args=[document.files.get().pk]) in html
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in html
    assert "multiple" in html
    assert "csrfmiddlewaretoken" in html
    assert "Remplacer par de nouveaux fichiers" in html
    assert "PDF, JPEG ou PNG, 10 Mo maximum par fichier" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_missing_document_status_and_label(family_client, url, family_type):
    html = family_client.get(url).content.decode()
    assert "Manquant" in html
    assert "Choisir un ou plusieurs fichiers" in html
    assert "Aucun fichier pour l’instant" in html


def test_student_documents_name_the_student(family_client, url, student_type, family):
    lea = StudentFactory(family=family, first_name="Léa", last_name="Martin")
    html = family_client.get(url).content.decode()
    assert "pour Léa Martin" in html
    assert f'name="files_{student_type.pk}-{lea.pk}"' in html


def test_a_family_does_not_see_another_familys_documents(
    family_client, url, family_type, other_responsible
):
    theirs = DocumentFileFactory(
        document=DocumentFactory(type=family_type, family=other_responsible.family),
        original_name="secret-des-voisins.pdf",
    )
    html = family_client.get(url).content.decode()
    assert "secret-des-voisins.pdf" not in html
    assert reverse("documents:download", args=[theirs.pk]) not in html


def test_accepted_document_has_no_upload_form(family_client, url, family_type, family):
    DocumentFileFactory(
        document=DocumentFactory(type=family_type, family=family, status="accepted")
    )
    html = family_client.get(url).content.decode()
    assert "Accepté" in html
    assert "Plus rien à envoyer." in html
    assert 'type="file"' not in html


def test_nothing_requested(family_client, url, school_year):
    html = family_client.get(url).content.decode()
    assert "Aucun document ne vous est demandé pour le moment." in html


def test_sepa_mandate_row_links_to_the_mandate_when_the_view_exists(
    family_client, url, school_year
):
    from django.urls import NoReverseMatch

    from .factories import DocumentTypeFactory

    DocumentTypeFactory(school_year=school_year, code="mandat-sepa", name="Mandat SEPA signé")
    html = family_client.get(url).content.decode()
    try:
        mandate_url = reverse("billing:mandate_pdf")
    except NoReverseMatch:
        assert "Télécharger le mandat SEPA" not in html
    else:
        assert "Télécharger le mandat SEPA" in html
        assert mandate_url in html


def test_anonymous_goes_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_without_family_gets_404(staff_client, url):
    assert staff_client.get(url).status_code == 404
