"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"{CHROMIUM} is missing: CI must install Debian's chromium for the browser tests.")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped.")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Save a numbered screenshot of the current page under test-artifacts/<test name>/."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(label):
        path = folder / f"{next(counter):02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, base_url, username, password="ror-demo-2026"):
    page.goto(base_url + "/")
    page.get_by_label("Identifiant", exact=True).fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Se connecter").click()


@pytest.fixture
def login(page, live_server):
    return lambda username, password="ror-demo-2026": log_in(page, live_server.url, username, password)


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page):
    """axe-core's violations on the current page (WCAG 2.x A/AA and best practices), one line each."""
    if not AXE.exists():
        raise pytest.UsageError(f"{AXE} is missing: run `npm ci` (make install-test does).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + " | ".join(
            " ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
            for node in violation["nodes"][:5]
        )
        for violation in results["violations"]
    ]


def scrolls_sideways(page):
    """Whether the page is wider than the window (it would pan sideways)."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
