"""Building emails: templates rendered in French, send-time builders, the message itself.

Nothing here queues or sends. ``conservatoire.emails`` saves outbox rows and hands
them to Celery; ``conservatoire.tasks`` sends them with :func:`build_message`.

Emails whose body holds a secret (a temporary password) are not rendered when
they are queued: they name a *builder*, registered here by the app that owns it,
that the task calls at send time, so the secret is never stored, logged or
passed through the broker.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

from .models import Identity, OutboxEmail

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
    ctx = {"portal_url": settings.PORTAL_URL, "conservatoire": Identity.current()}
    ctx.update(context)
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template_prefix}_subject.txt", ctx)
        text = render_to_string(f"{template_prefix}.txt", ctx)
        html = render_to_string(f"{template_prefix}.html", ctx)
    return " ".join(subject.split()), text, html


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
