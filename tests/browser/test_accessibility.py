"""RGAA: axe-core (the npm package, see package.json) finds no WCAG 2.1 A/AA violation
on any family-facing page, in every state a family meets (errors included).

axe-core is installed by ``npm ci`` into node_modules/; without it these tests are
skipped, so a machine without npm still passes (CI installs it)."""

import pytest

from tests.browser.axe import AXE, MISSING, axe_violations, describe, page  # noqa: F401
from tests.browser.family_pages import FAMILY_PAGES, demo, open_family_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not AXE.exists(), reason=MISSING)]


@pytest.mark.parametrize("name", FAMILY_PAGES)
def test_the_page_has_no_wcag_21_aa_violation(name, live_app, demo, page, screenshot):  # noqa: F811
    open_family_page(name, page, live_app.url)
    screenshot("desktop")
    violations = axe_violations(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"
