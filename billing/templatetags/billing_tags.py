"""``{% load billing_tags %}``: dates the French way (``1er novembre 2025``, ``d’octobre``)."""

import datetime

from django import template
from django.utils import formats, translation

register = template.Library()


@register.filter
def long_date(value: datetime.date | None) -> str:
    """``date(2025, 11, 1)`` → ``"1er novembre 2025"`` (French ordinal for the 1st)."""
    if not value:
        return ""
    text = formats.date_format(value, "j F Y")
    if value.day == 1 and (translation.get_language() or "").startswith("fr"):
        text = "1er" + text[1:]
    return text


@register.filter
def de_month(value: datetime.date | None, fmt: str = "F Y") -> str:
    """``date(2025, 11, 1)`` → ``"de novembre 2025"``, ``date(2026, 10, 1)`` → ``"d’octobre
    2026"``: the month after "de", which elides before a vowel (avril, août, octobre).

    The msgids carry the phrase as one placeholder (``"from %(de_month)s"``, French
    ``"à partir %(de_month)s"``); outside French it is the month alone.
    """
    if not value:
        return ""
    text = formats.date_format(value, fmt)
    if not (translation.get_language() or "").startswith("fr"):
        return text
    return ("d\u2019" if text[:1].lower() in "aàâeéèêiîoôuy" else "de ") + text
