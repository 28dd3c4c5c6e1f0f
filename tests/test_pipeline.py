"""One variant through the real engine: build, run, verify, measure."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docker
import pytest
import requests
from macros.engine import connection, images
from macros.errors import BuildError, SizeError, VerificationError
from macros.measure import bases, diffs, registry
from macros.measure.registry import OnDemand
from macros.model import layer_files, variants
from macros.model.settings import Settings

from tests.helpers import NAMESPACE, REPO, go_version_of, measure_one, write_variants

pytestmark = pytest.mark.docker


def _variant(tmp_path: Path, expect: str, dockerfile: str = "Dockerfile.scratch") -> variants.Variant:
    text = (REPO / "dockerfiles" / dockerfile).read_text()
    [variant] = variants.load(Settings.read(), path=write_variants(tmp_path, {"pytest-scratch": (text, f"    expect: {expect}")}), repo=REPO)
    return variant


def test_scratch_variant_is_built_run_verified_and_measured(client: docker.DockerClient, tmp_path: Path, store: OnDemand) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}')
    result = measure_one(client, variant, store=store)
    inspect = client.api.inspect_image(result.image_id)
    assert result.size_bytes == inspect["Size"]
    assert result.layer_count == len(inspect["RootFS"]["Layers"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Hello, World!\n")
    assert result.go_version == go_version_of(variant.bases[0]) and result.start_error == ""
    assert 500_000 < result.binary_bytes < result.size_bytes
    assert 0 < result.transfer_bytes < result.size_bytes
    assert client.api.inspect_image(Settings.read().tag_of(variant.id))["Id"] == result.image_id
    assert not client.api.containers(all=True, filters={"label": "io.smallest-go.variant=pytest-scratch"})


def test_expectation_mismatch_fails_naming_the_variant(client: docker.DockerClient, tmp_path: Path, store: OnDemand) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stderr: "Goodbye\\n"}')
    with pytest.raises(VerificationError) as caught:
        measure_one(client, variant, store=store)
    message = str(caught.value)
    assert "pytest-scratch" in message and "Goodbye" in message and "Hello, World!" in message


def test_expected_failure_that_does_not_happen_fails(client: docker.DockerClient, tmp_path: Path, store: OnDemand) -> None:
    variant = _variant(tmp_path, '{fails_with: "unable to find user"}')
    with pytest.raises(VerificationError, match="ran and exited 0"):
        measure_one(client, variant, store=store)


def test_the_articles_distroless_dockerfile_really_fails_to_start(client: docker.DockerClient, tmp_path: Path,
                                                                  store: OnDemand) -> None:
    variant = _variant(tmp_path, '{fails_with: "unable to find user small-user"}', "Dockerfile.distroless")
    result = measure_one(client, variant, store=store)
    assert "unable to find user small-user" in result.start_error and result.start_runs == 0


def test_failing_run_step_names_the_step(client: docker.DockerClient, tmp_path: Path, store: OnDemand) -> None:
    path = write_variants(tmp_path, {"pytest-broken": ("FROM debian:bullseye\nRUN echo about to fail && exit 3\n",
                                                       "    expect: {exit_code: 0}")})
    [variant] = variants.load(Settings.read(), path=path, repo=REPO)
    with pytest.raises(BuildError) as caught:
        measure_one(client, variant, store=store)
    assert "pytest-broken" in str(caught.value) and "[2/2] RUN echo about to fail" in str(caught.value)
    assert "about to fail" in caught.value.log_tail


def _manifest(ref: str) -> dict:
    """The registry's manifest for <address>/<repository>@<digest>, read over its HTTP API."""
    address, _, rest = ref.partition("/")
    repository, _, digest = rest.partition("@")
    answer = requests.get(f"http://{address}/v2/{repository}/manifests/{digest}", timeout=10,
                          headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    answer.raise_for_status()
    return answer.json()


def test_the_transfer_size_is_what_the_registry_stores(client: docker.DockerClient, tmp_path: Path,
                                                       store: OnDemand) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}')
    result = measure_one(client, variant, store=store)
    manifest = _manifest(result.registry_ref)
    assert len(manifest["layers"]) == result.layer_count
    assert result.transfer_bytes == sum(layer["size"] for layer in manifest["layers"]) + manifest["config"]["size"]
    assert 0 < result.transfer_bytes < result.size_bytes
    assert images.inspect_image(client, result.registry_ref.split("@")[0] + ":latest")["Id"] == result.image_id


