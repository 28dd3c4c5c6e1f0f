"""End to end: build the real site with --strict and check it against the files and the engine."""
from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
import yaml
from macros.engine import buildkit, cleanup
from macros.measure import registry
from macros.model import variants
from macros.model.parts import CHAPTERS, PARTS, of_chapter
from macros.model.results_schema import RESULTS_SCHEMA
from macros.model.settings import Settings
from macros.model.sizes import human_size
from macros.pages.plugin import ARTICLE

from tests import prose
from tests.helpers import NAMESPACE, build_site

REPO = Path(__file__).resolve().parent.parent
DECLARED = variants.load(Settings.read())
SIZE = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:[kKMG]i?B|bytes)\b")


def _code_block(page: str, title: str) -> str:
    """The text of the code block with this title, tags stripped and entities decoded."""
    at = page.index(f'<span class="filename">{title}</span>')
    code = page[at:].split("<code>", 1)[1].split("</code>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", code))


def _built(site: Path, page: str) -> Path:
    """Where mkdocs writes a page of docs/ (directory URLs): index.md -> index.html, x.md -> x/index.html."""
    return site / ("index.html" if page == "index.md" else f"{page.removesuffix('.md')}/index.html")


def _detail(site: Path, variant_id: str) -> str:
    return (site / "variants" / variant_id / "index.html").read_text()


@pytest.mark.docker
def test_published_dockerfiles_are_the_file_bytes(site: Path) -> None:
    for v in DECLARED:
        assert _code_block(_detail(site, v.id), v.dockerfile_rel) == v.dockerfile.read_text(), v.id
    article = (site / "index.html").read_text()
    whole = [v for v in DECLARED if f'<span class="filename">{v.dockerfile_rel}</span>' in article]
    assert whole  # part one shows its first Dockerfile whole, and each later one as what changed
    for v in whole:
        assert _code_block(article, v.dockerfile_rel) == v.dockerfile.read_text(), v.id


@pytest.mark.docker
def test_results_json_agrees_with_the_engine(results: dict[str, Any], client: docker.DockerClient) -> None:
    assert results["schema"] == RESULTS_SCHEMA and results["engine"]["version"]
    assert [v["id"] for v in results["variants"]] == [v.id for v in DECLARED]
    for v, declared in zip(results["variants"], DECLARED, strict=True):
        inspect = client.api.inspect_image(v["image_id"])
        assert v["store_bytes"] == inspect["Size"] and v["layer_count"] == len(inspect["RootFS"]["Layers"]), v["id"]
        # the size leaves out what a layer copied up unchanged (test_pipeline makes one): never more
        assert v["size_bytes"] == sum(layer["size_bytes"] for layer in v["layers"]) <= v["store_bytes"], v["id"]
        assert client.api.inspect_image(v["tag"])["Id"] == v["image_id"] and v["tag"].startswith(f"{NAMESPACE}/")
        assert v["dockerfile_text"] == declared.dockerfile.read_text() and v["expected"] == declared.expect.describe()
        assert v["start_runs"] == (0 if v["start_error"] else Settings.read().start_runs)
        assert (v["start_s"] is None) == bool(v["start_error"])
    for b in results["bases"]:
        assert client.api.inspect_image(b["reference"])["Id"] == b["image_id"]
    # every image was built here and now, by the builder the CLI names today
    builder = buildkit.describe()
    assert builder.buildx and builder.buildkit
    assert {(v["buildx"], v["buildkit"]) for v in results["variants"]} == {(builder.buildx, builder.buildkit)}
    assert (results["engine"]["buildx"], results["engine"]["buildkit"]) == builder


@pytest.mark.docker
def test_transfer_sizes_are_what_the_registry_stores(results: dict[str, Any]) -> None:
    """Each variant's transfer size is the sum of its compressed layers and config in the manifest
    the registry serves (read here over the registry's own HTTP API)."""
    assert results["registry"]["version"] and results["registry"]["address"] == "127.0.0.1:5000"
    for v in results["variants"]:
        address, _, rest = v["registry_ref"].partition("/")
        repository, _, digest = rest.partition("@")
        manifest = requests.get(f"http://{address}/v2/{repository}/manifests/{digest}", timeout=10, headers={
            "Accept": "application/vnd.docker.distribution.manifest.v2+json"}).json()
        stored = sum(layer["size"] for layer in manifest["layers"]) + manifest["config"]["size"]
        assert v["transfer_bytes"] == stored, v["id"]


