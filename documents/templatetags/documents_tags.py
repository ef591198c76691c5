"""Template helpers for the documents table (``{% load documents_tags %}``)."""

from django import template

from documents.forms import row_field_name

register = template.Library()


@register.filter
def row_field(form, key: str):
    """The bound file field of the table's row ``key`` in ``form`` (a
    :class:`documents.forms.DocumentFilesForm`), or ``None`` (no form, or no field)."""
    if form is None or not hasattr(form, "fields"):
        return None
    name = row_field_name(key)
    return form[name] if name in form.fields else None


@register.filter
def document_size(size) -> str:
    """A file size the French way, in Ko / Mo like the upload limits."""
    from documents.validators import format_size

    try:
        return format_size(int(size))
    except (TypeError, ValueError):
        return ""
