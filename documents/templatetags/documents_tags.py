"""Template helpers for the documents table (``{% load documents_tags %}``)."""

from django import template

register = template.Library()

UPLOAD_ERRORS_SESSION_KEY = "documents_upload_errors"


@register.simple_tag(takes_context=True)
def pop_upload_errors(context) -> dict[str, list[str]]:
    """The refusals of the last upload, by row key; shown once, like messages."""
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None:
        return {}
    return session.pop(UPLOAD_ERRORS_SESSION_KEY, None) or {}


@register.filter
def errors_for(errors: dict, key: str) -> list[str]:
    return errors.get(key, []) if errors else []


@register.filter
def document_size(size) -> str:
    """A file size the French way, in Ko / Mo like the upload limits."""
    from documents.validators import format_size

    try:
        return format_size(int(size))
    except (TypeError, ValueError):
        return ""