@pytest.mark.docker
def test_after_a_build_only_the_registry_of_ours_runs(site: Path, client: docker.DockerClient) -> None:
    ours = client.api.containers(all=True, filters={"label": ["io.smallest-go.managed=true"]})
    assert [(c["Labels"]["io.smallest-go.role"], c["State"]) for c in ours] == [("registry", "running")]
    assert {p.get("IP") for p in ours[0]["Ports"] if p.get("PublicPort")} == {"127.0.0.1"}


@pytest.mark.docker
def test_sizes_on_the_pages_are_the_measured_ones(site: Path, results: dict[str, Any]) -> None:
    overview = (site / "variants" / "index.html").read_text()
    for v in results["variants"]:
        page = _detail(site, v["id"])
        assert f"<td>{v['size_human']}</td>" in page and f"<td>{v['size_bytes']:,}</td>" in page, v["id"]
        assert f'<a href="../variants/{v["id"]}/">' in overview and f'<td style="text-align:right">{v["size_bytes"]:,}</td>' in overview
    article = "".join(_built(site, chapter).read_text() for chapter in CHAPTERS)
    for v in results["variants"]:
        assert f"{v['size_bytes']:,}" in article, v["id"]
    assert (site / "methodology" / "index.html").is_file() and (site / "contributing" / "index.html").is_file()


@pytest.mark.docker
def test_the_smallest_go_image_is_little_more_than_its_binary(results: dict[str, Any], client: docker.DockerClient) -> None:
    """The article's answer: the smallest verified Go image, with its size checked against the engine."""
    go = [v for v in results["variants"] if v["go_version"] or v["part"] == "binary"]
    go = [v for v in go if v["exit_code"] == 0 and not v["start_error"]]
    smallest = min(go, key=lambda v: v["size_bytes"])
    assert client.api.inspect_image(smallest["image_id"])["Size"] == smallest["size_bytes"]
    assert smallest["size_bytes"] <= 1.02 * smallest["binary_bytes"], smallest
    assert smallest["size_bytes"] <= 400_000, smallest
    floor = [v for v in results["variants"] if v["part"] == "floor"]
    assert floor and all(f["size_bytes"] < smallest["size_bytes"] for f in floor)


def test_no_page_holds_a_hand_typed_size() -> None:
    """Numbers in prose come from macros; a size typed into a page would go stale."""
    for page in (REPO / "docs").rglob("*.md"):
        prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", page.read_text(), flags=re.S)
        assert not SIZE.findall(prose), f"{page.relative_to(REPO)}: hand-typed size {SIZE.findall(prose)}"


@pytest.mark.docker
def test_warm_rebuild_reuses_every_measurement(site: Path, cache_dir: Path, results: dict[str, Any],
                                               tmp_path: Path) -> None:
    """Nothing changed: every measurement comes from the cache, checked against the engine. The
    docker CLI is not started (a `docker` first on PATH would say so): the builder that made the
    images is the one their measurements name."""
    spy = tmp_path / "bin"
    spy.mkdir()
    (spy / "docker").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'cli-calls'}\nexit 1\n")
    (spy / "docker").chmod(0o755)
    log = build_site(tmp_path / "again", cache_dir, env={"PATH": f"{spy}:{os.environ['PATH']}"})
    assert f"0 measured, {len(DECLARED)} reused" in log and "building dockerfiles/" not in log
    assert not (tmp_path / "cli-calls").exists()
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    assert again["build"]["measured"] == [] and again["build"]["pushes"] == 0
    assert again["engine"]["buildx"] == results["engine"]["buildx"] != ""
    assert again["engine"]["buildkit"] == results["engine"]["buildkit"] != ""
    assert [v["size_bytes"] for v in again["variants"]] == [v["size_bytes"] for v in results["variants"]]
    assert all(v["reused"] for v in again["variants"]) and not any(v["reused"] for v in results["variants"])
    assert "reused" in (tmp_path / "again" / "index.html").read_text()


