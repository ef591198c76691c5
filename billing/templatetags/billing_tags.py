"""``{% load billing_tags %}``: dates the French way (``1er novembre 2025``)."""

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
