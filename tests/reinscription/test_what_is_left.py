"""What is left for a family (reinscription.todo.what_is_left), and everywhere it is said:
the family space, a re-enrolment's page after validation, the confirmation email and
the recap PDF."""

import datetime
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing.models import FamilyBilling, Mandate, PaymentMode
from documents import services as documents
from documents.models import DocumentType
from reinscription.models import Campaign, Reenrolment
from reinscription.recap import recap_pdf
from reinscription.todo import what_is_left
from tests.documents.factories import MINIMAL_PDF
from tests.factories import EnrolmentFactory, ResponsibleFactory, StudentFactory
from tests.reinscription.conftest import WizardDriver, student_named

pytestmark = pytest.mark.django_db

QF = "attestation-qf"
ADDRESS = "justificatif-domicile"
SEPA = "mandat-sepa"
RIB = "rib"
LEA_COURSES = {"day_fm1c2": "saturday", "ensemble": "orchestre"}


def martin():
    return student_named("Léa").family


def doc_type(code):
    return DocumentType.objects.get(code=code)


def send_file(family, code, name="piece.pdf"):
    upload = SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")
    return documents.save_upload(doc_type(code), family, None, upload, None)


def pays_monthly(family, campaign, *, bank_changed=False):
    FamilyBilling.objects.update_or_create(
        family=family,
        school_year=campaign.school_year,
        defaults={"payment_mode": PaymentMode.MONTHLY, "bank_changed": bank_changed},
    )


def row_url(code, student=None):
    key = f"{doc_type(code).pk}-{student.pk if student else 0}"
    return f"{reverse('documents:list')}#document-{key}"


# --- The function ----------------------------------------------------------------------------


def test_a_family_that_has_done_nothing_has_its_children_and_documents_left(demo):
    left = what_is_left(martin(), demo)
    assert left
    assert [child.name for child in left.children] == ["Emma Martin", "Hugo Martin", "Léa Martin"]
    assert all(not child.started for child in left.children)
    lea = student_named("Léa")
    assert left.children[2].url == reverse("reinscription:wizard", args=[lea.pk])
    assert [(d.name, d.student, d.refused) for d in left.documents] == [
        ("Attestation de quotient familial 2025 (CAF)", "", False),
        ("Justificatif de domicile", "", False),
    ]
    assert left.documents[0].url == row_url(QF)
    assert left.mandate is None  # pays once (no preference yet)
    assert left.closes_at == demo.closes_at
    assert left.deadline  # « 30 juin 2025 », as the family space says it


def test_documents_sent_are_no_longer_left_and_refused_ones_are_again(demo, staff_user):
    family = martin()
    send_file(family, QF)
    sent = send_file(family, ADDRESS)
    documents.refuse(sent.document, "Facture de plus de 3 mois.", staff_user)
    left = what_is_left(family, demo)
    assert [(d.name, d.refused, d.reason) for d in left.documents] == [
        ("Justificatif de domicile", True, "Facture de plus de 3 mois.")
    ]


def test_a_child_answered_is_no_longer_left_and_one_begun_is_started(demo, client, login):
    login("martin-claire")
    WizardDriver(client, student_named("Léa")).complete(courses=LEA_COURSES)
    WizardDriver(client, student_named("Hugo")).post("choix", {"decision": "reenrol"})
    children = what_is_left(martin(), demo).children
    assert [(child.name, child.started) for child in children] == [
        ("Emma Martin", False),
        ("Hugo Martin", True),
    ]


def test_a_declined_child_is_answered(demo, client, login):
    login("martin-claire")
    emma = student_named("Emma")
    driver = WizardDriver(client, emma)
    driver.post("choix", {"decision": "decline"})
    driver.post("recapitulatif", {"accept_rules": "on"})
    assert Reenrolment.objects.get(student=emma).status == Reenrolment.Status.DECLINED
    assert "Emma Martin" not in [child.name for child in what_is_left(martin(), demo).children]