@pytest.mark.docker
def test_a_result_from_the_cache_names_the_builder_that_made_it(site: Path, cache_dir: Path,
                                                                results: dict[str, Any], tmp_path: Path) -> None:
    """One stored result says an older buildx built its image (as after an upgrade of the CLI):
    its variants' pages say so, and the engine's row names both versions."""
    cache = tmp_path / "cache"
    shutil.copytree(cache_dir, cache)
    entry = next(iter(sorted((cache / "results").glob("*.json"))))
    stored = json.loads(entry.read_text())
    stored["buildx"] = older = "0.0.1-older"
    entry.write_text(json.dumps(stored))
    build_site(tmp_path / "again", cache)
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    assert again["build"]["measured"] == []
    made_older = {v["id"] for v in again["variants"] if v["image_id"] == stored["image_id"]}
    assert made_older and {v["id"] for v in again["variants"] if v["buildx"] == older} == made_older
    assert again["engine"]["buildx"] == ", ".join(sorted({older, results["engine"]["buildx"]}))
    assert "<td>0.0.1-older</td>" in _detail(tmp_path / "again", sorted(made_older)[0])
    methodology = _built(tmp_path / "again", "methodology.md").read_text()
    assert f"through buildx {again['engine']['buildx']}" in methodology


def _contributed(tmp_path: Path, extra: dict[str, tuple[str, str]]) -> Path:
    """A copy of the variants file and its Dockerfiles with `extra` entries (id -> Dockerfile,
    entry YAML without its id) appended, as a contributor adds them."""
    folder = tmp_path / "dockerfiles"
    folder.mkdir()
    for v in DECLARED:
        (folder / v.dockerfile.name).write_text(v.dockerfile.read_text())
    text = (REPO / "dockerfiles" / "variants.yml").read_text()
    for vid, (dockerfile, entry) in extra.items():
        (folder / f"Dockerfile.{vid}").write_text(dockerfile)
        text += f"\n  - id: {vid}\n{entry}"
    (folder / "variants.yml").write_text(text)
    return folder / "variants.yml"


@pytest.mark.docker
def test_a_base_changed_in_the_engine_alone_is_measured_again(site: Path, cache_dir: Path, tmp_path: Path,
                                                               client: docker.DockerClient) -> None:
    """No file changes, but the base was built again under the same name: its image ID is part of
    the variant's cache key, so the variant is measured again and the page shows the new output."""
    base = "pytest-warm-base:latest"

    def build_base(marker: str) -> str:
        dockerfile = f"FROM debian:bullseye\nRUN echo {marker} > /marker\n".encode()
        image, _ = client.images.build(fileobj=io.BytesIO(dockerfile), tag=base, rm=True)
        return str(image.id)

    variants_file = _contributed(tmp_path, {"pytest-warm": (
        f'FROM {base}\nCMD ["cat", "/marker"]\n',
        '    title: Warm\n    description: Its base changes under it.\n    binary: ""\n'
        '    expect: {exit_code: 0}\n')})
    first = build_base("one")
    try:
        log = build_site(tmp_path / "one", cache_dir, variants_file=variants_file)
        assert f"1 measured, {len(DECLARED)} reused" in log
        log = build_site(tmp_path / "held", cache_dir, variants_file=variants_file)
        assert f"0 measured, {len(DECLARED) + 1} reused" in log
        assert first != build_base("two")
        log = build_site(tmp_path / "two", cache_dir, variants_file=variants_file)
        shown = json.loads((tmp_path / "two" / "results.json").read_text())
        assert shown["build"]["measured"] == ["pytest-warm"]
        mine = next(v for v in shown["variants"] if v["id"] == "pytest-warm")
        assert mine["stdout"] == "two\n"
        page = _detail(tmp_path / "two", "pytest-warm")
        assert _code_block(page, f"docker run --rm {mine['tag']}: stdout") == "two\n"
        assert f"<td>{mine['size_bytes']:,}</td>" in page
    finally:  # the build pushed the base to size it: its registry name goes too
        for name in (base, f"{registry.address(Settings())}/{registry.mirror_name(base)}"):
            client.images.remove(name, force=True)


