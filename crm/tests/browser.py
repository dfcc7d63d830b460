"""Headless Chromium (Debian's package) driven by Playwright, for end-to-end tests of the pages."""
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REPO_ROOT = Path(__file__).resolve().parents[2]
# Offline machines: keep Chromium from reaching out at start (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


# One Playwright and one Chromium per test process. Each test module imports the `browser` fixture, which
# makes one session fixture per module; a second sync_playwright() while the first runs is refused
# ("Sync API inside the asyncio loop"), so every copy hands out the same instance.
_running = {}


def _stop_browser():
    browser, pw = _running.pop("browser", None), _running.pop("playwright", None)
    if browser is not None:
        browser.close()
    if pw is not None:
        pw.stop()


@pytest.fixture(scope="session")
def browser(request):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    if "browser" not in _running:
        from playwright.sync_api import sync_playwright

        _running["playwright"] = pw = sync_playwright().start()
        # Playwright gives each context a fresh, empty profile
        _running["browser"] = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    request.addfinalizer(_stop_browser)  # at the end of the session; idempotent
    # screenshots default to this run's pytest temporary directory (screenshot_dir)
    _running.setdefault("tmp_screenshots", request.getfixturevalue("tmp_path_factory").getbasetemp() / "screenshots")
    return _running["browser"]


# Every page reports what the Content-Security-Policy refused (an inline script or handler, a style attribute,
# an outside resource): the `page` fixture fails the test on any of them.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`));
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    violations = []
    context.expose_function("reportCspViolation", lambda text: violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.set_default_timeout(15_000)
    page.csp_violations = violations
    yield page
    context.close()
    assert violations == [], "the Content-Security-Policy refused: " + "; ".join(violations)


def log_in(page, live_server, username, password="pw"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def screenshot_dir():
    """Where the test run leaves its screenshots: $BROWSER_ARTIFACTS_DIR (CI keeps it: .ci/run points it at
    artifacts/screenshots/), else $SCREENSHOT_DIR, else screenshots/ in this run's pytest temporary directory
    (else artifacts/screenshots/, gitignored, when no browser fixture ran)."""
    chosen = os.environ.get("BROWSER_ARTIFACTS_DIR") or os.environ.get("SCREENSHOT_DIR")
    if chosen:
        return Path(chosen)
    return _running.get("tmp_screenshots") or REPO_ROOT / "artifacts" / "screenshots"


def screenshot(page, name):
    """Save the whole page as <screenshot_dir>/<name>.png once its fonts are ready; returns the path."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


SCREENSHOT_WIDTHS = (1440, 375)  # a branch PC and a phone


def screenshots(page, name, widths=SCREENSHOT_WIDTHS):
    """The page at each width as <name>-<width>.png (kept as CI artifacts, never compared pixel by pixel); the
    viewport is put back afterwards. Returns the paths."""
    before = page.viewport_size
    paths = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        paths.append(screenshot(page, f"{name}-{width}"))
    page.set_viewport_size(before)
    return paths
