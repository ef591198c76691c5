"""Links between the back office's pages."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode


def admin_url(name: str, *args, query: dict | None = None) -> str:
    """An admin URL, or "" when that admin page does not exist (app not registered)."""
    try:
        url = reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url
