"""axe-core injected into a Playwright page.

The script comes from PyPI, bundled in axe-playwright-python (pinned in
requirements/dev.txt), so browser tests need no Node.js or npm.
"""

from pathlib import Path

from axe_playwright_python.base import AXE_FILE_PATH as AXE

BLOCKING_IMPACTS = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """Every axe violation on the page as it is now: id, impact, help and the nodes."""
    # Evaluated, not added as a <script> tag: the page's Content-Security-Policy refuses
    # inline scripts, and rightly; the browser's own evaluation is not subject to it.
    page.evaluate(Path(AXE).read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
            }));
        }"""
    )


def assert_accessible(page) -> list[dict]:
    """No serious or critical violations; returns the minor ones for the caller to report."""
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}: {blocking}"
    return violations