def test_sizes_are_counted_from_the_layers_and_overlay2_must_agree(client: docker.DockerClient, tmp_path: Path,
                                                                  store: OnDemand,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The size is counted from the pushed layers; on overlay2 the engine's own figure must be the
    same. A count that drifted (here: one byte more per regular file) stops the build, naming the
    image, instead of publishing another number."""
    assert connection.facts(client).counts_like_overlay2, "this test needs an engine on overlay2"
    variant = _variant(tmp_path, '{exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}')
    result = measure_one(client, variant, store=store)
    assert result.size_bytes == result.store_bytes == client.api.inspect_image(result.image_id)["Size"]
    assert sum(layer.size_bytes for layer in result.layers) == result.size_bytes
    assert max(layer.size_bytes for layer in result.layers) >= result.binary_bytes  # the COPY of the binary
    assert all(layer.size_bytes == 0 for layer in result.layers if "CMD" in layer.created_by)  # made no layer

    counted = layer_files.entry_bytes
    monkeypatch.setattr(layer_files, "entry_bytes", lambda member: counted(member) + member.isreg())
    fresh = OnDemand(client, store.image_id, settings=Settings(cache_dir=tmp_path / "fresh", namespace=NAMESPACE,
                                                               shared_cache_dir=tmp_path / "fresh"), engine=store.engine)
    with pytest.raises(SizeError) as caught:
        measure_one(client, variant, store=fresh)
    assert result.image_id in caught.value.message and "overlay2" in caught.value.message
    assert f"{result.size_bytes:,}" in caught.value.message


def test_a_file_copied_up_unchanged_is_in_the_engines_figure_and_not_in_the_size(
        client: docker.DockerClient, tmp_path: Path, store: OnDemand) -> None:
    """Opening a file for writing and writing nothing (`>>` with no output) makes overlayfs copy
    it up: overlay2 keeps the copy in the new layer and counts it, the containerd store's differ
    leaves it out. The size leaves it out on every engine; the engine's figure here still has it,
    and the build checks that figure against the layers as overlay2 counts them."""
    assert connection.facts(client).counts_like_overlay2, "this test needs an engine on overlay2"
    dockerfile = 'FROM debian:bullseye\nRUN : >> /etc/debian_version\nCMD ["true"]\n'
    path = write_variants(tmp_path, {"pytest-copy-up": (dockerfile, '    binary: ""\n    expect: {exit_code: 0}')})
    [variant] = variants.load(Settings.read(), path=path, repo=REPO)
    result = measure_one(client, variant, store=store)
    shipped = client.containers.create(result.image_id)
    try:
        copied = int(shipped.get_archive("/etc/debian_version")[1]["size"])
    finally:
        shipped.remove()
    base = client.api.inspect_image("debian:bullseye")["Size"]
    assert copied > 0 and result.store_bytes == client.api.inspect_image(result.image_id)["Size"] == base + copied
    assert result.size_bytes == result.store_bytes - copied  # the RUN layer changed nothing
    assert [layer.size_bytes for layer in result.layers if "/etc/debian_version" in layer.created_by] == [0]


def test_a_base_only_the_registry_has_is_pulled_with_its_digest(client: docker.DockerClient, store: OnDemand) -> None:
    """The pull path: a stand-in pushed to the local registry, the local copy removed, then
    provisioned by name: the engine pulls it, and the provenance says so, with the digest."""
    debian = client.api.inspect_image("debian:bullseye")["Id"]
    reference = f"{registry.address(store.settings)}/library/debian:bullseye"
    pushed = store.get().push(debian, "library/debian", tag="bullseye")
    client.api.remove_image(reference, noprune=True)  # only the registry has it under this name now
    assert images.inspect_image(client, reference) is None
    try:
        found = bases.Provisioner(client, {}, store.settings).ensure(reference)
        assert found.source == "pulled" and found.image_id == debian
        assert found.repo_digest == pushed.reference  # <registry>/library/debian@sha256:...
    finally:
        client.api.remove_image(reference, noprune=True)


def test_two_builds_starting_the_registry_at_once_share_it(client: docker.DockerClient, store: OnDemand,
                                                          tmp_path: Path) -> None:
    """Two builds that both need the registry when none runs: one creates it, the other uses it."""
    from concurrent.futures import ThreadPoolExecutor

    from macros.engine import service

    service.remove(client, registry.ROLE)
    stores = [OnDemand(client, store.image_id, settings=replace(store.settings, cache_dir=tmp_path / name),
                       engine=store.engine)
              for name in ("a", "b")]
    with ThreadPoolExecutor(max_workers=2) as both:
        started = list(both.map(lambda s: s.get().facts, stores))
    assert started[0] == started[1]
    ours = client.api.containers(filters={"label": ["io.smallest-go.role=registry"]})
    assert len(ours) == 1 and ours[0]["State"] == "running"


class _NoEngine:
    """A client that fails on any use: what is read must come from the memo."""

    def __getattr__(self, name: str) -> None:
        raise AssertionError(f"the engine was asked ({name}) for an image already read on this machine")


def test_an_images_files_are_read_once_per_machine(client: docker.DockerClient, store: OnDemand,
                                                   tmp_path: Path) -> None:
    """What an image holds and its inventory come from one export; another checkout (its own cache
    folder, the machine's memo shared) reads them back by image ID without asking the engine."""
    image_id = store.image_id  # the registry's image: provisioned in every build, files and packages in it
    shared = tmp_path / "machine"
    first = diffs.image_files(client, image_id, Settings(cache_dir=tmp_path / "one", shared_cache_dir=shared))
    inside, inventory = first
    assert inside.files > 0 and len(inventory) >= inside.files  # the inventory: its files and its links
    again = diffs.image_files(_NoEngine(), image_id,  # type: ignore[arg-type]
                              Settings(cache_dir=tmp_path / "two", shared_cache_dir=shared))
    assert again == first
