"""French typography a template cannot do alone: "de" before a name, names in a greeting.

``de_name("Emma")`` is "d’Emma" and ``de_name("Léa")`` "de Léa": the preposition
elides before a vowel or a mute h. The msgids carry the whole phrase as one
placeholder (``"Re-enrolment {{ of_name }} for {{ year }}"``, French
``"Réinscription %(of_name)s pour %(year)s"``), so that the translation never
writes "de Emma". Outside French the phrase is "of Emma".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext

APOSTROPHE = "\u2019"  # ’, as in the catalogs (« l’identifiant »)
VOWELS = set("aeiouy")


def _base_letters(word: str) -> str:
    """``"Élodie"`` → ``"elodie"``: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFD", word.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def elides(name: str) -> bool:
    """Whether "de" becomes "d’" before ``name`` (French rules, for first names).

    A vowel elides ("d’Emma", "d’Élodie"); a y elides before a consonant ("d’Yves")
    but not before a vowel ("de Yanis", "de Yasmine"); an h is taken as mute, as it
    is in French first names ("d’Hugo", "d’Hélène").
    """
    letters = _base_letters(name)
    if not letters:
        return False
    first, second = letters[0], letters[1:2]
    if first == "y":
        return bool(second) and second not in VOWELS
    return first in VOWELS or first == "h"


def is_french() -> bool:
    return (translation.get_language() or "fr").startswith("fr")


def de_name(name) -> str:
    """The preposition and the name: "de Léa", "d’Emma" ("of Emma" outside French).

    A place name's article contracts: "du Havre", "des Ulis" ("de La Rochelle" stays).
    """
    name = str(name or "").strip()
    if not is_french():
        return f"of {name}"
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article):
            return contracted + name[len(article) :]
    return f"d{APOSTROPHE}{name}" if elides(name) else f"de {name}"


def names_list(names: Iterable[str]) -> str:
    """Names joined for a greeting: "Claire Martin et Marc Martin"."""
    names = [str(name).strip() for name in names if str(name or "").strip()]
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(first)s and %(last)s") % {
        "first": ", ".join(names[:-1]),
        "last": names[-1],
    }
