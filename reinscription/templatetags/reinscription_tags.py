"""``{% load reinscription_tags %}``: the family's words for a status and a deadline."""

from django import template

from reinscription.labels import family_status_label
from reinscription.public import deadline_text

register = template.Library()


@register.filter
def family_status(status) -> str:
    """``"reenrolled"`` → « réinscription enregistrée, en attente de validation »."""
    return family_status_label(status)


@register.filter
def deadline(closes_at) -> str:
    """A campaign's closing moment as families read it: "30 juin 2025" (its last day)."""
    return deadline_text(closes_at)
