"""The built site in a real browser (Debian's Chromium, driven by Playwright), as readers see it:
every page at a desktop and a phone width, light and dark. The body never scrolls sideways, no
chart text is drawn below 10 px, nothing logs an error, the answer is on the first screen, and an
accessibility audit (axe-core) finds nothing serious. Screenshots of every page are kept."""
from __future__ import annotations

import functools
import html.parser
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.helpers import REPO

# Debian's headless shell, installed by `make test` (Makefile: browser); the binary itself, not the
# /usr/bin wrapper script, so that closing or killing the browser leaves no process behind
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
SCHEMES = ("light", "dark")
SMALLEST_TEXT_PX = 10.0
SCREENSHOTS = REPO / "screenshots"  # the artifact: every page at each width and scheme (git-ignored)

# Everything a page draws as text inside a chart, at the size it is displayed (its font size times
# the scale the SVG is drawn at, turned or not).
CHART_TEXT_PX = """() => [...document.querySelectorAll('svg text')].filter(t => t.getClientRects().length)
  .map(t => ({text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize) *
              Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b)}))"""
OVERFLOW_PX = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
ANSWER_TOP = "() => { const a = document.querySelector('.answer'); return a ? a.getBoundingClientRect().top : null }"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch, with Debian's Chromium (Playwright's own download cannot work here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site on 127.0.0.1, as a static host serves it."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def pages(site: Path) -> list[str]:
    """Every page of the built site, as a path under the root ("" for the home page)."""
    return sorted(f"{p.parent.relative_to(site).as_posix()}/" if p.parent != site else ""
                  for p in site.rglob("index.html"))


def audited(site: Path) -> set[str]:
    """The pages the accessibility audit reads: every written page, and of the variant pages, which
    one template makes (pages/detail.py), the first of each part (an audit takes seconds a page)."""
    variants = json.loads((site / "results.json").read_text())["variants"]
    firsts = {v["part"]: f"variants/{v['id']}/" for v in reversed(variants)}
    return {p for p in pages(site) if not p.startswith("variants/") or p == "variants/"} | set(firsts.values())


def look(page: Page) -> dict[str, Any]:
    """What one loaded page shows a reader, measured in the browser."""
    return {"overflow": page.evaluate(OVERFLOW_PX), "texts": page.evaluate(CHART_TEXT_PX),
            "answer_top": page.evaluate(ANSWER_TOP), "height": page.viewport_size["height"]}


def problems(seen: dict[str, Any], *, home: bool) -> list[str]:
    """What is wrong with a page, from what the browser measured (pure, so an injected defect
    can be shown to fail it)."""
    found = []
    if seen["overflow"] > 0:
        found.append(f"the page scrolls sideways by {seen['overflow']} px")
    small = [t for t in seen["texts"] if t["px"] < SMALLEST_TEXT_PX]
    if small:
        found.append(f"{len(small)} chart labels below {SMALLEST_TEXT_PX:g} px, e.g. "
                     f"{small[0]['text']!r} at {small[0]['px']:.1f} px")
    if home and (seen["answer_top"] is None or seen["answer_top"] >= seen["height"]):
        found.append(f"the answer is not on the first screen (top at {seen['answer_top']})")
    return found


@pytest.mark.docker
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_reads_well_at_each_width_and_scheme(browser: Browser, served: str, site: Path,
                                                       width: str, scheme: str) -> None:
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    failed: dict[str, list[str]] = {}
    axe, audit = Axe(), audited(site)
    (SCREENSHOTS / f"{width}-{scheme}").mkdir(parents=True, exist_ok=True)
    try:
        for path in pages(site):
            page.goto(served + path, wait_until="load")
            found = problems(look(page), home=path == "")
            if path in audit and (width == "desktop" or path == ""):  # the audit reads the DOM: once a scheme
                serious = [v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
                found += [f"axe {v['id']} ({v['impact']}): {v['help']}, e.g. {v['nodes'][0]['target']}"
                          for v in serious]
            name = (path.strip("/").replace("/", "-") or "home") + ".png"
            page.screenshot(path=SCREENSHOTS / f"{width}-{scheme}" / name, full_page=False)
            if found:
                failed[path or "/"] = found
    finally:
        context.close()
    assert not failed, failed
    assert not errors, errors


class _Anchors(html.parser.HTMLParser):
    """Every id a page declares, and every link it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag in ("a", "link") and found.get("href"):
            self.links.append(str(found["href"]))


def broken_links(site: Path) -> list[str]:
    """Each link of the built site to one of its own pages, files or anchors that does not exist."""
    read: dict[Path, _Anchors] = {}

    def parsed(path: Path) -> _Anchors:
        if path not in read:
            read[path] = _Anchors()
            read[path].feed(path.read_text(encoding="utf-8"))
        return read[path]

    broken = []
    for page in sorted(site.rglob("*.html")):
        for link in parsed(page).links:
            target = urllib.parse.urlsplit(link)
            if target.scheme or target.netloc or link.startswith(("mailto:", "javascript:")):
                continue
            path = urllib.parse.unquote(target.path)
            where = ((site / path.lstrip("/")) if path.startswith("/") else (page.parent / path)).resolve() \
                if path else page  # the 404 page links from the root: it is served at any depth
            if where.is_dir():
                where = where / "index.html"
            if not where.is_file() or not where.is_relative_to(site.resolve()):
                broken.append(f"{page.relative_to(site)}: {link} (no such file)")
            elif target.fragment and where.suffix == ".html" and target.fragment not in parsed(where).ids:
                broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    return broken


@pytest.mark.docker
def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    assert not broken_links(site)


def test_each_check_fails_on_an_injected_defect(browser: Browser, tmp_path: Path) -> None:
    """A page wider than the screen, a chart label drawn too small, an answer below the first
    screen, and a link to nowhere: each is caught."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_content('<div style="width:2000px">a table too wide</div>'
                     '<svg viewBox="0 0 612 100" style="width:100%"><text x="1" y="50" font-size="8">tiny</text></svg>'
                     '<div style="height:2000px"></div><div class="answer">the answer</div>')
    said = " ".join(problems(look(page), home=True))
    assert "scrolls sideways" in said and "chart labels below 10 px" in said and "'tiny'" in said, said
    assert "not on the first screen" in said, said
    page.set_content('<div class="answer">the answer</div><svg viewBox="0 0 100 100" style="width:200px">'
                     '<text x="1" y="50" font-size="8">large enough</text></svg>')
    assert problems(look(page), home=True) == []
    (tmp_path / "index.html").write_text('<a href="gone/">x</a><a href="#nowhere">y</a><a href="#here" id="here">z</a>')
    assert broken_links(tmp_path) == ["index.html: gone/ (no such file)", "index.html: #nowhere (no such anchor)"]
