"""Headless Debian Chromium driven by Playwright against the live API; every request outside it is refused.

Chromium comes from the machine (`apt-get install chromium`; .ci/run installs it), never from a Playwright
download: without it these tests fail, they do not skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no QUIC, and none of the browser's own calls home: the only traffic is what a page asks for.
ARGS = [
    "--headless",
    "--no-sandbox",  # run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module-scoped, and started after the live API: Playwright's sync API runs an event loop in this thread while
# it is open, and the session fixtures (and later test modules) call asyncio.run.
@pytest.fixture(scope="module")
def browser(live_api: str) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@dataclass
class Visit:
    """A page of the live API, with what it asked for and what it complained about."""

    page: Page
    base: str
    screenshots: Path
    local: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Page:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, path
        return self.page

    def shot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self) -> None:
        assert self.local, "no request reached the local server"
        assert self.foreign == []
        assert self.console_errors == []


def _visit(browser: Browser, base: str, screenshots: Path, javascript: bool) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    visit = Visit(context.new_page(), base, screenshots)
    origin = urlsplit(base).netloc

    def route(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == origin:
            visit.local.append(url)
            route.continue_()
        else:
            visit.foreign.append(url)
            route.abort()

    context.route("**/*", route)
    visit.page.on(
        "console", lambda message: visit.console_errors.append(message.text) if message.type == "error" else None
    )
    visit.page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    yield visit
    context.close()


@pytest.fixture
def visit(browser: Browser, live_api: str, screenshots: Path) -> Iterator[Visit]:
    yield from _visit(browser, live_api, screenshots, javascript=True)


@pytest.fixture
def visit_without_javascript(browser: Browser, live_api: str, screenshots: Path) -> Iterator[Visit]:
    yield from _visit(browser, live_api, screenshots, javascript=False)
