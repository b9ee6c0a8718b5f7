"""axe-core (from npm, pinned in package.json) injected into a Playwright page."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """Every axe violation on the page as it is now: id, impact, help and the nodes."""
    assert AXE.exists(), "axe-core is missing: run `npm ci` (make test does)"
    page.add_script_tag(path=str(AXE))
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
