"""Is a page's HTML valid, and are its headings in order? Checks for the browser tests.

``html_errors(source)`` parses the HTML the server sent with tinyhtml5 (the WHATWG
parser WeasyPrint uses) and returns its parse errors (a ``<div>`` inside a ``<p>``,
a stray end tag…), duplicate ids and references (``for``, ``aria-*``) to missing ids.

``heading_errors(headings)`` takes ``[(level, text), …]`` in document order and says
where the outline skips a level: one ``<h1>`` first, then never deeper than one
level below the heading before (h1 → h2 → h3).

``capture_documents(page)`` records the main frame's document responses, so that a
test can read the source of the page it ended on (after clicks and redirects).
"""

from collections import Counter

from tinyhtml5.parser import HTMLParser

ID_REFERENCES = ("for", "aria-labelledby", "aria-describedby", "aria-controls", "list")
HEADINGS_JS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .map((h) => [Number(h.tagName[1]), h.textContent.trim().replace(/\\s+/g, " ").slice(0, 80)])"""


def html_errors(source: str) -> list[str]:
    parser = HTMLParser(namespace_html_elements=False)
    tree = parser.parse(source)
    errors = [f"line {line}, col {col}: {code} {data}" for (line, col), code, data in parser.errors]
    elements = list(tree.iter())
    ids = Counter(element.get("id") for element in elements if element.get("id"))
    errors += [f"duplicate id {name!r} ({count}×)" for name, count in ids.items() if count > 1]
    for element in elements:
        for attribute in ID_REFERENCES:
            for reference in (element.get(attribute) or "").split():
                if reference not in ids:
                    errors.append(f"<{element.tag} {attribute}={reference!r}>: no such id")
    return errors


def heading_errors(headings: list[tuple[int, str]]) -> list[str]:
    if not headings:
        return ["no heading"]
    errors = []
    if headings[0][0] != 1:
        errors.append(f"the first heading is h{headings[0][0]}: {headings[0][1]!r}")
    if sum(1 for level, _text in headings if level == 1) != 1:
        errors.append("not exactly one h1")
    for (previous, before), (level, text) in zip(headings, headings[1:], strict=False):
        if level > previous + 1:
            errors.append(f"h{previous} {before!r} is followed by h{level} {text!r}")
    return errors


def capture_documents(page) -> list:
    """The main frame's document responses from now on (the last is the page shown)."""
    responses = []

    def record(response):
        if response.request.resource_type == "document" and response.frame == page.main_frame:
            responses.append(response)

    page.on("response", record)
    return responses
