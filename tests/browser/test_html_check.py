"""The checks the browser tests use on every family page catch what they claim to."""

from tests.browser.html_check import heading_errors, html_errors

VALID = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>t</title></head>
<body><label for="a">A</label><input id="a"><p>ok</p></body></html>"""


def test_a_valid_page_has_no_error():
    assert html_errors(VALID) == []


def test_a_block_inside_a_paragraph_is_an_error():
    assert html_errors(VALID.replace("<p>ok</p>", "<p><div>ok</div></p>"))


def test_duplicate_and_missing_ids_are_errors():
    errors = html_errors(VALID.replace('<input id="a">', '<input id="a"><b id="a"></b>'))
    assert "duplicate id 'a' (2×)" in errors
    assert html_errors(VALID.replace('for="a"', 'for="b"')) == ["<label for='b'>: no such id"]


def test_headings_must_not_skip_a_level():
    assert heading_errors([(1, "Titre"), (2, "Partie"), (3, "Détail"), (2, "Autre")]) == []
    assert heading_errors([(1, "Récapitulatif"), (3, "Élève")]) == [
        "h1 'Récapitulatif' is followed by h3 'Élève'"
    ]
    assert heading_errors([(2, "Sans titre")])[0] == "the first heading is h2: 'Sans titre'"
    assert heading_errors([]) == ["no heading"]
