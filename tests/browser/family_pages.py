"""Every family-facing page of the portal, each reachable by name in a given state.

``FAMILY_PAGES`` names them; ``open_family_page(name, page, url)`` brings the browser
there (logging in, preparing the wizard draft through Django's test client, closing
the campaign…) and returns once the page is shown. The accessibility and small-screen
tests run over this list, so a new family page is added here once.
"""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Student, User
from documents import services as documents
from documents.models import Document, DocumentType
from reinscription.demo import STAFF_IDENTIFIER, demo_password, seed_demo
from reinscription.models import Campaign, Reenrolment
from tests.reinscription.conftest import WizardDriver

FAMILY = "martin-claire"  # Léa (cursus musique), Hugo (éveil), Emma (découverte)
STUDENT = "Léa"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STEPS = ["choix", "coordonnees", "reglement", "autorisations", "documents", "cours"]
ANSWERS = {
    "choix": {"decision": "reenrol"},
    "reglement": {"payment_mode": "once"},
    "autorisations": {"image_rights": "yes", "outing_authorisation": "no"},
    "documents": {},
    "cours": {"day_fm1c2": "saturday", "ensemble": "orchestre"},
}


@pytest.fixture
def demo(live_app):
    """The demo conservatoire (families, open campaign, staff) behind the live server."""
    seed_demo()


def log_in(page, url: str, identifier: str = FAMILY, password: str | None = None) -> None:
    page.goto(f"{url}/compte/connexion/")
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password or demo_password(identifier))
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def student() -> Student:
    return Student.objects.get(first_name=STUDENT, family__legacy_id="DEMO-martin")


def driver() -> WizardDriver:
    client = Client()
    client.force_login(
        User.objects.get(username=FAMILY), backend="accounts.backends.IdentifierBackend"
    )
    return WizardDriver(client, student())


def complete_steps_before(step: str) -> None:
    """Post, as the family, every wizard step before ``step`` (the draft is in the database)."""
    wizard = driver()
    for name in STEPS[: STEPS.index(step) if step in STEPS else len(STEPS)]:
        data = wizard.details() if name == "coordonnees" else ANSWERS[name]
        response = wizard.post(name, data)
        assert response.status_code == 302, f"step {name} did not validate"


def validate_reenrolment() -> None:
    complete_steps_before("recapitulatif")
    wizard = driver()
    total = wizard.recap_total()
    response = wizard.post(
        "recapitulatif", {"accept_rules": "on", "shown_total": "" if total is None else total}
    )
    assert response.status_code == 302


def step_url(url: str, step: str) -> str:
    path = reverse("reinscription:wizard_step", kwargs={"student_id": student().pk, "step": step})
    return f"{url}{path}"


def next_step(page) -> None:
    page.get_by_role("button", name="Passer à l’étape suivante").click()


def _wizard_step(step: str, errors: bool = False):
    def open_step(page, url):
        complete_steps_before(step)
        log_in(page, url)
        page.goto(step_url(url, step))
        number = STEPS.index(step) + 1 if step in STEPS else 7
        expect(page.get_by_text(f"Étape {number} sur 7")).to_be_visible()
        if errors:
            if step == "recapitulatif":
                page.get_by_role("button", name="Valider la réinscription").click()
            else:
                next_step(page)
            expect(page.get_by_text("Merci de corriger les points suivants")).to_be_visible()

    return open_step


def _home(page, url):
    page.goto(f"{url}/")


def _login(page, url):
    page.goto(f"{url}/compte/connexion/")


def _login_error(page, url):
    log_in(page, url, password="pas-le-bon-mot-de-passe")
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()


def _lost_password(page, url):
    _login(page, url)
    page.get_by_role("link", name="Mot de passe perdu").click()
    expect(page.get_by_role("heading", name="Mot de passe perdu")).to_be_visible()


def _lost_password_error(page, url):
    _lost_password(page, url)
    page.get_by_label("Identifiant").fill("bernard-sarah")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Veuillez vérifier les renseignements saisis")).to_be_visible()


def _lost_password_sent(page, url):
    _lost_password(page, url)
    page.get_by_label("Identifiant").fill("bernard-sarah")
    page.get_by_label("E-mail").fill("sarah.bernard@example.org")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("un mot de passe vient d’être envoyé par e-mail")).to_be_visible()
    expect(page.get_by_label("Identifiant")).to_have_value("bernard-sarah")  # kept


