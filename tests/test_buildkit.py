"""Dockerfiles written the way 2026 guides write them build, on BuildKit: a contributor's variants
with a cache mount, a bind mount, `COPY --link`, a `# syntax=` line and heredocs are built, run,
verified and measured; a frontend that would have to be fetched is refused by its line. And the
reading of BuildKit's progress and of the syntax line, as pure logic."""
from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import docker
import pytest
from macros.engine import buildkit, context, explain, images
from macros.engine.buildkit import Progress
from macros.engine.connection import endpoint
from macros.engine.frontend import frontend
from macros.errors import BuildError, RegistryError
from macros.measure.registry import OnDemand
from macros.measure.variant import build_variant
from macros.model import variants
from macros.model.cache import ResultCache
from macros.model.settings import Settings

from tests.helpers import NAMESPACE, REPO, cli, seeded_cache, write_variants

HELLO = '    expect: {exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}'

MOUNTS_AND_LINK = """# syntax=docker/dockerfile:1
FROM golang:1.27-trixie AS build
WORKDIR /src
RUN --mount=type=bind,target=. \\
    --mount=type=cache,target=/root/.cache/go-build \\
    CGO_ENABLED=0 go build -trimpath -o /main .

# a stage the other does not need: BuildKit builds the two side by side
FROM golang:1.27-trixie AS zone
RUN mkdir /out && cp /usr/share/zoneinfo/UTC /out/UTC

FROM scratch
COPY --link --from=zone /out/UTC /usr/share/zoneinfo/UTC
COPY --link --from=build /main /main
ENTRYPOINT ["/main"]
"""

HEREDOCS = """FROM golang:1.27-trixie AS build
WORKDIR /src
COPY <<EOF go.mod
module example.com/heredoc

go 1.21
EOF
COPY <<EOF main.go
package main

func main() { println("Hello, World!") }
EOF
RUN <<EOF
set -eu
CGO_ENABLED=0 go build -o /main .
EOF

FROM scratch
COPY --from=build /main /main
ENTRYPOINT ["/main"]
"""


@pytest.mark.docker
def test_todays_idioms_build_run_and_are_measured(tmp_path: Path) -> None:
    path = write_variants(tmp_path, {"pytest-mounts": (MOUNTS_AND_LINK, HELLO), "pytest-heredoc": (HEREDOCS, HELLO)})
    cache = seeded_cache(tmp_path / "cache")
    before = _scratch_folders()
    done = cli("measure", "--json", str(tmp_path / "results.json"), variants=path, cache=cache, timeout=600)
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in said, said
    assert _scratch_folders() <= before  # neither we nor buildx left a folder for the Dockerfile
    shown = {v["id"]: v for v in json.loads((tmp_path / "results.json").read_text())["variants"]}
    for vid in ("pytest-mounts", "pytest-heredoc"):
        assert shown[vid]["stderr"] == "Hello, World!\n" and shown[vid]["size_bytes"] > 0, shown[vid]
    # the build log is published beside the variant's page, from the stored measurement
    stored = [ResultCache(cache / "results").get(p.stem) for p in (cache / "results").glob("*.json")]
    [log] = [m.build_log for m in stored if m is not None and m.image_id == shown["pytest-mounts"]["image_id"]]
    assert "served by the engine's built-in Dockerfile frontend" in log, log
    assert "RUN --mount=type=bind,target=." in log and "COPY --link --from=build /main /main" in log, log
    assert "[zone 2/2] RUN mkdir /out" in log, log  # the parallel stage ran


# The variants are built for the declared platform, not the engine's own: on Docker Desktop on
# Apple silicon the engine is arm64, and the same Dockerfiles must give the same images as here.
# linux/386 stands for the other platform: a Dockerfile without RUN steps needs no emulator for it.
@pytest.mark.docker
def test_a_variant_is_built_for_the_declared_platform(client: docker.DockerClient, settings: Settings,
                                                      store: OnDemand, tmp_path: Path) -> None:
    path = write_variants(tmp_path, {"pytest-platform": ('FROM scratch\nCOPY main.go /main.go\n', HELLO)})
    [variant] = variants.load(replace(settings, variants_file=path))
    made: list[str] = []
    try:
        for platform in (settings.platform, "linux/386"):
            made.append(build_variant(client, variant, settings=replace(settings, platform=platform)).image_id)
            assert images.platform_of(client.api.inspect_image(made[-1])) == platform
        # and the registry, which sizes every image, refuses one of another platform
        with pytest.raises(RegistryError) as caught:
            store.push(made[-1], f"{NAMESPACE}/{variant.id}")
        assert caught.value.message.endswith(": the image is for linux/386; every image here is measured for "
                                             "linux/amd64")
        assert caught.value.hint.startswith("Pull the linux/amd64 image of that name")
    finally:
        for image_id in made:  # with every tag it carries, the registry's local name among them
            client.api.remove_image(image_id, force=True)


