"""``{% load identity %}{% identity as conservatoire %}``: the conservatoire's identity in a
template rendered without a request (a partial also used in emails, PDFs or the admin);
pages get it from the ``conservatoire.context_processors.portal`` context processor."""

from django import template

from conservatoire.models import Identity

register = template.Library()


@register.simple_tag
def identity() -> Identity:
    """The identity record (cached per process: no query once read)."""
    return Identity.current()
