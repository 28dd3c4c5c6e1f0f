"""Faithful bases against the real engine: every stand-in is the image it is named after, as far
as upstream publishes it, and one that is not fails the build naming the base, the package or both
figures. Base names, packages and figures come from bases.yml and upstream.yml."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from macros.engine import labels
from macros.measure import bases, doc_build
from macros.model import upstream
from macros.model.settings import BASES_ENV, Settings

from tests.helpers import NAMESPACE, cli

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parent.parent
SETTINGS = Settings.read()
RAW = yaml.safe_load(SETTINGS.bases_file.read_text())  # anchors resolved: each entry whole
PUBLISHED = upstream.load(SETTINGS.upstream_file)


@pytest.fixture(scope="module")
def provisioned(client: docker.DockerClient) -> list[bases.BaseImage]:
    """Every base, present, sized from its layers and held against upstream, as a build does it."""
    return doc_build.provision(SETTINGS, bases.wanted_references(REPO / "dockerfiles"))[0]


def test_every_stand_in_with_a_published_record_matches_it(provisioned: list[bases.BaseImage]) -> None:
    held = {b.reference: b.fidelity for b in provisioned if b.fidelity is not None and b.fidelity.upstream}
    expected = {ref for ref, recipe in bases.load_recipes(SETTINGS).items()
                if (recipe.upstream or ref) in PUBLISHED and ref in {b.reference for b in provisioned}}
    assert set(held) == expected and expected
    for ref, f in held.items():
        assert f is not None and f.ok, (ref, f.summary())
    assert any(f is not None and f.accounts_source and f.runs_as_source for f in held.values())
    assert any(f is not None and f.config_source for f in held.values())


def _asked_of_apt(client: docker.DockerClient, image: str, package: str) -> dict[str, str]:
    """A package's installed version, apt's candidate and the security archive's version (if it
    has one), and whether the installed one is at least the security one: asked of apt and dpkg
    inside the image with the network on, so the archive itself answers."""
    script = (
        "apt-get -qq -o Acquire::Check-Valid-Until=false update >/dev/null 2>&1\n"
        f"installed=$(dpkg-query -W -f '${{Version}}' {package})\n"
        f"candidate=$(apt-cache policy {package} | sed -n 's/^ *Candidate: //p')\n"
        f"security=$(apt-cache madison {package} | awk -F' [|] ' '$3 ~ /-security/ {{print $2; exit}}')\n"
        'echo "installed=$installed"; echo "candidate=$candidate"; echo "security=$security"\n'
        '[ -z "$security" ] || { dpkg --compare-versions "$installed" ge "$security" && echo "covered=yes" || echo "covered=no"; }\n'
    )
    out = client.containers.run(image, ["sh", "-c", script], remove=True, labels=labels.ours("probe"),
                                stdout=True, stderr=True).decode()
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_each_debian_bootstrap_carries_the_archive_s_fixes(client: docker.DockerClient,
                                                           provisioned: list[bases.BaseImage]) -> None:
    """libc6 in each bootstrap is the newest the archives offer, and at least the security archive's."""
    bootstraps = [ref for ref, entry in RAW.items() if not ref.startswith("x-") and "debootstrap" in entry.get("prepare", {})]
    assert bootstraps
    asked = {ref: _asked_of_apt(client, ref, "libc6") for ref in bootstraps}
    for ref, found in asked.items():
        assert found["installed"] and found["installed"] == found["candidate"], (ref, found)
        assert found.get("covered", "yes") == "yes", (ref, found)
    assert any(found["security"] for found in asked.values()), asked  # the security archive was asked at all


def _throwaway(tmp_path: Path, entries: dict[str, dict[str, Any]], published: dict[str, Any]) -> dict[str, str]:
    """A recipes file and an upstream.yml of our own (recipe folders made absolute), and a
    Dockerfile that names the given bases in build stages only (so none is pushed to the
    registry): the environment `python -m macros bases --dockerfiles` needs."""
    for entry in entries.values():
        entry["recipe"] = str(SETTINGS.bases_file.parent / entry["recipe"])
    (tmp_path / "bases.yml").write_text(yaml.safe_dump(entries))
    (tmp_path / "upstream.yml").write_text(yaml.safe_dump(published))
    stages = "".join(f"FROM {ref} AS stage{n}\n" for n, ref in enumerate(entries))
    (tmp_path / "Dockerfile.uses").write_text(stages + "FROM scratch\n")
    return {BASES_ENV: str(tmp_path / "bases.yml")}


def _real_upstream() -> dict[str, Any]:
    return yaml.safe_load(SETTINGS.upstream_file.read_text())


