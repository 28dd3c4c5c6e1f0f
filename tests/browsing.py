"""The built site in a real browser (Debian's Chromium, driven by Playwright), as readers see it:
every page at a desktop and a phone width, light and dark. What is measured in the page (sideways
scrolling, chart text size, where the answer is, axe-core's audit, console errors) and judged
(`problems`, pure) lives here; tests/test_browser.py asserts on it.

It runs as a process of its own (`python -m tests.browsing SITE OUT`: every page at each width and
scheme, what is wrong written to OUT as JSON, a screenshot of every page kept), in a network
namespace of its own when the tests start it (`Reading.start` says why). It reads files only,
never the engine, so the test session starts it as soon as the site is built (conftest.py) and goes
on with the engine's tests beside it, which wait on the engine much of their time (one test after
another, a whole run left 39% of the two cores idle)."""
from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from tests.helpers import REPO

# Debian's headless shell, installed by `make test` (Makefile: browser); the binary itself, not the
# /usr/bin wrapper script, so that closing or killing the browser leaves no process behind
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
SCHEMES = ("light", "dark")
SMALLEST_TEXT_PX = 10.0
NETWORK = Path("/proc/self/ns/net")  # names the network namespace a process is in
SCREENSHOTS = REPO / "screenshots"  # the artifact: every page at each width and scheme (git-ignored)

# Everything a page draws as text inside a chart, at the size it is displayed (its font size times
# the scale the SVG is drawn at, turned or not).
CHART_TEXT_PX = """() => [...document.querySelectorAll('svg text')].filter(t => t.getClientRects().length)
  .map(t => ({text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize) *
              Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b)}))"""
OVERFLOW_PX = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
ANSWER_TOP = "() => { const a = document.querySelector('.answer'); return a ? a.getBoundingClientRect().top : null }"


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


def read(browser: Browser, served: str, site: Path, width: str, scheme: str) -> dict[str, Any]:
    """Every page at one width and scheme: the pages read ("read"), what is wrong with each
    ("failed", by path) and what the pages logged as errors ("errors")."""
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    failed: dict[str, list[str]] = {}
    visited: list[str] = []
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
            visited.append(path)
    finally:
        context.close()
    return {"read": visited, "failed": failed, "errors": errors}


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """The built site on 127.0.0.1, as a static host serves it."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def passes() -> list[str]:
    """The readings, one per width and scheme, by name ("desktop-light", ...)."""
    return [f"{width}-{scheme}" for width in WIDTHS for scheme in SCHEMES]


def _orphaned_ends_it(parent: int) -> None:
    """Ends this process once the test run that started it is gone (killed outright, its clean-up
    never ran): Playwright's driver then loses its pipe and closes the browser."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def _loopback_up() -> None:
    """Bring up the loopback interface if it is down, as a new network namespace starts it
    (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP: `ip link set lo up` without iproute2)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sH", fcntl.ioctl(sock, 0x8913, struct.pack("16sH", b"lo", 0))[:18])[1]
        if not flags & 0x1:
            fcntl.ioctl(sock, 0x8914, struct.pack("16sH", b"lo", flags | 0x1))


def main(site: Path, out: Path) -> None:
    _orphaned_ends_it(os.getppid())
    _loopback_up()
    with sync_playwright() as playwright, serving(site) as served:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            found = {name: read(browser, served, site, *name.split("-")) for name in passes()}
        finally:
            browser.close()
    out.write_text(json.dumps({"network": str(NETWORK.readlink()), "passes": found}, indent=1))


class Reading:
    """This module run as a process of its own over a built site, and what it found once done."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self._found: dict[str, Any] | None = None

    def start(self, site: Path) -> None:
        with (self.folder / "browser.log").open("wb") as log:
            # A session of its own: stopping it stops the browser and Playwright's driver with it.
            # A network namespace of its own, with loopback only: Chromium aborts the page it is
            # loading (net::ERR_NETWORK_CHANGED) whenever the host's interfaces change, as the
            # engine's tests beside it make them change (a bridge, a container's veth).
            isolated = ["unshare", "--net", *([] if os.geteuid() == 0 else ["--map-root-user"])]
            self.process = subprocess.Popen([*isolated, sys.executable, "-m", "tests.browsing", str(site),
                                             str(self.folder / "found.json")],
                                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def found(self, *, timeout_s: float = 900) -> dict[str, Any]:
        """Each reading's findings, by name (`passes`); waits for the process to end."""
        if self._found is None:
            assert self.process is not None, "the browser was never started on the site"
            try:
                code = self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.stop()
                raise AssertionError(f"the browser did not finish reading the site in {timeout_s:g} s") from None
            said = (self.folder / "browser.log").read_text(errors="replace")
            assert code == 0, f"the browser's reading of the site failed (exit {code}):\n{said[-3000:]}"
            found = json.loads((self.folder / "found.json").read_text())
            assert found["network"] != str(NETWORK.readlink()), "the browser read on the host's network"
            self._found = found["passes"]
        return self._found

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
