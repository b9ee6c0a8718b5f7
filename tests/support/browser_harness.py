"""A real browser for tests: Playwright driving Debian's Chromium against ``live_server``.

Loaded as a pytest plugin (``-p tests.support.browser_harness`` in pyproject.toml), it gives tests:

``browser``
    One headless Chromium for the whole session (``/usr/bin/chromium``, from Debian's
    ``chromium`` package, which ``make test`` installs or asks for: ``.ci/prerequisites``;
    Playwright never downloads a browser here). ``CHROMIUM_PATH`` points it elsewhere.
``page``
    A fresh browser context (no cookies) and page per test, with ``base_url`` set to
    pytest-django's ``live_server``, so ``page.goto("/admin/")`` works. When the test fails,
    a screenshot of the page goes to ``test-artifacts/``.
``screenshot``
    ``screenshot("after-login")`` saves ``test-artifacts/<test name>-after-login.png``.

Rules for tests that use it: mark them ``@pytest.mark.browser`` and
``@pytest.mark.django_db(transaction=True)`` (the live server is another thread with its
own connection, so it sees only committed rows).

Why DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API keeps an asyncio event loop running in
the main thread for as long as Playwright is started, and Django refuses ORM calls from a
thread with a running loop (``SynchronousOnlyOperation``), which would break the test's own
ORM calls and pytest-django's database teardown. Nothing here is async: the loop only
carries Playwright's messages. So the variable is set while the browser is up, and browser
tests are moved to the end of the run (see ``pytest_collection_modifyitems``), so no other
test ever runs with the check switched off.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = BASE_DIR / "test-artifacts"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The network here is closed: without the background-networking flags Chromium keeps
# trying to reach Google's services. --no-sandbox because tests run as root in CI.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000

_BROWSER_FIXTURES = {"browser", "page", "screenshot"}


def _uses_browser(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or bool(
        _BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: once Playwright starts, the async-unsafe check is off (see above).
    items[:] = [i for i in items if not _uses_browser(i)] + [i for i in items if _uses_browser(i)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


_call_failed = pytest.StashKey[bool]()


def save_screenshot(page, name: str) -> Path:
    """Save a full-page PNG of ``page`` as ``test-artifacts/<name>.png`` and return its path."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM_PATH).exists() and not shutil.which(CHROMIUM_PATH):
        reason = f"no Chromium at {CHROMIUM_PATH} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip")
        sys.stderr.write(f"\n!!! Browser harness: {reason}; skipping.\n")
        pytest.skip(reason)

    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(request: pytest.FixtureRequest, browser, live_server) -> Iterator[object]:
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("Tests that drive the browser must be marked @pytest.mark.browser.")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    violations = csp_violations_recorded(context)
    page = context.new_page()
    page.csp_violations = violations  # for the tests that provoke one on purpose
    try:
        yield page
        if request.node.stash.get(_call_failed, False):
            save_screenshot(page, f"{request.node.name}-failed")
        elif request.node.get_closest_marker("csp_violations_expected") is None:
            # Every page a browser test visits is held to the Content-Security-Policy.
            assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
    finally:
        context.close()


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `on ${event.documentURI} (${event.sourceFile || "?"}:${event.lineNumber}) ` +
    `${event.sample || ""}`
  );
});
"""


def csp_violations_recorded(context) -> list[str]:
    """A list that fills with every CSP violation any page of `context` reports (the
    listener is installed by the browser itself, so the policy cannot block it)."""
    violations: list[str] = []

    def record(violation: str) -> None:  # Playwright wants a Python function here
        violations.append(violation)

    context.expose_function("__cspViolation", record)
    context.add_init_script(CSP_LISTENER)
    return violations


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, page) -> Callable[[str], Path]:
    def take(name: str) -> Path:
        return save_screenshot(page, f"{request.node.name}-{name}")

    return take