# BuildKit says `"/go.mod": not found` whether the folder lacks the file or an ignore file keeps it
# out; only the second surprises, as the file is there to see: the message tells the two apart, and
# names the ignore file BuildKit read: the Dockerfile's own (`<its name>.dockerignore`), when it has one.
@pytest.mark.docker
@pytest.mark.parametrize(("ignore", "own", "source", "said"), [
    ("go.mod\n", None, "go.mod", "(go.mod is in app/, but its .dockerignore keeps it out of the build context)"),
    ("", "go.mod\n", "go.mod", "(go.mod is in app/, but {folder}/Dockerfile.pytest-not-sent.dockerignore keeps "
                              "it out of the build context)"),
    ("", None, "notes.txt", "(the build context, app/, has no notes.txt)"),
    ("", None, "--from=golang:1.27-trixie /notes.txt", ""),  # another image's files: not the context's to explain
], ids=["kept-out", "kept-out-by-the-dockerfiles-own", "absent", "from-an-image"])
def test_a_source_the_context_does_not_send_says_why(client: docker.DockerClient, settings: Settings, tmp_path: Path,
                                                      ignore: str, own: str | None, source: str, said: str) -> None:
    app = tmp_path / "app"
    app.mkdir()
    for name in ("main.go", "go.mod"):
        shutil.copy(REPO / "go-app" / name, app / name)
    (app / ".dockerignore").write_text(ignore)
    path = write_variants(tmp_path, {"pytest-not-sent": (f"FROM scratch\nCOPY {source} /\n",
                                                          '    context: app\n    binary: ""\n    expect: {exit_code: 0}')})
    if own is not None:
        (tmp_path / "Dockerfile.pytest-not-sent.dockerignore").write_text(own)
    [variant] = variants.load(replace(settings, variants_file=path), repo=tmp_path)
    with pytest.raises(BuildError) as failed:
        build_variant(client, variant, settings=settings)
    said = said.format(folder=tmp_path.name)
    assert failed.value.message.endswith(f'"/{source.split()[-1].strip("/")}": not found {said}'.rstrip()), \
        failed.value.message


# The files a context lists, which the cache key hashes, must be the files BuildKit is sent, or an
# edit to a file the key leaves out would not measure the variant again. Held against BuildKit
# itself, on patterns where docker-py's older rules (the key's until 2026-12-08) and BuildKit's part
# ways (a `!` pattern that brings back files under a folder left out; the ignore file left out by
# its own patterns) and on others that need care (cleaning, escapes, comments).
_TREE = ("a.go", "b.md", "README.md", "docs/keep.md", "docs/x.md", "vendor/m/v.go", "vendor/keep.go",
         "cmd/app/main.go", "cmd/app/README.md", "sub/dir/deep.txt", "space name.txt", ".hidden", "go.mod")
_PATTERNS = {
    "allow-go-anywhere": "*\n!**/*.go\n!go.mod\n",
    "all-but-go": "**\n!**/*.go\n",
    "allow-one-tree": "**\n!cmd/**\n",
    "folder-but-one-file": "vendor\n!vendor/keep.go\n",
    "deep-except-one": "**/*.md\n!docs/keep.md\n",
    "dotfiles": ".*\n",
    "comments-and-spaces": "# a comment\n  b.md  \n  # a pattern, not a comment\n",
    "cleaned": "./docs/../b.md\n/sub/\n",
    "escape-and-class": "space\\ name.txt\n[ab].*\n",
}


@pytest.mark.docker
def test_the_files_a_context_lists_are_the_files_buildkit_receives(tmp_path: Path) -> None:
    differ = {}
    for name, patterns in _PATTERNS.items():
        root = tmp_path / name
        for rel in _TREE:
            (root / "ctx" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "ctx" / rel).write_text(rel)
        (root / "ctx" / ".dockerignore").write_text(patterns)
        (root / "Dockerfile").write_text("FROM scratch\nCOPY . /ctx/\n")
        subprocess.run([*buildkit.BUILDX, "build", "--progress=quiet", "--output", f"type=local,dest={root / 'out'}",
                        "--file", str(root / "Dockerfile"), str(root / "ctx")],
                       env=buildkit.cli_env(), check=True, capture_output=True)
        received = {p.relative_to(root / "out" / "ctx").as_posix() for p in (root / "out" / "ctx").rglob("*")
                    if p.is_file()}
        ctx = context.for_folder(root / "ctx", root / "Dockerfile")
        listed = {f for f in ctx.files() if (root / "ctx" / f).is_file()}
        if listed != received:
            differ[name] = (sorted(listed - received), sorted(received - listed))
    assert differ == {}, differ  # pattern: (listed only, received only)


