"""``{% load french %}``: ``{{ student.full_name|de_name }}`` writes "de Léa" or "d’Emma"."""

from django import template

from conservatoire import french

register = template.Library()


@register.filter
def de_name(name) -> str:
    """The name after "de " or "d’" (see :func:`conservatoire.french.de_name`)."""
    return french.de_name(name)


@register.filter
def names_list(names) -> str:
    """A list of names joined: "Claire Martin et Marc Martin"."""
    return french.names_list(names or [])
