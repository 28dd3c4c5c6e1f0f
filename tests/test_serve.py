"""Untrusted text reaches the page only escaped; a failed variant fails the build, and under
`mkdocs serve` shows an error box while the rest of the site keeps working."""
from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import REPO, seeded_cache, write_variants

pytestmark = pytest.mark.docker

EVIL_DOCKERFILE = """FROM debian:bullseye
# <script>alert("dockerfile")</script> {{ 7*7 }} {% if true %}jinja{% endif %}
# | a | b |
# |---|---|
CMD ["echo", "<script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} | c | d |"]
"""
EVIL_OUTPUT = "<script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} | c | d |"
PAGE = """# Test page

{{ dockerfile("evil") }}

{{ run_output("evil") }}

{{ results_table() }}

The bad one: {{ size("bad") }}

{{ run_output("bad") }}

Still here after the bad one.
"""
CONFIG = """site_name: hardening test
theme: {name: material, font: false}
plugins:
  - macros: {module_name: macros, on_error_fail: true, on_undefined: strict}
  - smallest-go
markdown_extensions: [admonition, attr_list, md_in_html, pymdownx.details, pymdownx.highlight, pymdownx.superfences]
"""


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    site = tmp_path / "project"
    (site / "docs").mkdir(parents=True)
    (site / "mkdocs.yml").write_text(CONFIG)
    (site / "docs" / "index.md").write_text(PAGE)
    (site / "macros").symlink_to(REPO / "macros")
    variants = write_variants(tmp_path, {
        "evil": (EVIL_DOCKERFILE, f'    binary: ""\n    expect: {{exit_code: 0, stdout: "{EVIL_OUTPUT}\\n"}}'),
        "bad": ('FROM debian:bullseye\nCMD ["sh", "-c", "echo goodbye >&2"]\n',
                '    binary: ""\n    expect: {exit_code: 0, stderr: "hello\\n"}'),
    })
    variants.write_text(variants.read_text().replace("title: evil", 'title: "<b>Evil</b> {{ 7*7 }}"'))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_VARIANTS": str(variants),
           "SMALLEST_GO_CACHE": str(seeded_cache(tmp_path / "cache"))}
    return site, env


