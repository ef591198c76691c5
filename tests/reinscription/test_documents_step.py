"""Step 5 is one form: the files chosen on its rows leave with « Passer à l’étape suivante »
(or « Étape précédente »), stored at once by ``documents``; none is ever dropped."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from documents.models import Document, DocumentFile, DocumentType
from documents.validators import MAX_FILE_SIZE
from reinscription.models import WizardDraft
from tests.documents.factories import MINIMAL_PDF
from tests.reinscription.conftest import WizardDriver, step_payload, step_url, student_named

pytestmark = pytest.mark.django_db

QF = "attestation-qf"
ADDRESS = "justificatif-domicile"


@pytest.fixture
def lea(demo, login):
    """Claire Martin at Léa's step 5: the QF certificate and the proof of address requested."""
    login("martin-claire")
    return student_named("Léa")


@pytest.fixture
def at_step_5(lea, client):
    driver = WizardDriver(client, lea)
    driver.post("choix", {"decision": "reenrol"})
    driver.post("coordonnees", driver.details())
    driver.post("reglement", {"payment_mode": "once", "wants_qf_tariff": "on"})
    driver.post("autorisations", {"image_rights": "yes", "outing_authorisation": "no"})
    return driver


def file_field(code: str) -> str:
    """The step's file field of a family document's row."""
    return f"documents-files_{DocumentType.objects.get(code=code).pk}-0"


def send(client, student, files: dict, **extra):
    """Post step 5 as the browser does: the management form, the chosen files, a button."""
    data = step_payload(student, "documents", {})
    data.update(
        {
            file_field(code): [SimpleUploadedFile(name, content) for name, content in chosen]
            for code, chosen in files.items()
        }
    )
    data.update(extra)
    return client.post(step_url(student, "documents"), data)


def row_html(html: str, code: str) -> str:
    key = file_field(code).removeprefix("documents-files_")
    start = html.index(f'id="document-{key}"')
    return html[start : html.index("</tr>", start)]


def test_the_step_is_one_multipart_form_without_row_buttons(at_step_5, client, lea):
    html = client.get(step_url(lea, "documents")).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert main.count("<form") == 1
    assert 'enctype="multipart/form-data"' in main
    assert f'name="{file_field(QF)}"' in main and f'name="{file_field(ADDRESS)}"' in main
    assert ">Envoyer<" not in main
    assert "Passer à l’étape suivante" in main
    assert "Les fichiers choisis sont envoyés quand vous quittez cette étape" in main


def test_a_file_chosen_is_stored_when_the_family_goes_to_the_next_step(at_step_5, client, lea):
    response = send(client, lea, {QF: [("attestation-caf.pdf", MINIMAL_PDF)]})
    assert response.status_code == 302
    assert response["Location"] == step_url(lea, "cours")
    stored = DocumentFile.objects.get()
    assert stored.original_name == "attestation-caf.pdf"
    assert stored.document.family == lea.family
    assert stored.document.status == Document.Status.RECEIVED
    assert stored.uploaded_by.username == "martin-claire"
    # No file lives in the wizard's draft: only the step's (empty) answer.
    draft = WizardDraft.objects.get(student=lea)
    assert not any(draft.data.get("step_files", {}).values())
    assert "documents" in draft.data["step_data"]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Merci : 1 fichier a été reçu pour « Attestation de quotient familial 2025 (CAF) »."
    ]


def test_a_refused_file_stops_the_step_names_it_and_keeps_the_other_file(at_step_5, client, lea):
    response = send(
        client,
        lea,
        {
            QF: [("scan.pdf", b"ceci n'est pas un PDF\n" * 20)],
            ADDRESS: [("facture-eau.pdf", MINIMAL_PDF)],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    message = (
        "Le fichier « scan.pdf » n’a pas été envoyé : ce n’est pas un fichier PDF, JPEG ou PNG"
    )
    assert message in row_html(html, QF)
    assert 'aria-invalid="true"' in row_html(html, QF)
    assert f'href="#id_{file_field(QF)}"' in html  # the summary links to the row's input
    # The file accepted beside it is stored, and listed in its row.
    assert [f.original_name for f in DocumentFile.objects.all()] == ["facture-eau.pdf"]
    assert "facture-eau.pdf" in row_html(html, ADDRESS)
    assert "Merci : 1 fichier a été reçu pour « Justificatif de domicile »." in html
    # The step is not passed; what was typed before is kept.
    assert "documents" not in WizardDraft.objects.get(student=lea).data["step_data"]
    assert client.get(step_url(lea, "cours"))["Location"] == step_url(lea, "documents")
    assert client.get(step_url(lea, "reglement")).context["form"]["payment_mode"].value() == "once"


def test_a_file_too_large_is_refused_by_name_in_the_wizard_too(at_step_5, client, lea):
    big = MINIMAL_PDF + b"0" * (MAX_FILE_SIZE + 1024)
    response = send(client, lea, {QF: [("enorme.pdf", big)]})
    assert response.status_code == 200
    assert (
        "Le fichier « enorme.pdf » n’a pas été envoyé : il pèse plus que les 10 Mo permis"
        in row_html(response.content.decode(), QF)
    )
    assert not DocumentFile.objects.exists()


def test_no_file_chosen_goes_on(at_step_5, client, lea):
    response = send(client, lea, {})
    assert response["Location"] == step_url(lea, "cours")
    assert not DocumentFile.objects.exists()


def test_files_chosen_then_previous_step_are_stored_too(at_step_5, client, lea):
    response = send(
        client, lea, {ADDRESS: [("facture.pdf", MINIMAL_PDF)]}, wizard_goto_step="autorisations"
    )
    assert response.status_code == 302
    assert response["Location"] == step_url(lea, "autorisations")
    assert [f.original_name for f in DocumentFile.objects.all()] == ["facture.pdf"]


def test_files_are_not_stored_for_a_step_not_reached_yet(lea, client):
    WizardDriver(client, lea).post("choix", {"decision": "reenrol"})
    response = send(client, lea, {QF: [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 400
    assert not DocumentFile.objects.exists()


def test_the_step_stays_csrf_protected(at_step_5, lea):
    from accounts.models import User

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(
        User.objects.get(username="martin-claire"), backend="accounts.backends.IdentifierBackend"
    )
    response = send(csrf_client, lea, {QF: [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 403
    assert not DocumentFile.objects.exists()


def test_the_recap_revalidates_step_5_without_files(at_step_5, client, lea):
    send(client, lea, {QF: [("attestation.pdf", MINIMAL_PDF)]})
    driver = WizardDriver(client, lea)
    assert (
        driver.post("cours", {"day_fm1c2": "saturday", "ensemble": "orchestre"}).status_code == 302
    )
    response = client.get(step_url(lea, "recapitulatif"))
    assert response.status_code == 200
    assert "attestation.pdf" not in str(WizardDraft.objects.get(student=lea).data)


def test_from_the_recap_a_file_chosen_is_stored_and_the_family_goes_back_to_it(
    at_step_5, client, lea
):
    send(client, lea, {})
    WizardDriver(client, lea).post("cours", {"day_fm1c2": "saturday", "ensemble": "orchestre"})
    data = step_payload(lea, "documents", {})
    data[file_field(ADDRESS)] = SimpleUploadedFile("facture.pdf", MINIMAL_PDF)
    response = client.post(step_url(lea, "documents") + "?retour=recapitulatif", data)
    assert response["Location"] == step_url(lea, "recapitulatif")
    assert [f.original_name for f in DocumentFile.objects.all()] == ["facture.pdf"]