def _choose_password(page, url, errors=False):
    User.objects.filter(username="bernard-sarah").update(must_change_password=True)
    log_in(page, url, "bernard-sarah")
    expect(page.get_by_role("heading", name="Choisissez votre mot de passe")).to_be_visible()
    if errors:
        page.locator("#id_new_password1").fill("trop-court")
        page.locator("#id_new_password2").fill("trop-court")
        page.get_by_role("button", name="Enregistrer mon mot de passe").click()
        expect(page.get_by_text("Ce mot de passe est trop court.")).to_be_visible()


def _family_space(page, url):
    log_in(page, url)
    expect(page.get_by_role("heading", name=re.compile("Espace famille"))).to_be_visible()


def _family_space_every_status(page, url):
    """Léa re-enrolled, Hugo in progress, Emma to do: every badge at once."""
    validate_reenrolment()
    hugo = Student.objects.get(first_name="Hugo")
    wizard = driver()
    wizard.student = hugo
    wizard.post("choix", {"decision": "reenrol"})
    _family_space(page, url)


def _family_space_after_review(page, url):
    """Léa validated by the conservatoire, Emma not re-enrolled, Hugo in progress."""
    validate_reenrolment()
    Reenrolment.objects.filter(student=student()).update(status=Reenrolment.Status.VALIDATED)
    wizard = driver()
    wizard.student = Student.objects.get(first_name="Emma", family__legacy_id="DEMO-martin")
    wizard.post("choix", {"decision": "decline"})
    wizard.post("recapitulatif", {"accept_rules": "on"})
    wizard.student = Student.objects.get(first_name="Hugo", family__legacy_id="DEMO-martin")
    wizard.post("choix", {"decision": "reenrol"})
    _family_space(page, url)
    expect(page.get_by_text("Réinscription validée par le conservatoire")).to_be_visible()
    expect(page.get_by_text("Pas de réinscription", exact=True)).to_be_visible()


def _documents_reviewed(page, url):
    """One document accepted, one refused with its reason, one waiting, the rest missing."""
    complete_steps_before("documents")
    wizard = driver()
    wizard.post("documents", {})
    family = student().family
    claire = User.objects.get(username=FAMILY)
    staff = User.objects.get(username=STAFF_IDENTIFIER)
    for code in ("attestation-qf", "justificatif-domicile"):
        upload = SimpleUploadedFile(f"{code}.pdf", PDF, content_type="application/pdf")
        documents.save_upload(DocumentType.objects.get(code=code), family, None, upload, claire)
    documents.accept(Document.objects.get(type__code="attestation-qf"), staff)
    documents.refuse(Document.objects.get(type__code="justificatif-domicile"), "Illisible.", staff)
    log_in(page, url)
    page.goto(f"{url}/documents/")
    expect(page.get_by_text("Motif : Illisible.")).to_be_visible()


def _detail(page, url):
    validate_reenrolment()
    log_in(page, url)
    path = reverse("reinscription:reenrolment_detail", kwargs={"student_id": student().pk})
    page.goto(f"{url}{path}")


def _decline_confirmation(page, url):
    """Léa declined, with a reason: the short path's confirmation (step 2 of 2)."""
    driver().post("choix", {"decision": "decline", "decline_reason": "Déménagement à Lyon"})
    log_in(page, url)
    page.goto(step_url(url, "recapitulatif"))
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
    expect(page.get_by_role("button", name="Confirmer la non-réinscription")).to_be_visible()


def _step_from_recap(page, url):
    """Step 3 opened from the recap's "Modifier": saving leads back to the recap."""
    complete_steps_before("recapitulatif")
    log_in(page, url)
    page.goto(step_url(url, "recapitulatif"))
    page.get_by_role("link", name="Modifier le mode de règlement").click()
    save = page.get_by_role("button", name="Enregistrer et revenir au récapitulatif")
    expect(save).to_be_visible()


def _modify_after_validation(page, url):
    """Léa re-enrolled; "Modifier" in the family space says what becomes of that version."""
    validate_reenrolment()
    log_in(page, url)
    page.get_by_role("link", name="Modifier — Léa Martin").click()
    expect(page.get_by_text("sera remplacée par la nouvelle version")).to_be_visible()


def _documents(page, url):
    complete_steps_before("documents")  # pieces are requested once the payment step is known
    log_in(page, url)
    page.goto(f"{url}/documents/")


NOT_A_PDF = b"Ceci n'est pas un PDF.\n" * 20


