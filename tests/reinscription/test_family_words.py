"""One vocabulary of states for the family, from the answer to the conservatoire's
validation: the family space, the recap page, the confirmation email and the recap
PDF say the same words, and they describe the re-enrolment, never the child (the
portal does not know a child's sex), so they agree for girls and boys alike."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from reinscription.labels import FAMILY_STATUS_LABELS
from reinscription.models import Reenrolment
from reinscription.recap import recap_pdf
from reinscription.rules import DisplayStatus
from tests.reinscription.conftest import student_named

pytestmark = pytest.mark.django_db

RECORDED = "Réinscription enregistrée, en attente de validation"
VALIDATED = "Réinscription validée par le conservatoire"
DECLINED = "Pas de réinscription"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_words_are_french_and_never_gendered():
    with translation.override("fr"):
        words = {status: str(label) for status, label in FAMILY_STATUS_LABELS.items()}
    assert words == {
        DisplayStatus.TODO: "à faire",
        DisplayStatus.IN_PROGRESS: "en cours",
        DisplayStatus.REENROLLED: "réinscription enregistrée, en attente de validation",
        DisplayStatus.DECLINED: "pas de réinscription",
        DisplayStatus.VALIDATED: "réinscription validée par le conservatoire",
    }
    for word in words.values():
        assert "réinscrit" not in word  # "réinscrit" / "réinscrite" would need the child's sex


def test_a_recorded_re_enrolment_says_the_same_everywhere(
    demo, client, login, wizard, django_capture_on_commit_callbacks
):
    login("leroy-marc")
    ines = student_named("Inès")
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard(ines).complete()
    page = client.get(response.url).content.decode()  # the recap page, after validation
    assert "Réinscription d’Inès Leroy pour 2025-2026" in page  # "de" elides before a vowel
    assert "Réinscription enregistrée pour Inès, en attente de validation" in page  # message
    assert f">{RECORDED}</span>" in page  # the badge
    assert "validée" not in page.replace(VALIDATED, "")  # only the conservatoire validates

    space = client.get(reverse("reinscription:family_space")).content.decode()
    assert f">{RECORDED}</span>" in space

    [email] = [m for m in mail.outbox if "Inès" in m.subject]
    assert email.subject == "Réinscription d’Inès Leroy : confirmation"
    assert f"État : {RECORDED}" in email.body
    assert RECORDED in email.alternatives[0][0]

    reenrolment = Reenrolment.objects.get(student=ines)
    assert RECORDED in pdf_text(recap_pdf(reenrolment))
    assert "Réinscrit" not in pdf_text(recap_pdf(reenrolment))


def test_once_validated_by_the_conservatoire(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete()
    Reenrolment.objects.filter(student=ines).update(status=Reenrolment.Status.VALIDATED)
    space = client.get(reverse("reinscription:family_space")).content.decode()
    assert f">{VALIDATED}</span>" in space
    detail = reverse("reinscription:reenrolment_detail", args=[ines.pk])
    assert f">{VALIDATED}</span>" in client.get(detail).content.decode()
    assert VALIDATED in pdf_text(recap_pdf(Reenrolment.objects.get(student=ines)))


def test_a_declined_re_enrolment_says_no_re_enrolment(
    demo, client, login, wizard, django_capture_on_commit_callbacks
):
    login("martin-claire")
    emma = student_named("Emma")
    driver = wizard(emma)
    driver.post("choix", {"decision": "decline"})
    with django_capture_on_commit_callbacks(execute=True):
        response = driver.post("recapitulatif", {"accept_rules": "on"}, follow=True)
    page = response.content.decode()
    assert "pas de réinscription pour Emma" in page
    assert f">{DECLINED}</span>" in page
    assert "Non réinscrit" not in page
    [email] = [m for m in mail.outbox if "Emma" in m.subject]
    assert email.subject == "Pas de réinscription pour Emma Martin : confirmation"
    assert email.body.startswith("Bonjour Claire Martin et Julien Martin,")
    assert DECLINED in pdf_text(recap_pdf(Reenrolment.objects.get(student=emma)))


def test_the_family_space_gives_the_year_and_its_last_day(demo, client, login):
    login("martin-claire")
    space = client.get(reverse("reinscription:family_space")).content.decode()
    assert "Réinscriptions pour l’année 2025-2026 : ouvertes jusqu’au " in space
    assert "Année 2025-2026 —" not in space
