"""The conservatoire's identity: one record staff edit, seeded from the settings, read
through a per-process cache by the pages, the admin, the emails, the PDFs and billing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from billing.conf import creditor
from conservatoire.email_building import render_email
from conservatoire.models import Identity
from conservatoire.pdf import LOGO_URL, ForbiddenURL, static_url_fetcher

pytestmark = pytest.mark.django_db


def rename(name="Conservatoire de Musique de Champagne", commune="Champagne-au-Mont-d’Or"):
    identity = Identity.current()
    identity.name = name
    identity.commune = commune
    identity.address = "1 rue de la Mairie, 69410 Champagne-au-Mont-d’Or"
    identity.ics = "FR12ZZZ654321"
    identity.save()
    return identity


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "purple").save(buffer, "PNG")
    return buffer.getvalue()


def test_the_first_read_seeds_the_record_from_the_settings(settings):
    assert not Identity.objects.exists()
    identity = Identity.current()
    assert Identity.objects.get().pk == 1
    assert identity.name == settings.CONSERVATOIRE["name"]
    assert identity.commune == "Limonest"
    assert identity.email == settings.CONSERVATOIRE["email"]
    assert identity.planning_url == settings.CONSERVATOIRE["planning_url"]
    assert identity.ics == settings.BILLING_CREDITOR["ics"]


def test_it_is_read_once_then_served_from_the_cache(django_assert_num_queries):
    Identity.current()
    with django_assert_num_queries(0):
        assert Identity.current().commune == "Limonest"


def test_a_change_is_seen_at_once(client):
    Identity.current()
    rename()
    assert Identity.current().name == "Conservatoire de Musique de Champagne"
    content = client.get(reverse("home")).content.decode()
    assert "<title>" in content and "Conservatoire de Musique de Champagne</title>" in content
    assert "Conservatoire municipal de Limonest" not in content


def test_the_database_down_gives_the_settings_values(monkeypatch, settings):
    def down(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(Identity.objects, "get_or_create", down)
    assert Identity.current().name == settings.CONSERVATOIRE["name"]


def test_the_admin_is_one_change_page(admin_client):
    identity = Identity.current()
    change = reverse("admin:conservatoire_identity_change", args=[identity.pk])
    response = admin_client.get(reverse("admin:conservatoire_identity_changelist"))
    assert response.status_code == 302 and response.url == change
    assert admin_client.get(reverse("admin:conservatoire_identity_add")).status_code == 403
    delete = reverse("admin:conservatoire_identity_delete", args=[identity.pk])
    assert admin_client.get(delete).status_code == 403
    response = admin_client.post(
        change,
        {
            "name": "Conservatoire de Champagne",
            "commune": "Champagne",
            "address": "1 rue de la Mairie, 69410 Champagne",
            "email": "conservatoire@champagne.example",
            "phone": "04 78 00 00 00",
            "website": "https://champagne.example",
            "planning_url": "https://champagne.example/plannings",
            "ics": "FR12ZZZ654321",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Identity.current().commune == "Champagne"
    # The admin's header and title follow at once.
    content = admin_client.get(reverse("admin:index")).content.decode()
    assert "Conservatoire de Champagne — administration" in content


def test_the_admin_refuses_a_malformed_ics(admin_client):
    identity = Identity.current()
    change = reverse("admin:conservatoire_identity_change", args=[identity.pk])
    response = admin_client.post(
        change,
        {
            "name": "X",
            "commune": "X",
            "address": "X",
            "email": "x@example.org",
            "ics": "fr12 zzz",
        },
    )
    assert response.status_code == 200
    assert "ics" in response.context["adminform"].form.errors


def test_emails_sign_with_the_identity():
    rename()
    subject, text, _html = render_email(
        "accounts/emails/password_changed",
        {"user": None, "changed_at": timezone.now(), "reset_url": "http://x"},
    )
    assert "Conservatoire de Musique de Champagne" in subject
    assert "1 rue de la Mairie" in text


def test_the_creditor_is_the_identity():
    rename()
    cred = creditor()
    assert cred.name == "Conservatoire de Musique de Champagne"
    assert cred.address_lines == ["1 rue de la Mairie", "69410 Champagne-au-Mont-d’Or"]
    assert cred.ics == "FR12ZZZ654321"


def test_the_pdfs_may_read_the_identitys_logo_and_nothing_else():
    fetcher = static_url_fetcher()
    with pytest.raises(ForbiddenURL):
        fetcher.fetch(LOGO_URL)  # no logo yet
    identity = Identity.current()
    assert identity.pdf_logo_url == ""
    identity.logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    identity.save()
    assert Identity.current().pdf_logo_url == LOGO_URL
    response = fetcher.fetch(LOGO_URL)
    assert response.read().startswith(b"\x89PNG")
    with pytest.raises(ForbiddenURL):
        fetcher.fetch("file:///etc/passwd")


def test_the_mandate_pdf_shows_the_logo(client, responsible):
    identity = Identity.current()
    identity.logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    identity.save()
    client.force_login(responsible, backend="accounts.backends.IdentifierBackend")
    response = client.get(reverse("billing:mandate_pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"/Subtype /Image" in response.content or b"/Subtype/Image" in response.content