# An author who builds for several platforms has often made a builder of their own the CLI's
# current one (`docker buildx create --use`: BuildKit in a container of its own). The builds still
# go to the engine's own builder, so the image lands in the engine, under the memory cap, and the
# builder named on the pages is the one that built it. Here that other builder could not even
# start: its BuildKit image would have to be pulled.
@pytest.mark.docker
def test_builds_go_to_the_engines_own_builder_whichever_the_cli_has_selected(
        client: docker.DockerClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))  # the author's own config stays as it is
    monkeypatch.setenv("DOCKER_HOST", endpoint())
    engines_own = buildkit.describe()
    assert engines_own.buildkit, engines_own

    def buildx(*args: str) -> str:
        return subprocess.run(["docker", "buildx", *args], capture_output=True, text=True, check=True).stdout

    buildx("create", "--name", "pytest-elsewhere", "--driver", "docker-container", "--use")
    try:
        assert buildx("inspect").startswith("Name:          pytest-elsewhere")  # where the CLI alone would build
        assert buildkit.describe() == engines_own
        path = write_variants(tmp_path, {"pytest-own-builder": ('FROM scratch\nCOPY main.go /main.go\n', HELLO)})
        [variant] = variants.load(replace(settings, variants_file=path))
        image_id = build_variant(client, variant, settings=settings).image_id
        client.api.remove_image(image_id, force=True)
    finally:
        buildx("rm", "pytest-elsewhere")


def _scratch_folders() -> set[Path]:
    """The temporary folders a build makes: ours, and the one buildx makes for `--file -`."""
    tmp = Path(tempfile.gettempdir())
    return {*tmp.glob("dockerfile*"), *tmp.glob("smallest-go-build-*")}


# A frontend to fetch is refused before any build; a -labs tag is served by the built-in frontend,
# with the stable syntax only, and without the reason the builder's "unknown flag: exclude" would
# read as a typo in a Dockerfile a guide taught.
@pytest.mark.docker
@pytest.mark.parametrize(("syntax", "copy", "said_first"), [
    ("example.org/my/frontend:2", "COPY",
     "line 1 `# syntax=example.org/my/frontend:2` names a Dockerfile frontend image"),
    ("docker/dockerfile:1.7-labs", "COPY --exclude=*.md",
     "unknown flag: exclude (line 1 `# syntax=docker/dockerfile:1.7-labs` is served by the engine's built-in "
     "frontend"),
], ids=["frontend-to-fetch", "labs-flag"])
def test_a_syntax_line_the_engine_cannot_serve_is_named(tmp_path: Path, syntax: str, copy: str,
                                                         said_first: str) -> None:
    path = write_variants(tmp_path, {"pytest-frontend": (
        f"# syntax={syntax}\nFROM scratch\n{copy} main.go /main.go\n", '    binary: ""\n    expect: {exit_code: 0}')})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"), timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in said, said
    assert said_first in said, said


# BuildKit's own words for these ("secret token: not found", "unset ssh forward key default") do not
# say that the doc build gives a build neither: the hint does.
@pytest.mark.docker
@pytest.mark.parametrize("mount", ["type=secret,id=token,required=true", "type=ssh,required=true"],
                         ids=["secret", "ssh"])
def test_a_step_that_needs_a_secret_or_an_ssh_agent_is_told_the_build_gives_none(tmp_path: Path, mount: str) -> None:
    path = write_variants(tmp_path, {"pytest-not-given": (
        f"FROM debian:trixie\nRUN --mount={mount} true\n", '    binary: ""\n    expect: {exit_code: 0}')})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"), timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in said, said
    assert f"build failed at [stage-0 2/2] RUN --mount={mount} true: " in said, said
    assert explain.NOT_GIVEN_HINT in " ".join(said.split()), said


