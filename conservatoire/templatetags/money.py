from django import template

from conservatoire.money import format_euros

register = template.Library()


@register.filter
def euros(value):
    """Format a Decimal amount as French euros; empty for None, error for floats."""
    if value is None or value == "":
        return ""
    return format_euros(value)
