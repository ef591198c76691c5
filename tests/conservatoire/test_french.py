"""French typography: "de" before a name elides, names in a greeting are joined."""

import pytest
from django.template import Context, Template
from django.utils import translation

from conservatoire.french import de_name, elides, names_list


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Emma Martin", "d’Emma Martin"),
        ("Léa Martin", "de Léa Martin"),
        ("Hugo", "d’Hugo"),  # a mute h, as in French first names
        ("Élodie", "d’Élodie"),
        ("Inès", "d’Inès"),
        ("Océane", "d’Océane"),
        ("Ugo", "d’Ugo"),
        ("Yves", "d’Yves"),  # y before a consonant: a vowel sound
        ("Yanis", "de Yanis"),  # y before a vowel: a consonant sound
        ("Chloé", "de Chloé"),
        ("  Anaïs  ", "d’Anaïs"),
        ("Le Havre", "du Havre"),  # a commune's article contracts
        ("Les Ulis", "des Ulis"),
        ("La Rochelle", "de La Rochelle"),
    ],
)
def test_de_elides_before_a_vowel_or_a_mute_h(name, expected):
    with translation.override("fr"):
        assert de_name(name) == expected


def test_an_empty_name_does_not_elide():
    assert not elides("")
    assert not elides("   ")


def test_outside_french_it_is_of():
    with translation.override("en"):
        assert de_name("Emma") == "of Emma"


def test_the_template_filter_writes_the_same():
    template = Template("{% load french %}Réinscription {{ name|de_name }}")
    with translation.override("fr"):
        assert template.render(Context({"name": "Emma"})) == "Réinscription d’Emma"
        assert template.render(Context({"name": "Léa"})) == "Réinscription de Léa"


def test_names_are_joined_with_et():
    with translation.override("fr"):
        assert names_list([]) == ""
        assert names_list(["Claire Martin"]) == "Claire Martin"
        assert names_list(["Claire Martin", "Julien Martin"]) == "Claire Martin et Julien Martin"
        assert names_list(["A", "B", "", "C"]) == "A, B et C"