@pytest.mark.docker
def test_a_contributed_variant_gets_its_page_and_a_linked_row(site: Path, cache_dir: Path, tmp_path: Path) -> None:
    """One Dockerfile and one entry, as the "Add a variant" page says, and no change to docs/."""
    variants_file = _contributed(tmp_path, {"pytest-contributed": (
        'FROM debian:bullseye\nCMD ["echo", "contributed"]\n',
        '    title: "Contributed <b>here</b> {{ 7*7 }} $5"\n    description: A variant no page mentions.\n'
        '    binary: ""\n    expect: {exit_code: 0, stdout: "contributed\\n"}\n')})
    folder = variants_file.parent
    log = build_site(tmp_path / "site", cache_dir, variants_file=variants_file)
    assert f"1 measured, {len(DECLARED)} reused" in log
    page = _detail(tmp_path / "site", "pytest-contributed")
    shown = "Contributed &lt;b&gt;here&lt;/b&gt; {{ 7*7 }} $5"  # escaped, never a template, never a formula
    assert f"<title>{shown.replace('{', '&#123;').replace('}', '&#125;')} - " in page
    assert f'>{shown}<a class="headerlink"' in page and "<b>here" not in page and "</b> 49" not in page
    dockerfile = folder / "Dockerfile.pytest-contributed"
    assert _code_block(page, str(dockerfile)) == dockerfile.read_text()
    results = json.loads((tmp_path / "site" / "results.json").read_text())
    mine = next(v for v in results["variants"] if v["id"] == "pytest-contributed")
    assert f"<td>{mine['size_bytes']:,}</td>" in page and mine["stdout"] == "contributed\n"
    assert f'<a href="variants/pytest-contributed/">{shown}</a>' in \
        (tmp_path / "site" / "index.html").read_text()  # part one's table: the default part
    assert '<a href="../variants/pytest-contributed/">' in (tmp_path / "site" / "variants" / "index.html").read_text()
    nav = '<a href="variants/pytest-contributed/" class="md-nav__link">'
    assert nav in (tmp_path / "site" / "index.html").read_text()  # and the navigation lists it


