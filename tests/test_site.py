"""End to end: build the real site with --strict and check it against the files and the engine."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.helpers import seeded_cache

REPO = Path(__file__).resolve().parent.parent
SIZE = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:[kKMG]i?B|bytes)\b")


def _build(out: Path, cache: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_CACHE": str(cache)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_cache(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    """A cold build: an empty cache, so every variant is built, run and measured."""
    out = tmp_path_factory.mktemp("site")
    log = _build(out, cache_dir)
    assert "4 measured, 0 reused" in log, log[-2000:]
    return out


@pytest.fixture(scope="module")
def results(site: Path) -> dict[str, Any]:
    return json.loads((site / "results.json").read_text())


def _code_block(page: str, title: str) -> str:
    """The text of the code block with this title, tags stripped and entities decoded."""
    at = page.index(f'<span class="filename">{title}</span>')
    code = page[at:].split("<code>", 1)[1].split("</code>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", code))


@pytest.mark.docker
def test_published_dockerfiles_are_the_file_bytes(site: Path) -> None:
    page = (site / "index.html").read_text()
    for path in sorted((REPO / "dockerfiles").glob("Dockerfile.*")):
        assert _code_block(page, f"dockerfiles/{path.name}") == path.read_text()


@pytest.mark.docker
def test_results_json_agrees_with_the_engine(results: dict[str, Any], client: docker.DockerClient) -> None:
    assert results["schema"] == 1 and results["engine"]["version"]
    assert {v["id"] for v in results["variants"]} == {"debian", "distroless", "distroless-nonroot", "scratch"}
    for v in results["variants"]:
        inspect = client.api.inspect_image(v["image_id"])
        assert v["size_bytes"] == inspect["Size"], v["id"]
        assert v["verified"] is True
        for key in ("dockerfile", "size_human", "compressed_bytes", "layers", "exit_code", "stdout", "stderr"):
            assert key in v
    for b in results["bases"]:
        assert client.api.inspect_image(b["reference"])["Id"] == b["image_id"]


@pytest.mark.docker
def test_sizes_on_the_page_are_the_measured_ones(site: Path, results: dict[str, Any]) -> None:
    page = (site / "index.html").read_text()
    for v in results["variants"]:
        assert f"<strong>{v['size_human']}</strong>" in page
        assert f"{v['size_bytes']:,}" in page
    assert (site / "methodology" / "index.html").is_file() and (site / "contributing" / "index.html").is_file()


def test_no_page_holds_a_hand_typed_size() -> None:
    """Numbers in prose come from macros; a size typed into a page would go stale."""
    for page in (REPO / "docs").rglob("*.md"):
        prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", page.read_text(), flags=re.S)
        assert not SIZE.findall(prose), f"{page.relative_to(REPO)}: hand-typed size {SIZE.findall(prose)}"


@pytest.mark.docker
def test_warm_rebuild_reuses_every_measurement(site: Path, cache_dir: Path, results: dict[str, Any],
                                               tmp_path: Path) -> None:
    log = _build(tmp_path / "again", cache_dir)
    assert "0 measured, 4 reused from the cache, 0 exports" in log
    assert "building dockerfiles/" not in log
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    assert [v["size_bytes"] for v in again["variants"]] == [v["size_bytes"] for v in results["variants"]]
    assert all(v["reused"] for v in again["variants"]) and not any(v["reused"] for v in results["variants"])
    assert "reused" in (tmp_path / "again" / "index.html").read_text()
