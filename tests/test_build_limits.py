"""A contributed Dockerfile's build is bounded too: identical inputs never wait on themselves, a
step past its time limit or its memory limit fails its variant alone, with a message that says
which limit, and leaves nothing behind."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker
import pytest
from macros.engine import cleanup, images, memory
from macros.model.cache import ResultCache
from macros.model.settings import Settings

from tests.helpers import NAMESPACE, REPO, cli, container_ids, seeded_cache, write_variants

COLD_SHARED = 3  # real variants both checkouts measure at once

pytestmark = pytest.mark.docker
HELLO = '    expect: {exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}'


def test_a_copy_of_a_variant_is_measured_once_and_shown_under_both_ids(client: docker.DockerClient,
                                                                       tmp_path: Path) -> None:
    """The contributor's copy (same Dockerfile, same context: the same cache key) used to take the
    key's lock twice and wait on itself for ever, from an empty cache."""
    scratch = (REPO / "dockerfiles" / "Dockerfile.scratch").read_text()
    path = write_variants(tmp_path, {"pytest-orig": (scratch, HELLO), "pytest-copy": (scratch, HELLO)})
    started = time.monotonic()
    done = cli("measure", "--json", str(tmp_path / "results.json"), variants=path,
               cache=seeded_cache(tmp_path / "cache"), timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "pytest-orig, pytest-copy: the same inputs, measured once and shown under each id" in said
    assert said.count(": building ") == 1 and "(2 measured, 0 reused" in said, said
    shown = {v["id"]: v for v in json.loads((tmp_path / "results.json").read_text())["variants"]}
    assert shown["pytest-orig"]["image_id"] == shown["pytest-copy"]["image_id"]
    for vid in shown:
        assert images.inspect_image(client, f"{NAMESPACE}/{vid}:latest")["Id"] == shown[vid]["image_id"]
    print(f"measured both in {time.monotonic() - started:.1f}s")


def _cgroups() -> set[str]:
    """Our cgroup folders: the meters, by run, and the builds' memory caps."""
    return set(memory.leftover_meters()) | {str(f) for f in memory.leftover_caps()}


def test_a_step_under_the_memory_limit_is_reused_by_the_next_build(client: docker.DockerClient,
                                                                   tmp_path: Path) -> None:
    """BuildKit keys a RUN step's cache by the cgroup parent it runs under: a cap per build made
    every build compile everything again. Two doc builds, one after the other, each with a variant
    whose first stage is the other's: the second build's step is taken from the layer cache."""
    token = uuid.uuid4().hex  # a step no earlier run made (tmp_path's name is the same in every run)
    stage = f"FROM debian:bullseye AS stage\nRUN echo {token} > /f\n"
    said = f'    binary: ""\n    expect: {{exit_code: 0, stdout: "{token}\\n"}}'
    entries = {vid: (f'{stage}FROM debian:bullseye\nCOPY --from=stage /f /{vid}\nCMD ["cat", "/{vid}"]\n', said)
               for vid in ("pytest-first", "pytest-second")}
    logs = []
    for vid in entries:
        folder = tmp_path / vid
        folder.mkdir()
        cache = seeded_cache(folder / "cache")
        done = cli("measure", variants=write_variants(folder, {vid: entries[vid]}), cache=cache)
        assert done.returncode == 0, done.stdout + done.stderr
        stored = ResultCache(cache / "results")
        [log] = [m.build_log for p in (cache / "results").glob("*.json") if (m := stored.get(p.stem))]
        logs.append(log)
    step = re.compile(r"^(#\d+) \[stage 2/2\] RUN echo", re.M)
    first, second = (step.search(log) for log in logs)
    assert first and second, logs
    assert f"{first.group(1)} DONE" in logs[0], logs[0]  # it ran the first time
    assert f"{second.group(1)} CACHED" in logs[1], logs[1]  # and was reused the second


def _dangling(client: docker.DockerClient) -> set[str]:
    return {i["Id"] for i in client.api.images(filters={"dangling": True})}


def test_a_step_past_its_time_limit_fails_its_variant_alone(client: docker.DockerClient, tmp_path: Path) -> None:
    before, dangling, meters = container_ids(client), _dangling(client), _cgroups()
    path = write_variants(tmp_path, {
        "pytest-hangs": (f"FROM debian:bullseye\nRUN echo {tmp_path.name} > /f\nRUN sleep 100000\n",
                         '    binary: ""\n    build_timeout_s: 10\n    expect: {exit_code: 0}'),
        "pytest-fine": ('FROM debian:bullseye\nCMD ["echo", "fine"]\n',
                        '    binary: ""\n    expect: {exit_code: 0, stdout: "fine\\n"}'),
    })
    cache = seeded_cache(tmp_path / "cache")
    started = time.monotonic()
    done = cli("measure", variants=path, cache=cache, timeout=120)
    took = time.monotonic() - started
    said = done.stdout + done.stderr
    assert done.returncode == 1 and took < 30, (took, said)
    assert re.search(r"variant 'pytest-hangs' \(.*Dockerfile.pytest-hangs\): build stopped at \[3/3\] "
                     r"RUN sleep 100000: it ran past its time limit of 10 s \(build_timeout_s\)", said), said
    assert "one of the two variants failed: pytest-hangs" in said and "Traceback" not in said
    stored = [ResultCache(cache / "results").get(p.stem) for p in (cache / "results").glob("*.json")]
    assert [m.stdout for m in stored if m is not None] == ["fine\n"]  # the other one measured and cached
    assert container_ids(client) == before  # no build container left
    assert _dangling(client) <= dangling  # and no image of a step
    assert _cgroups() <= meters, "a build left its cgroup behind"


def test_a_step_past_its_memory_limit_says_so(client: docker.DockerClient, tmp_path: Path) -> None:
    before, dangling, meters = container_ids(client), _dangling(client), _cgroups()
    # tail keeps a whole "line" in memory, and /dev/zero has no line ends: 512 MiB against 64
    path = write_variants(tmp_path, {"pytest-greedy": (
        f"FROM debian:bullseye\nRUN echo {tmp_path.name} && head -c 512m /dev/zero | tail -n 1 > /dev/null\n",
        '    binary: ""\n    build_memory_mib: 64\n    expect: {exit_code: 0}')})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"), timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "build failed at [2/2] RUN echo" in said and "hit its memory limit of 64 MiB (build_memory_mib)" in said
    assert container_ids(client) == before and _dangling(client) <= dangling
    assert _cgroups() <= meters, "a build left its cgroup behind"


def test_two_builds_from_two_checkouts_both_publish_correct_numbers(client: docker.DockerClient, tmp_path: Path,
                                                                     cache_dir: Path, site: Path) -> None:
    """Two `mkdocs build`s at once, each in its own checkout and cache, each with a variant only it
    has (cold) besides the real ones they share. Both caches hold the cold site build's
    measurements but for the same few real variants, which both builds then measure at once (a
    whole cold build each would measure the same way, over minutes)."""
    # the cache also keeps results of keys no longer current (tests that moved a base): take the
    # entries of images this build published, so that each deleted entry makes a variant cold
    published = {v["image_id"]: v["id"] for v in json.loads((site / "results.json").read_text())["variants"]}
    shared_cold = [p for p in sorted((cache_dir / "results").glob("*.json"))
                   if json.loads(p.read_text()).get("image_id") in published][:COLD_SHARED]
    cold_ids = {published[json.loads(p.read_text())["image_id"]] for p in shared_cold}
    outs = []
    procs = []
    for name in ("one", "two"):
        checkout = tmp_path / name
        shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "site", "__pycache__"))
        shutil.copytree(cache_dir, checkout / ".cache")
        for result in shared_cold:
            (checkout / ".cache" / "results" / result.name).unlink()
        variants_file = checkout / "dockerfiles" / "variants.yml"
        (checkout / "dockerfiles" / f"Dockerfile.pytest-{name}").write_text(
            f'FROM debian:bullseye\nRUN echo {tmp_path.name}-{name} > /who\nCMD ["cat", "/who"]\n')
        variants_file.write_text(variants_file.read_text() + f"\n  - id: pytest-{name}\n    title: {name}\n"
                                 f"    description: Only checkout {name} has it.\n    binary: \"\"\n"
                                 f"    expect: {{exit_code: 0, stdout: \"{tmp_path.name}-{name}\\n\"}}\n")
        outs.append(checkout / "site")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(outs[-1])], cwd=checkout, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_CACHE": str(checkout / ".cache")}))
    logs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [log[-3000:] for log in logs]
    for name, out in zip(("one", "two"), outs, strict=True):
        results = json.loads((out / "results.json").read_text())
        for v in results["variants"]:
            assert client.api.inspect_image(v["image_id"])["Size"] == v["store_bytes"] >= v["size_bytes"] > 0, v["id"]
        mine = next(v for v in results["variants"] if v["id"] == f"pytest-{name}")
        assert mine["stdout"] == f"{tmp_path.name}-{name}\n" and f"pytest-{name}" in results["build"]["measured"]
        assert len(shared_cold) == COLD_SHARED and cold_ids <= set(results["build"]["measured"]), results["build"]