# An `ADD --checksum` whose download does not match fails in BuildKit's words as a digest mismatch,
# even when the server answered with an error (BuildKit hashes the error's answer); the message says
# how the URL answers. The server is one of ours on this machine's loopback, where the engine's
# builder fetches from.
@pytest.mark.docker
@pytest.mark.parametrize(("name", "said"), [
    ("missing", "answers 404 File not found here: with --checksum, BuildKit hashes the error's answer as if it were "
                "the file, so the first digest is not the file's; check the URL)"),
    ("present", "answers 200 OK here: the file it serves is not the one --checksum pins)"),
])
def test_an_add_whose_checksum_does_not_match_says_how_the_url_answers(
        client: docker.DockerClient, settings: Settings, tmp_path: Path, name: str, said: str) -> None:
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "present").write_text("not what the checksum pins\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{name}"
    try:
        path = write_variants(tmp_path, {"pytest-checksum": (
            f"FROM scratch\nADD --checksum=sha256:{'0' * 63}1 {url} /x\n",
            '    context: served\n    binary: ""\n    expect: {exit_code: 0}')})
        [variant] = variants.load(replace(settings, variants_file=path), repo=tmp_path)
        with pytest.raises(BuildError) as failed:
            build_variant(client, variant, settings=settings)
    finally:
        server.shutdown()
    assert "digest mismatch sha256:" in failed.value.message, failed.value.message
    assert failed.value.message.endswith(f" ({url} {said}"), failed.value.message


def test_the_built_in_syntax_line_leaves_every_other_line_where_it_was() -> None:
    text = "# syntax=docker/dockerfile:1.7\n# escape=`\nFROM scratch\nCOPY a /a\n"
    served = frontend(text, "v")
    assert served.text.split("\n")[2:] == text.split("\n")[2:] and served.text.startswith("# escape=`\n#\n")
    assert served.line == "line 1 `# syntax=docker/dockerfile:1.7`" and "built-in" in served.note
    below = frontend("FROM scratch\n# syntax=docker/dockerfile:1\n", "v")  # below the first instruction: a comment
    assert below == ("FROM scratch\n# syntax=docker/dockerfile:1\n", "") and below.note == ""
    for other in ("docker/dockerfile:2", "docker/dockerfile-upstream:master", "example.org/x:1"):
        with pytest.raises(BuildError, match="names a Dockerfile frontend image"):
            frontend(f"# syntax={other}\nFROM scratch\n", "v")


def test_progress_names_the_step_that_failed_was_cancelled_or_runs() -> None:
    lines = ["#1 [internal] load build definition from Dockerfile", "#1 DONE 0.0s",
             "#5 [build 2/4] RUN go build", "#6 [build 3/4] RUN sleep 100", "#5 0.138 ERROR: looks like a failure",
             "#5 DONE 4.3s"]
    progress = Progress()
    ended = [progress.saw(line) for line in lines]
    assert ended == [None, ("[internal] load build definition from Dockerfile", "0.0s"), None, None, None,
                     ("[build 2/4] RUN go build", "4.3s")]  # a step's own output never ends it
    assert progress.step() == "[build 3/4] RUN sleep 100" and not progress.failed
    assert progress.saw("#6 CANCELED") == ("[build 3/4] RUN sleep 100", "cancelled")
    progress.saw("ERROR: failed to solve: Canceled: context canceled")
    assert progress.step() == "[build 3/4] RUN sleep 100"
    assert progress.solve_error == "failed to solve: Canceled: context canceled"
    failing = Progress()
    said = [failing.saw(line) for line in ("#7 [2/2] RUN exit 3", "#7 ERROR: process \"/bin/sh -c exit 3\" did not "
                                           "complete successfully: exit code: 3", "#8 [1/2] FROM x", "#8 CACHED")]
    assert said == [None, ("[2/2] RUN exit 3", "failed"), None, ("[1/2] FROM x", "cached")]  # a failure is not "cached"
    assert failing.step() == "[2/2] RUN exit 3" and failing.error.endswith("exit code: 3")
    long = Progress()
    long.saw(f"#9 [1/1] ADD https://example.org/{'x' * 200} /y")
    assert long.step() == f"[1/1] ADD https://example.org/{'x' * 200} /y"[:139] + "…"


def test_a_checksum_mismatch_is_explained_only_for_one_url_that_answers() -> None:
    said = "digest mismatch sha256:aa: sha256:bb"
    unreachable = "http://127.0.0.1:1/x"  # nothing listens on port 1: no answer to report
    assert explain.checksum_mismatch(f"[1/1] ADD --checksum=sha256:bb {unreachable} /x", said, timeout_s=1) == ""
    assert explain.checksum_mismatch(f"[1/1] ADD {unreachable} /x", said) == ""  # no pin, no mismatch of ours
    assert explain.checksum_mismatch("[2/2] COPY --from=build /x /x", said) == ""
    assert explain.checksum_mismatch("[1/1] ADD --checksum=sha256:bb 'unclosed /x", said) == ""