def test_a_stand_in_missing_a_package_fails_the_build_naming_base_and_package(
        client: docker.DockerClient, provisioned: list[bases.BaseImage], tmp_path: Path) -> None:
    # the first stand-in whose recipe lists its packages and whose upstream publishes a package set
    ref = next(r for r, e in RAW.items() if not r.startswith("x-") and "PACKAGES" in e.get("build_args", {})
               and PUBLISHED.get(e.get("upstream", r)) and PUBLISHED[e.get("upstream", r)].packages)
    entry = dict(RAW[ref])
    kept = entry["build_args"]["PACKAGES"].split()
    dropped = kept.pop()
    test_ref = f"{NAMESPACE}/stand-in:without-{dropped}"
    entry |= {"build_args": {**entry["build_args"], "PACKAGES": " ".join(kept)}, "upstream": entry.get("upstream", ref)}
    env = _throwaway(tmp_path, {test_ref: entry}, _real_upstream())
    try:
        done = cli("bases", "--dockerfiles", str(tmp_path), env=env)
        assert done.returncode == 1, done.stdout + done.stderr
        said = done.stdout + done.stderr
        assert f"{test_ref}: one package missing against upstream" in said and dropped in said, said
        assert "Traceback" not in said and "--> Make the recipe follow its upstream definition again" in said
    finally:
        try:
            client.images.remove(test_ref, force=True)
        except docker.errors.ImageNotFound:
            pass


def test_a_stand_in_further_from_upstream_s_size_than_its_tolerance_fails_naming_both(
        client: docker.DockerClient, provisioned: list[bases.BaseImage], tmp_path: Path) -> None:
    # the first stand-in with a published size: its own recipe, and upstream's figure moved by 10%
    ref = next(r for r, e in PUBLISHED.items() if e.size is not None and r in RAW)
    ours = next(b for b in provisioned if b.reference == ref).size_bytes
    published = _real_upstream()
    published[ref]["size"]["bytes"] = round(ours * 1.1)
    env = _throwaway(tmp_path, {ref: dict(RAW[ref])}, published)
    done = cli("bases", "--dockerfiles", str(tmp_path), env=env)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert f"{ref}: {ours:,} bytes against upstream's {round(ours * 1.1):,}" in said and "past its tolerance of 2%" in said, said
    assert client.images.get(ref).id == next(b for b in provisioned if b.reference == ref).image_id  # not rebuilt


def test_a_stand_in_that_runs_as_another_user_than_upstream_s_fails_naming_both(
        client: docker.DockerClient, provisioned: list[bases.BaseImage], tmp_path: Path) -> None:
    # the first stand-in whose upstream says whom it runs as: its own recipe, and upstream's user
    # moved to another of its declared accounts
    ref = next(r for r, e in PUBLISHED.items() if e.user is not None and r in RAW)
    said_user = PUBLISHED[ref].user
    assert said_user is not None and PUBLISHED[ref].accounts is not None
    other = next(a for a in PUBLISHED[ref].accounts.users if a != said_user.account)
    published = _real_upstream()
    published[ref]["user"]["runs_as"] = other.name
    env = _throwaway(tmp_path, {ref: dict(RAW[ref])}, published)
    done = cli("bases", "--dockerfiles", str(tmp_path), env=env)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert f"{ref}: runs as {said_user.account}" in said and f"against upstream's {other}" in said, said
    assert "Traceback" not in said and "--> Make the recipe follow its upstream definition again" in said


def test_a_stand_in_whose_environment_is_not_upstream_s_fails_naming_the_variable_and_both_values(
        client: docker.DockerClient, provisioned: list[bases.BaseImage], tmp_path: Path) -> None:
    # the first stand-in whose upstream lists its configuration: its own recipe, and one more folder
    # on the front of upstream's value of the first variable it lists
    ref = next(r for r, e in PUBLISHED.items() if e.config is not None and r in RAW)
    said_config = PUBLISHED[ref].config
    assert said_config is not None
    name, value = said_config.env[0]
    published = _real_upstream()
    published[ref]["config"]["env"][name] = f"/elsewhere:{value}"
    env = _throwaway(tmp_path, {ref: dict(RAW[ref])}, published)
    done = cli("bases", "--dockerfiles", str(tmp_path), env=env)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert f"{ref}: {name}={value} against upstream's /elsewhere:{value}" in said, said
    assert "Traceback" not in said and "--> Make the recipe follow its upstream definition again" in said
    assert client.images.get(ref).id == next(b for b in provisioned if b.reference == ref).image_id  # not rebuilt
