"""A real browser renders /docs from this server alone: headless Chromium, with every other host out of reach."""
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; .ci/run installs it
KNOWN_OPERATION = "Submit a solution to an open challenge"  # the summary of POST /challenges/{id}/submissions
# Whatever the page's own requests do (they are intercepted below), the browser's reaches nothing but 127.0.0.1:
# other names do not resolve, and anything sent through the proxy meets a closed port.
OFFLINE = ["--no-sandbox", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the fixture below: a skip on a laptop, a failure in CI
    sync_playwright = None


@pytest.fixture
def chromium():
    """Debian's Chromium; without it (or Playwright) the test skips, except in CI, where it fails."""
    missing = [] if CHROMIUM.exists() else [f"{CHROMIUM} (apt-get install chromium)"]
    if sync_playwright is None:
        missing.append("playwright (pip install -r requirements-dev.txt)")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run it")
        pytest.skip(reason)
    return str(CHROMIUM)


def _only_from(origin: str, outside: list):
    """A route handler: requests to our server go through; any other is recorded and aborted."""

    def handle(route):
        if route.request.url.startswith(origin + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    return handle


def test_anonymous_browser_renders_operation_list_with_no_other_host(chromium, origin):
    outside, problems = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=OFFLINE)
        try:
            page = browser.new_page()
            page.route("**/*", _only_from(origin, outside))
            # A blocked file or a script refused by the page's Content-Security-Policy shows up as a console error.
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            response = page.goto(f"{origin}/docs")
            operation = page.get_by_text(KNOWN_OPERATION).first
            operation.wait_for(state="visible", timeout=20_000)
            shown = operation.inner_text()
            title = page.title()
        finally:
            browser.close()
    assert response.status == 200 and title == "challenges API"
    assert shown.startswith(KNOWN_OPERATION)
    assert outside == []
    assert problems == []