def test_a_failed_variant_fails_the_build_and_is_not_cached(project: tuple[Path, dict[str, str]]) -> None:
    site, env = project
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=site, env=env,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "variant 'bad'" in output and "goodbye" in output and "hello" in output
    assert "Traceback" not in output
    cached = list((Path(env["SMALLEST_GO_CACHE"]) / "results").glob("*.json"))
    assert [json.loads(p.read_text())["stdout"] for p in cached] == [EVIL_OUTPUT + "\n"]  # only the good one


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ctrl_c_as_at_a_terminal() -> None:
    """In the server's process before it starts: a job started in the background by a shell
    without job control (as CI starts `make test`) inherits SIGINT ignored, and Python then does
    not turn it into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class _Server:
    """`mkdocs serve` running on a free port, its output in a log file."""

    def __init__(self, site: Path, env: dict[str, str], *, watching: bool = False) -> None:
        self.port, self.log = _free_port(), site.parent / "serve.log"
        reload = [] if watching else ["--no-livereload"]  # mkdocs watches nothing without live reload
        # `-v` before the command: serve mode must come from what mkdocs says, not from argv[1]
        # Its output goes to a file: `-v` prints more than a pipe holds, and a pipe nobody reads
        # while waiting for the page would stop the server mid-write.
        with self.log.open("w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "mkdocs", "-v", "serve", *reload, "-a",
                                             f"127.0.0.1:{self.port}"], cwd=site, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, preexec_fn=_ctrl_c_as_at_a_terminal)

    def page(self, *, showing: str = "", within_s: float = 300) -> str:
        """The home page once it is served (and, if asked, once it shows `showing`)."""
        deadline = time.monotonic() + within_s
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"never served {showing!r}: " + self.log.read_text()[-3000:]
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5).read().decode()
                if showing in page:
                    return page
            except OSError:
                pass
            time.sleep(1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def test_serve_shows_an_error_box_and_everything_else_escaped(project: tuple[Path, dict[str, str]]) -> None:
    site, env = project
    served = _Server(site, env)
    try:
        page = served.page()
    finally:
        served.stop()
    server, said = served.process, served.log
    # Ctrl-C ends it by itself, and it removes the folder it served from (a kill leaves it in /tmp)
    assert server.returncode >= 0, f"mkdocs serve did not end on Ctrl-C: {said.read_text()[-2000:]}"
    served_from = re.findall(r"wrote (\S+)/results\.json", said.read_text())
    assert served_from and not any(Path(folder).exists() for folder in served_from), served_from
    assert "Variant bad failed" in page and "goodbye" in page
    assert "[bad: failed, see the error above]" in page
    assert "Still here after the bad one." in page
    # Untrusted text: escaped, never run as HTML, never evaluated as Jinja, no table made of it.
    assert "<script>alert" not in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert EVIL_OUTPUT in text and '<script>alert("dockerfile")</script> {{ 7*7 }}' in text
    # {{ 7*7 }} evaluated would read 49 where it stands, beside the words around it in each source
    # (not "49" anywhere: the page's own measurements, a start-up of 149 ms, failed a run, and so
    # did the Dockerfile's path under pytest's numbered folder, pytest-149)
    assert "{% if true %}jinja{% endif %}" in text
    for evaluated in ('alert("dockerfile")</script> 49', "alert(1)</script> 49", "Evil</b> 49", "Evil 49"):
        assert evaluated not in text and evaluated not in html.unescape(page), evaluated
    assert "&lt;b&gt;Evil&lt;/b&gt; {{ 7*7 }}" in page
    assert page.count("<table") == 1  # the results table; no table from the Markdown in the output


def test_serve_rebuilds_when_a_variants_own_folder_changes(tmp_path: Path) -> None:
    # The variants file and its Dockerfile in a folder of their own, outside mkdocs.yml's `watch`
    # (this project's has none): the plugin watches what the variants file names.
    site = tmp_path / "project"
    (site / "docs").mkdir(parents=True)
    (site / "mkdocs.yml").write_text(CONFIG)
    (site / "docs" / "index.md").write_text("# Page\n\n{{ run_output('greet') }}\n")
    (site / "macros").symlink_to(REPO / "macros")
    mine = tmp_path / "mine"
    mine.mkdir()
    variants = write_variants(mine, {"greet": ('FROM debian:bullseye\nCMD ["echo", "first words"]\n',
                                               '    binary: ""\n    expect: {exit_code: 0, stdout: "first words\\n"}')})
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_VARIANTS": str(variants),
           "SMALLEST_GO_CACHE": str(seeded_cache(tmp_path / "cache"))}
    served = _Server(site, env, watching=True)
    try:
        served.page(showing="first words")
        for path in (mine / "Dockerfile.greet", variants):
            path.write_text(path.read_text().replace("first words", "second words"))
        served.page(showing="second words", within_s=120)
    finally:
        served.stop()


def test_a_macro_call_naming_nothing_fails_the_build_with_a_message(tmp_path: Path) -> None:
    site = tmp_path / "project"
    (site / "docs").mkdir(parents=True)
    (site / "mkdocs.yml").write_text(CONFIG)
    (site / "docs" / "index.md").write_text("# Page\n\n{{ size('greet') }}, {{ size('gret') }}, {{ size() }}, "
                                            "{{ smallest_passing() }}\n")
    (site / "macros").symlink_to(REPO / "macros")
    variants = write_variants(tmp_path, {"greet": ('FROM debian:bullseye\nCMD ["echo", "hi"]\n',
                                                   '    binary: ""\n    expect: {exit_code: 0, stdout: "hi\\n"}')})
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_VARIANTS": str(variants),
           "SMALLEST_GO_CACHE": str(seeded_cache(tmp_path / "cache"))}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=site, env=env,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output
    assert "3 macro calls in the pages cannot be answered" in output
    # each call's own hint comes with it
    assert "\n    --> Use a variant id from dockerfiles/variants.yml.\n" in output
    assert "index.md: smallest_passing(): no variant of part three printed the checks program's answers\n" \
           "    --> Part three's variants build checks-app" in output
    assert "index.md: size('gret'): no variant 'gret' (did you mean 'greet'?" in output
    assert "index.md: size(): missing a required argument: 'variant_id' (it takes size(variant_id))" in output
