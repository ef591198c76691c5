"""axe-core (the npm package, installed by ``npm ci`` from package.json) in the page.

The portal's Content-Security-Policy forbids inline scripts, and Playwright injects
axe-core as one: the ``page`` fixture here (import it into the test module, it then
replaces conftest's) opens a context that bypasses the CSP, the rest being the same.
"""

from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MISSING = "axe-core is not installed (npm ci --no-audit --no-fund)"

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " — " + n.failureSummary),
  }));
}"""


@pytest.fixture
def page(browser):
    """conftest's page (French, desktop size) in a context that lets axe-core in."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """Inject axe-core into the page shown and run the WCAG 2.1 A and AA rules."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, WCAG_21_AA)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node}" for node in violation["nodes"][:5])
    return "\n".join(lines)
