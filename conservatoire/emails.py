"""Emails: three templates each (subject, text, HTML), queued through the outbox.

``queue_email()`` saves an :class:`OutboxEmail` row and, once the transaction
commits, asks Celery to send it. If the broker is unreachable the row stays
pending and ``drain_outbox`` (Celery beat) sends it later: nothing is lost.

Emails whose body holds a secret (a temporary password) are not rendered
here: they name a *builder* that the task calls at send time, so the secret
is never stored, logged or passed through the broker.
"""

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

from .models import OutboxEmail

logger = logging.getLogger(__name__)

# name -> callable(pk) returning (to, subject, text, html); registered by apps.
BUILDERS: dict[str, Callable[[int], tuple[list[str], str, str, str]]] = {}


def portal_url(name: str) -> str:
    """The absolute address of the portal page ``name`` (for emails)."""
    return settings.PORTAL_URL.rstrip("/") + reverse(name)


def register_builder(name: str):
    """Register a send-time email builder under ``name`` (a decorator)."""

    def decorator(func):
        BUILDERS[name] = func
        return func

    return decorator


def render_email(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and ``<prefix>.html`` in French."""
    ctx = {"portal_url": settings.PORTAL_URL, "conservatoire": settings.CONSERVATOIRE}
    ctx.update(context)
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template_prefix}_subject.txt", ctx)
        text = render_to_string(f"{template_prefix}.txt", ctx)
        html = render_to_string(f"{template_prefix}.html", ctx)
    return " ".join(subject.split()), text, html


def queue_email(
    kind: str,
    to: Iterable[str],
    template_prefix: str | None = None,
    context: dict | None = None,
    *,
    attachments: list[dict] | None = None,
    builder: str = "",
    builder_pk: int | None = None,
) -> OutboxEmail:
    """Save an outbox row and send it after the current transaction commits."""
    subject = text = html = ""
    if template_prefix:
        subject, text, html = render_email(template_prefix, context or {})
    email = OutboxEmail.objects.create(
        kind=kind,
        to=[address for address in to if address],
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=attachments or [],
        builder=builder,
        builder_pk=builder_pk,
    )
    transaction.on_commit(lambda: enqueue_outbox_email(email.pk))
    return email


def enqueue_outbox_email(pk: int) -> None:
    """Hand an outbox row to Celery; a broker failure is logged, not raised."""
    from .tasks import send_outbox_email

    try:
        # No publish retries: a family's page must not wait on a sick broker.
        send_outbox_email.apply_async((pk,), retry=False)
    except Exception:  # broker down (or, eager, the send failed): the drain retries
        logger.warning("Outbox email %s not handed to Celery; left for the drain.", pk)


def build_message(email: OutboxEmail) -> EmailMultiAlternatives:
    """Turn an outbox row into a Django email message (rendering builders now)."""
    to, subject, text, html = email.to, email.subject, email.body_text, email.body_html
    if email.builder:
        with translation.override(settings.LANGUAGE_CODE):
            to, subject, text, html = BUILDERS[email.builder](email.builder_pk)
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in email.attachments:
        if "generator" in attachment:
            # A file made at send time, in the worker (a recap PDF): the request
            # that queued the email does not wait for it.
            generator = import_string(attachment["generator"])
            message.attach(*generator(attachment["pk"]))
            continue
        with default_storage.open(attachment["storage_name"], "rb") as handle:
            message.attach(attachment["filename"], handle.read(), attachment["mimetype"])
    return message