def test_clean_beside_a_build_waits_for_it(client: docker.DockerClient, settings: Settings, tmp_path: Path) -> None:
    """Our removal of untagged images (`clean`, the tests' clean-up) runs over and over beside a
    build. Between two steps a running build's newest image is untagged and ours too: deleting it
    failed the build ("unknown parent image ID", 15 builds of 15 here). Now each removal waits
    until no build of ours runs, and the build goes through without even a second try."""
    steps = "".join(f"RUN echo {n} > /{n}\n" for n in range(8))
    path = write_variants(tmp_path, {"pytest-steps": (
        f'FROM debian:bullseye\nRUN echo {tmp_path.name} > /a\n{steps}CMD ["cat", "/a"]\n',
        f'    binary: ""\n    expect: {{exit_code: 0, stdout: "{tmp_path.name}\\n"}}')})
    build = subprocess.Popen([sys.executable, "-m", "macros", "measure"], cwd=REPO, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env={**os.environ, "SMALLEST_GO_VARIANTS": str(path),
                                  "SMALLEST_GO_CACHE": str(seeded_cache(tmp_path / "cache"))})
    removals = 0
    try:
        while build.poll() is None:
            cleanup.remove_ours(client, namespace=NAMESPACE, engine_lock=settings.engine_lock)
            removals += 1
        built = build.communicate(timeout=120)[0]
    finally:
        build.kill()
    assert build.returncode == 0 and "pytest-steps: ran in" in built, built
    assert "lost an intermediate image" not in built, built  # not even once, then built again
    assert removals >= 1