@pytest.mark.docker
def test_results_json_follows_its_schema_and_the_csv_holds_the_same_rows(site: Path, results: dict[str, Any]) -> None:
    import csv

    import jsonschema

    schema = json.loads((REPO / "docs" / "results.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(results)  # raises, naming the field, if they drift apart
    assert (site / "results.schema.json").read_text() == (REPO / "docs" / "results.schema.json").read_text()
    with (site / "results.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [v["id"] for v in results["variants"]]
    for row, v in zip(rows, results["variants"], strict=True):
        assert (int(row["size_bytes"]), int(row["transfer_bytes"]), row["title"]) == \
            (v["size_bytes"], v["transfer_bytes"], v["title"]), v["id"]
    methodology = (site / "methodology" / "index.html").read_text()
    for field in schema["properties"]["variants"]["items"]["properties"]:
        assert f"<td>{field}</td>" in methodology, field
    made = methodology[methodology.index("What each follows"):].split("</ul>")[0]  # the stand-ins, described
    for base in results["bases"]:
        follows = bool(base["fidelity"] and base["fidelity"]["follows"])
        assert (f"<code>{base['reference']}</code>" in made) == follows, base["reference"]


@pytest.mark.docker
def test_the_newest_edition_runs_on_todays_bases(results: dict[str, Any]) -> None:
    """At least one verified variant on each of today's bases: the newest Debian, the newest
    distroless, and scratch with a binary of the newest Go; the releases come from bases.yml."""
    recipes = yaml.safe_load((REPO / "dockerfiles" / "bases" / "bases.yml").read_text())
    wheels = [r["prepare"]["go-wheel"]["version"] for r in recipes.values() if "go-wheel" in r.get("prepare", {})]
    newest_go = "go" + max(wheels, key=lambda v: tuple(map(int, v.split("."))))
    debians = [int(r["build_args"]["VERSION"]) for ref, r in recipes.items() if ref.startswith("debian:")
               and "VERSION" in r.get("build_args", {})]
    debian = next(ref for ref, r in recipes.items() if ref.startswith("debian:") and "-" not in ref
                  and r.get("build_args", {}).get("VERSION") == str(max(debians)))
    parents = {ref: r for ref, r in recipes.items() if ref.startswith("golang:")}
    on_debian = {ref for ref, r in parents.items() if r["build_args"].get("SUITE") == debian.split(":")[1]}
    distroless = f"gcr.io/distroless/static-debian{max(debians)}"
    ran = [v for v in results["variants"] if v["exit_code"] == 0 and not v["start_error"]]
    assert any(set(v["bases"]) & on_debian for v in ran), f"no verified variant built on {debian}"
    assert any(v["final_base"].split(":")[0] == distroless for v in ran), f"no verified variant on {distroless}"
    assert any(v["final_base"] == "scratch" and v["go_version"] == newest_go for v in ran), newest_go


@pytest.mark.docker
def test_contents_counts_the_files_docker_export_shows(results: dict[str, Any]) -> None:
    """One variant of each part: its regular files, as GNU tar lists `docker export`, less the
    engine's own empty placeholders, are what results.json says."""
    placeholders = {".dockerenv", "dev/console", "etc/hostname", "etc/hosts", "etc/resolv.conf"}
    first_of_part = {}
    for v in results["variants"]:
        first_of_part.setdefault(v["part"], v)
    for v in first_of_part.values():
        container = subprocess.run(["docker", "create", v["image_id"], "/nonexistent"], capture_output=True,
                                   text=True, check=True).stdout.strip()
        try:
            export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
            listing = subprocess.run(["tar", "-tvf", "-"], stdin=export.stdout, capture_output=True, text=True,
                                     check=True).stdout.splitlines()
            export.wait()
        finally:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=True)
        regular = [line for line in listing if line.startswith("-")]
        engine_own = [line for line in regular if line.split()[2] == "0" and line.split()[-1].removeprefix("./").lstrip("/") in placeholders]
        assert v["contents"]["files"] == len(regular) - len(engine_own), v["id"]


@pytest.mark.docker
def test_part_three_checks_come_from_the_outputs(site: Path, results: dict[str, Any]) -> None:
    """Scratch with the binary alone fails trust and time zones; the Go image on Debian passes every
    check: read from each run's output (results.json's checks), and the page shows the same, one
    column per check the program printed."""
    checked = [v for v in results["variants"] if "checks" in v]
    assert checked, "no variant runs the checks program"
    alone = min((v for v in checked if v["final_base"] == "scratch" and v["contents"]["files"] == 1),
                key=lambda v: v["size_bytes"])
    assert not alone["checks"]["trust"] and not alone["checks"]["time zones"], alone["stdout"]
    assert "x509: certificate signed by unknown authority" in alone["stdout"]
    debian = [v for v in checked if v["final_base"].startswith("golang:")]
    assert debian and all(all(v["checks"].values()) for v in debian), [v["stdout"] for v in debian]
    page = (site / "checks" / "index.html").read_text()
    for v in checked:
        row = page.split(f'href="../variants/{v["id"]}/">', 1)[1].split("</tr>", 1)[0]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert [c != "<strong>fails</strong>" for c in cells[2:2 + len(v["checks"])]] == list(v["checks"].values()), \
            v["id"]


@pytest.mark.docker
def test_each_variant_page_links_its_build_log_and_run(site: Path, results: dict[str, Any]) -> None:
    for v in results["variants"]:
        folder = site / "variants" / v["id"]
        page = (folder / "index.html").read_text()
        assert 'href="build.log"' in page and 'href="output.txt"' in page, v["id"]
        assert re.search(r"^#\d+ \[.*\] FROM ", (folder / "build.log").read_text(), re.M), v["id"]  # BuildKit's steps
        run = (folder / "output.txt").read_text()
        assert f"image: {v['image_id']}\n" in run and f"----- stdout: {v['stdout_bytes']:,} bytes" in run, v["id"]
        assert v["stdout"].rstrip("\n") in run and v["stderr"].rstrip("\n") in run, v["id"]


@pytest.mark.docker
def test_every_started_image_has_a_peak_and_survived_a_large_environment(results: dict[str, Any]) -> None:
    """With the engine's cgroupfs driver (this machine's) the peak is read from the kernel's memory
    cgroup, and with another driver it is null, never a guess; every image that starts ran once
    more with the large environment and did as declared."""
    wanted = Settings().large_environment_vars
    readable = results["engine"]["cgroup_driver"] == "cgroupfs"
    for v in results["variants"]:
        if v["start_runs"]:
            if readable:
                assert v["peak_memory_bytes"] and v["peak_memory_bytes"] > 100_000, v["id"]
            else:
                assert v["peak_memory_bytes"] is None, v["id"]
            assert v["large_environment_vars"] == wanted, v["id"]
        else:
            assert v["peak_memory_bytes"] is None and v["large_environment_vars"] == 0, v["id"]


def _grown_variant() -> variants.Variant:
    """A variant whose Dockerfile is its own and has a build stage to copy a file from."""
    uses = Counter(v.dockerfile for v in DECLARED)
    return next(v for v in DECLARED if uses[v.dockerfile] == 1 and len(re.findall(r"(?im)^FROM\s", v.parsed.text)) > 1
                and re.search(r"(?im)^FROM\s+(?!scratch)", v.parsed.text))


def _macros(checkout: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "macros", *args], cwd=checkout, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.docker
def test_history_records_two_builds_and_names_what_moved(site: Path, cache_dir: Path, tmp_path: Path,
                                                          client: docker.DockerClient) -> None:
    """In a copy of the checkout: build, record; grow one variant through its Dockerfile (with a
    tolerance of 0B declared); build; the guard fails naming it; record. Two records more, and the
    History page and the commands say which variant moved, by how much, and that the Dockerfile did."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "site", "__pycache__"))
    grown = _grown_variant()
    declared = yaml.safe_load((checkout / "dockerfiles" / "variants.yml").read_text())
    next(e for e in declared["variants"] if e["id"] == grown.id)["tolerance"] = "0B"
    (checkout / "dockerfiles" / "variants.yml").write_text(yaml.safe_dump(declared, sort_keys=False))
    history_file = checkout / "docs" / "data" / "history.jsonl"
    shipped = len(history_file.read_text().splitlines()) if history_file.is_file() else 0
    namespace = f"{NAMESPACE}-history"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_CACHE": str(cache_dir),
           "SMALLEST_GO_NAMESPACE": namespace}
    outs = [tmp_path / "one", tmp_path / "two"]

    def build(out: Path) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=checkout,
                              capture_output=True, text=True, timeout=1800, env=env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return next(v for v in json.loads((out / "results.json").read_text())["variants"] if v["id"] == grown.id)

    try:
        before = build(outs[0])
        recorded = _macros(checkout, env, "record", "--results", str(outs[0] / "results.json"))
        assert recorded.returncode == 0, recorded.stderr
        dockerfile = checkout / grown.dockerfile.relative_to(REPO)
        dockerfile.write_text(dockerfile.read_text() + "COPY --from=0 /etc/os-release /grown-by-the-history-test\n")
        after = build(outs[1])
    finally:
        cleanup.remove_ours(client, namespace=namespace, engine_lock=Settings().engine_lock)
    assert after["size_bytes"] > before["size_bytes"]
    sizes = (f"{before['size_bytes']:,} bytes", f"{after['size_bytes']:,} bytes")

    guarded = _macros(checkout, env, "guard", "--results", str(outs[1] / "results.json"))
    assert guarded.returncode == 1, guarded.stdout + guarded.stderr
    said = guarded.stdout + guarded.stderr  # the command's log goes to standard output
    assert f"{grown.id} grew past its tolerance of 0B: {grown.id}: " in said, said
    assert all(s in said for s in sizes) and "moved: Dockerfile" in said, said

    page = (outs[1] / "history" / "index.html").read_text()
    changed = page[page.index('id="what-changed-since-the-last-record"'):page.index('id="sizes-over-time"')]
    row = next(r for r in changed.split("<tr>") if f">{grown.id}</a>" in r)
    assert f"({before['size_bytes']:,} B)" in row and f"({after['size_bytes']:,} B)" in row and "Dockerfile" in row
    assert changed.count("<tr>") == 2, changed  # the heading and that one variant: nothing else moved
    charts = page[page.index('id="sizes-over-time"'):page.index('id="every-recorded-build"')]
    ticks = re.findall(r"<text [^>]*>([^<]*)</text>", charts)
    dated = [t for t in ticks if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t)]
    charts_drawn = ticks.count("this build")  # each chart: a point per record, then this build
    assert charts_drawn and len(dated) == (shipped + 1) * charts_drawn, ticks
    assert f"{grown.id}  {human_size(after['size_bytes'])}" in ticks, ticks  # its line ends at the new size

    recorded = _macros(checkout, env, "record", "--results", str(outs[1] / "results.json"))
    assert recorded.returncode == 0, recorded.stderr
    assert all(s in recorded.stdout for s in sizes) and "moved: Dockerfile" in recorded.stdout, recorded.stdout
    records = [json.loads(line) for line in history_file.read_text().splitlines()]
    assert len(records) == shipped + 2
    assert [r["variants"][grown.id]["size_bytes"] for r in records[-2:]] == [before["size_bytes"], after["size_bytes"]]
    assert records[-2]["variants"][grown.id]["dockerfile"] != records[-1]["variants"][grown.id]["dockerfile"]


@pytest.mark.docker
def test_the_chapters_and_parts_are_navigated_as_declared(site: Path, results: dict[str, Any]) -> None:
    """model/parts.py declares the article: its chapters lead the navigation, in their order, on
    every page; the overview has a section for each part outside the staircase, linked to its
    chapter; the History page draws a chart per chapter."""
    titles = [html.escape(title) for title in CHAPTERS.values()]
    for page in [_built(site, chapter) for chapter in CHAPTERS] + [site / "methodology" / "index.html"]:
        listed = re.findall(r'<span class="md-ellipsis">\s*(.*?)\s*</span>', page.read_text())
        section = listed[listed.index(ARTICLE):]  # the navigation's own section (the header names the page)
        assert list(dict.fromkeys(t for t in section if t in titles)) == titles, (page, listed)
    overview = (site / "variants" / "index.html").read_text()
    for part in (p for p in PARTS.values() if not p.staircase):
        chapter = "../" if part.chapter == "index.md" else f"../{part.chapter.removesuffix('.md')}/"
        assert f">{html.escape(part.title)}" in overview and html.escape(part.about) in overview, part
        assert f'<a href="{chapter}">Its chapter</a>' in overview, part
    history = (site / "history" / "index.html").read_text()
    charts = re.findall(r'aria-label="([^"]*): image size by recorded build"', history)
    told = {v["part"] for v in results["variants"]}
    assert charts == [title for chapter, title in CHAPTERS.items() if told & set(of_chapter(chapter))], charts


@pytest.mark.docker
def test_no_page_says_what_no_person_would_write(site: Path) -> None:
    """Generated sentences read as a person would write them: no "(s)", no "2 of the 2", no figure
    said twice (tests/prose.py; its unit test injects each kind)."""
    found = {str(page.relative_to(site)): prose.awkward(prose.text_of(page.read_text()))
             for page in site.rglob("*.html")}
    assert not {page: said for page, said in found.items() if said}


@pytest.mark.docker
def test_the_smallest_go_image_and_the_oldest_release_are_one_figure_everywhere(site: Path,
                                                                                 results: dict[str, Any]) -> None:
    """Wherever a sentence names the smallest Go image with a size, it is the size of today's
    edition's smallest Go variant; wherever it names the oldest point of the release sweep, it is
    the oldest Go release any binary recorded."""
    newest = max(v["edition"] for v in results["variants"] if v["edition"])
    go = [v for v in results["variants"] if v["edition"] == newest and v["part"] not in ("floor",)]
    smallest = min(go, key=lambda v: v["size_bytes"])
    releases = sorted({tuple(int(n) for n in re.findall(r"\d+", v["go_version"])[:2])
                       for v in results["variants"] if v["go_version"]})
    oldest = "Go {}.{}".format(*releases[0])
    sizes, olds = [], []
    for page in site.rglob("*.html"):
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", prose.text_of(page.read_text())):
            if "smallest Go image" in sentence:
                sizes += [(page.name, s) for s in re.findall(r"\d[\d.,]*\s?[kMG]?B\b", sentence)]
            olds += [(page.name, m) for m in re.findall(r"the oldest point, (Go \d+\.\d+)", sentence)]
    assert sizes and {s for _, s in sizes if not s.replace(",", "").rstrip("B ").isdigit()} == \
        {human_size(smallest["size_bytes"])}, sizes
    assert olds and {o for _, o in olds} == {oldest}, olds