def test_direct_debit_without_a_signed_mandate_leaves_the_mandate_to_sign(demo):
    family = martin()
    pays_monthly(family, demo)
    left = what_is_left(family, demo)
    assert left.mandate.download_url == reverse("billing:mandate_pdf")
    assert left.mandate.upload_url == ""  # no change of bank: no mandate row to send it to
    # A mandate recorded but not signed is not enough.
    Mandate.objects.create(family=family, rum="LIM-TEST-1", iban="FR1420041010050500013M02606")
    assert what_is_left(family, demo).mandate is not None
    Mandate.objects.filter(family=family).update(signed_on=datetime.date(2025, 6, 1))
    assert what_is_left(family, demo).mandate is None


def test_the_mandate_row_is_the_mandate_to_sign_not_a_second_item(demo):
    family = martin()
    pays_monthly(family, demo, bank_changed=True)
    left = what_is_left(family, demo)
    assert left.mandate.upload_url == row_url(SEPA)
    names = [d.name for d in left.documents]
    assert "Mandat de prélèvement SEPA signé" not in names
    assert "Relevé d’identité bancaire (RIB)" in names
    # Once the signed mandate is sent, the conservatoire checks it: nothing to sign.
    send_file(family, SEPA, "mandat-signe.pdf")
    left = what_is_left(family, demo)
    assert left.mandate is None
    assert "Mandat de prélèvement SEPA signé" not in [d.name for d in left.documents]


def test_links_are_absolute_with_a_base_url(demo):
    left = what_is_left(martin(), demo, base_url="https://portail.example/")
    assert left.documents[0].url == "https://portail.example" + row_url(QF)
    assert left.children[0].url.startswith("https://portail.example/espace/")


def test_a_closed_campaign_has_no_children_and_no_deadline_left(demo):
    Campaign.objects.filter(pk=demo.pk).update(closes_at=timezone.now() - datetime.timedelta(1))
    demo.refresh_from_db()
    left = what_is_left(martin(), demo)
    assert left.children == ()
    assert left.closes_at is None
    assert left.documents  # still to send


def test_nothing_left_is_false(demo, client, login):
    family = student_named("Nathan").family  # the Petit family: one child
    login("petit-karim")
    WizardDriver(client, student_named("Nathan")).complete(
        courses={"day_fm1c3": "wednesday", "ensemble": "chorale"}
    )
    for row in what_is_left(family, demo).documents:
        send_file(family, DocumentType.objects.get(name=row.name).code)
    assert not what_is_left(family, demo)


def family_of(children: int, campaign):
    responsible = ResponsibleFactory()
    for index in range(children):
        student = StudentFactory(family=responsible.family, first_name=f"Enfant{index}")
        EnrolmentFactory(student=student, school_year=campaign.previous_year, courses=["danse"])
    return responsible.family


def test_the_queries_do_not_grow_with_the_children(demo):
    counts = []
    for children in (1, 5):
        family = family_of(children, demo)
        pays_monthly(family, demo, bank_changed=True)
        with CaptureQueriesContext(connection) as queries:
            left = what_is_left(family, demo)
        assert len(left.children) == children
        assert len([d for d in left.documents if d.student]) == children  # dance certificates
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Where it is said ---------------------------------------------------------------------------


def test_the_family_space_lists_what_is_left(demo, client, login):
    login("martin-claire")
    html = client.get(reverse("reinscription:family_space")).content.decode()
    block = html[html.index('class="card mb-4 what-is-left') :]
    block = block[: block.index("</section>")]
    assert "Reste à faire" in block
    assert "Les réinscriptions sont ouvertes jusqu’au" in block
    assert "Répondre pour Léa Martin (réinscrire ou non)" in block
    assert f'href="{reverse("reinscription:wizard", args=[student_named("Léa").pk])}"' in block
    assert "Envoyer « Justificatif de domicile »" in block
    assert f'href="{row_url(ADDRESS)}"' in block


def test_the_family_space_says_a_child_begun_is_to_finish(demo, client, login):
    login("martin-claire")
    WizardDriver(client, student_named("Hugo")).post("choix", {"decision": "reenrol"})
    html = client.get(reverse("reinscription:family_space")).content.decode()
    assert "Terminer la réponse pour Hugo Martin, commencée" in html
    assert "Répondre pour Emma Martin (réinscrire ou non)" in html


