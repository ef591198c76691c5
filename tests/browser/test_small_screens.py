"""At 360 pixels wide (a small phone), no family-facing page scrolls sideways, and
(where axe-core is installed) the phone layout has no WCAG 2.1 AA violation either:
a table that scrolls inside its box must be reachable with the keyboard."""

import pytest

from tests.browser.axe import AXE, axe_violations, describe, page  # noqa: F401
from tests.browser.conftest import PHONE
from tests.browser.family_pages import FAMILY_PAGES, demo, open_family_page  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", FAMILY_PAGES)
def test_the_page_fits_360_pixels(name, live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    open_family_page(name, page, live_app.url)
    screenshot("phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
            .slice(0, 5)
            .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                 + (e.className && typeof e.className === "string"
                    ? "." + e.className.trim().split(/\\s+/).join(".") : ""))""",
        PHONE["width"],
    )
    assert width <= PHONE["width"], f"{name} ({page.url}) is {width}px wide: {wide}"
    if AXE.exists():
        violations = axe_violations(page)
        assert not violations, f"{name} ({page.url}) at 360px:\n{describe(violations)}"
