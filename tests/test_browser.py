"""The built site in a real browser (tests/browsing.py, run beside the other tests once the site is
built), as readers see it: every page at a desktop and a phone width, light and dark. The body never
scrolls sideways, no chart text is drawn below 10 px, nothing logs an error, the answer is on the
first screen, and an accessibility audit (axe-core) finds nothing serious. Screenshots of every page
are kept. Then every internal link resolves, and each check fails on a defect put there on purpose."""
from __future__ import annotations

import html.parser
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.browsing import CHROMIUM, Reading, look, pages, passes, problems


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch, with Debian's Chromium (Playwright's own download cannot work here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.mark.docker
@pytest.mark.parametrize("reading", passes())
def test_every_page_reads_well_at_each_width_and_scheme(browser_reading: Reading, site: Path, reading: str) -> None:
    found = browser_reading.found()[reading]
    assert found["read"] == pages(site) and "" in found["read"], found["read"]  # every page, the home page too
    assert not found["failed"], found["failed"]
    assert not found["errors"], found["errors"]


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