def test_the_page_after_validation_says_what_is_left(demo, client, login):
    login("martin-claire")
    lea = student_named("Léa")
    response = WizardDriver(client, lea).complete(
        payment={
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": "FR14 2004 1010 0505 0001 3M02 606",
            "bic": "PSSTFRPPLYO",
            "account_holder": "Claire Martin",
        },
        courses=LEA_COURSES,
    )
    assert response["Location"] == reverse("reinscription:reenrolment_detail", args=[lea.pk])
    html = client.get(response["Location"]).content.decode()
    block = html[html.index('class="card mb-4 what-is-left') :]
    block = block[: block.index("</section>")]
    assert "Répondre pour Hugo Martin" in block and "Répondre pour Emma Martin" in block
    assert "Léa Martin" not in block
    assert "Signer le mandat de prélèvement SEPA et le renvoyer au conservatoire" in block
    assert f'href="{reverse("billing:mandate_pdf")}"' in block
    assert f'href="{row_url(SEPA)}"' in block
    assert "Envoyer « Relevé d’identité bancaire (RIB) »" in block


def test_nothing_left_is_said_too(demo, client, login):
    login("petit-karim")
    nathan = student_named("Nathan")
    family = nathan.family
    WizardDriver(client, nathan).complete(courses={"day_fm1c3": "wednesday", "ensemble": "chorale"})
    for row in what_is_left(family, demo).documents:
        send_file(family, DocumentType.objects.get(name=row.name).code)
    html = client.get(reverse("reinscription:reenrolment_detail", args=[nathan.pk])).content
    assert "Rien : tout ce que le conservatoire attend de vous a été envoyé." in html.decode()


def test_the_confirmation_email_lists_what_is_left_with_links(
    demo, client, login, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_URL = "https://portail.example"
    login("martin-claire")
    with django_capture_on_commit_callbacks(execute=True):
        WizardDriver(client, student_named("Léa")).complete(courses=LEA_COURSES)
    (email,) = mail.outbox
    hugo = student_named("Hugo")
    wizard_url = "https://portail.example" + reverse("reinscription:wizard", args=[hugo.pk])
    documents_url = "https://portail.example" + row_url(ADDRESS)
    assert "Reste à faire — Les réinscriptions sont ouvertes jusqu’au" in email.body
    assert f"- Répondre pour Hugo Martin (réinscrire ou non) : {wizard_url}" in email.body
    assert f"- Envoyer « Justificatif de domicile » : {documents_url}" in email.body
    assert "Répondre pour Léa Martin" not in email.body
    html = email.alternatives[0][0]
    assert "Reste à faire" in html
    assert f'href="{wizard_url}"' in html
    assert f'href="{documents_url}"' in html


def test_the_recap_pdf_has_a_short_what_is_left_block(demo, client, login):
    login("martin-claire")
    lea = student_named("Léa")
    WizardDriver(client, lea).complete(courses=LEA_COURSES)
    reader = PdfReader(io.BytesIO(recap_pdf(Reenrolment.objects.get(student=lea))))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Reste à faire" in text
    assert "Répondre pour : Emma Martin, Hugo Martin." in text
    assert "Documents à envoyer (« Mes documents ») :" in text
    assert "Justificatif de domicile" in text


def test_the_recap_pdf_has_no_block_when_nothing_is_left(demo, client, login):
    login("petit-karim")
    nathan = student_named("Nathan")
    WizardDriver(client, nathan).complete(courses={"day_fm1c3": "wednesday", "ensemble": "chorale"})
    for row in what_is_left(nathan.family, demo).documents:
        send_file(nathan.family, DocumentType.objects.get(name=row.name).code)
    text = PdfReader(io.BytesIO(recap_pdf(Reenrolment.objects.get(student=nathan)))).pages[0]
    assert "Reste à faire" not in text.extract_text()