def choose_files(page, row_text: str, files: list[tuple[str, bytes]]) -> None:
    """Choose ``files`` (name, content) in the file input of the table's row ``row_text``."""
    row = page.locator("tr", has_text=row_text).first
    row.locator("input[type=file]").set_input_files(
        [{"name": name, "mimeType": "application/pdf", "buffer": data} for name, data in files]
    )


def _step_documents_refused(page, url):
    """Step 5 sent with a good file and a refused one: the refusal by its row."""
    _wizard_step("documents")(page, url)
    choose_files(page, "Justificatif de domicile", [("facture.pdf", PDF), ("scan.pdf", NOT_A_PDF)])
    next_step(page)
    expect(page.get_by_text("Le fichier « scan.pdf » n’a pas été envoyé").first).to_be_visible()


def _documents_refused(page, url):
    """ "Mes documents" sent with files on two rows, one refused: the refusal by its row."""
    _documents(page, url)
    choose_files(page, "Justificatif de domicile", [("facture.pdf", PDF)])
    choose_files(page, "quotient familial", [("scan.pdf", NOT_A_PDF)])
    page.get_by_role("button", name="Envoyer les fichiers choisis").click()
    expect(page.get_by_text("Le fichier « scan.pdf » n’a pas été envoyé").first).to_be_visible()


def _account(page, url):
    log_in(page, url)
    page.goto(f"{url}/compte/")


def _password_change(page, url):
    log_in(page, url)
    page.goto(f"{url}/compte/mot-de-passe/")


def _simulator(page, url):
    page.goto(f"{url}/tarifs/simulateur/")


def _simulator_result(page, url):
    _simulator(page, url)
    page.locator("#id_qf").fill("850")
    page.locator("#id_resident").check()
    page.locator("#id_formula").select_option(
        label="Cursus musique (instrument, formation musicale, pratique collective)"
    )
    page.locator("input[name=payment_mode][value=monthly]").check()
    page.get_by_role("button", name="Calculer").click()
    expect(page.locator(".estimate-total").first).to_be_visible()


def _simulator_error(page, url):
    _simulator(page, url)
    page.locator("#id_qf").fill("-3")
    page.get_by_role("button", name="Calculer").click()
    expect(page.get_by_text("Choisissez une formule.").first).to_be_visible()


def _accessibility(page, url):
    page.goto(f"{url}/")
    page.get_by_role("contentinfo").get_by_role(
        "link", name="Accessibilité : partiellement conforme"
    ).click()
    expect(page).to_have_url(f"{url}/accessibilite/")
    heading = page.get_by_role("heading", name="Déclaration d’accessibilité", exact=True)
    expect(heading).to_be_visible()


def _not_found(page, url):
    page.goto(f"{url}/page-qui-n-existe-pas/")


def _closed(page, url):
    Campaign.objects.update(closes_at=timezone.now() - datetime.timedelta(days=1))
    log_in(page, url)
    page.goto(step_url(url, "choix"))
    closed = page.get_by_role("heading", name="La campagne de réinscription est close")
    expect(closed).to_be_visible()


PAGES = {
    "home": _home,
    "login": _login,
    "login-error": _login_error,
    "lost-password": _lost_password,
    "lost-password-error": _lost_password_error,
    "lost-password-sent": _lost_password_sent,
    "choose-password": _choose_password,
    "choose-password-error": lambda page, url: _choose_password(page, url, errors=True),
    "family-space": _family_space,
    "family-space-every-status": _family_space_every_status,
    "family-space-after-review": _family_space_after_review,
    **{f"step-{step}": _wizard_step(step) for step in [*STEPS, "recapitulatif"]},
    "step-choix-error": _wizard_step("choix", errors=True),
    "step-coordonnees-error": _wizard_step("coordonnees", errors=True),
    "step-recapitulatif-error": _wizard_step("recapitulatif", errors=True),
    "step-reglement-from-recap": _step_from_recap,
    "decline-confirmation": _decline_confirmation,
    "modify-after-validation": _modify_after_validation,
    "reenrolment-detail": _detail,
    "documents": _documents,
    "documents-refused": _documents_refused,
    "step-documents-refused": _step_documents_refused,
    "documents-reviewed": _documents_reviewed,
    "account": _account,
    "password-change": _password_change,
    "simulator": _simulator,
    "simulator-result": _simulator_result,
    "simulator-error": _simulator_error,
    "accessibility-statement": _accessibility,
    "not-found": _not_found,
    "campaign-closed": _closed,
}
FAMILY_PAGES = list(PAGES)


def open_family_page(name: str, page, url: str) -> None:
    PAGES[name](page, url)
    page.wait_for_load_state()
