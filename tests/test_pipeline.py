"""One variant through the real engine: build, run, verify, measure."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import pytest
from macros import pipeline, variants
from macros.errors import BuildError, VerificationError
from macros.transfer import TransferSizer

from tests.helpers import REPO, write_variants

pytestmark = pytest.mark.docker


def _variant(tmp_path: Path, expect: str, dockerfile: str = "Dockerfile.scratch") -> variants.Variant:
    text = (REPO / "dockerfiles" / dockerfile).read_text()
    [variant] = variants.load(write_variants(tmp_path, {"pytest-scratch": (text, f"    expect: {expect}")}), repo=REPO)
    return variant


def test_scratch_variant_is_built_run_verified_and_measured(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}')
    result = pipeline.measure_variant(client, variant, sizer=sizer)
    inspect = client.api.inspect_image(result.image_id)
    assert result.size_bytes == inspect["Size"]
    assert result.layer_count == len(inspect["RootFS"]["Layers"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Hello, World!\n")
    assert result.go_version == "go1.21.13" and result.verify_note == "exit code 0 and output as declared"
    assert 500_000 < result.binary_bytes < result.size_bytes
    assert 0 < result.compressed_bytes < result.size_bytes
    assert result.dockerfile_text == (REPO / "dockerfiles/Dockerfile.scratch").read_text()
    assert client.api.inspect_image(pipeline.image_tag(variant))["Id"] == result.image_id
    assert not client.api.containers(all=True, filters={"label": "io.smallest-go.variant=pytest-scratch"})


def test_expectation_mismatch_fails_naming_the_variant(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stderr: "Goodbye\\n"}')
    with pytest.raises(VerificationError) as caught:
        pipeline.measure_variant(client, variant, sizer=sizer)
    message = str(caught.value)
    assert "pytest-scratch" in message and "Goodbye" in message and "Hello, World!" in message


def test_expected_failure_that_does_not_happen_fails(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{fails_with: "unable to find user"}')
    with pytest.raises(VerificationError, match="ran and exited 0"):
        pipeline.measure_variant(client, variant, sizer=sizer)


def test_the_articles_distroless_dockerfile_really_fails_to_start(client: docker.DockerClient, tmp_path: Path,
                                                                  sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{fails_with: "unable to find user small-user"}', "Dockerfile.distroless")
    result = pipeline.measure_variant(client, variant, sizer=sizer)
    assert "unable to find user small-user" in result.start_error and result.verify_note.startswith("failed as declared")


def test_failing_run_step_names_the_step(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    path = write_variants(tmp_path, {"pytest-broken": ("FROM debian:bullseye\nRUN echo about to fail && exit 3\n",
                                                       "    expect: {exit_code: 0}")})
    [variant] = variants.load(path, repo=REPO)
    with pytest.raises(BuildError) as caught:
        pipeline.measure_variant(client, variant, sizer=sizer)
    assert "pytest-broken" in str(caught.value) and "step 2 (RUN echo about to fail" in str(caught.value)
    assert "about to fail" in caught.value.log_tail


def test_transfer_size_is_memoised_per_layer(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}')
    result = pipeline.measure_variant(client, variant, sizer=sizer)
    exports = sizer.exports
    assert sizer.size(result.image_id) == result.compressed_bytes
    assert sizer.exports == exports  # every layer known: nothing exported again
    fresh = TransferSizer(client, tmp_path / "elsewhere")
    assert fresh.size(result.image_id) == result.compressed_bytes  # same number from scratch


def test_two_workers_sizing_images_that_share_new_layers_export_once(client: docker.DockerClient,
                                                                       tmp_path: Path) -> None:
    # the same layers under two configs, as distroless and distroless-nonroot are
    (tmp_path / "payload").write_bytes(tmp_path.name.encode() * 50_000)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY payload /payload\n")
    images = [client.images.build(path=str(tmp_path), rm=True, labels={"io.smallest-go.variant": f"pytest-share-{n}"})[0]
              for n in ("a", "b")]
    assert images[0].attrs["RootFS"]["Layers"] == images[1].attrs["RootFS"]["Layers"]
    sizer = TransferSizer(client, tmp_path / "cache")
    try:  # two build workers, each sizing its image
        with ThreadPoolExecutor(max_workers=2) as workers:
            sizes = list(workers.map(lambda i: sizer.size(i.id, i.attrs["RootFS"]["Layers"]), images))
    finally:
        for image in images:
            client.api.remove_image(image.id, force=True)
    assert sizes[0] == sizes[1] > 0
    assert (sizer.exports, sizer.compressed) == (1, 1)


def test_a_new_layer_the_size_of_a_known_one_is_still_compressed(client: docker.DockerClient, tmp_path: Path) -> None:
    for name in ("a", "b"):  # same name length, same byte count: layer tars of the same size
        (tmp_path / name).write_bytes(os.urandom(30_000))
    (tmp_path / "Dockerfile.one").write_text("FROM scratch\nCOPY a /a\n")
    (tmp_path / "Dockerfile.two").write_text("FROM scratch\nCOPY a /a\nCOPY b /b\n")
    one, two = (client.images.build(path=str(tmp_path), dockerfile=f"Dockerfile.{n}", rm=True,
                                    labels={"io.smallest-go.variant": f"pytest-collide-{n}"})[0] for n in ("one", "two"))
    try:
        sizer = TransferSizer(client, tmp_path / "cache")
        fresh = TransferSizer(client, tmp_path / "fresh")
        sizer.size(one.id)  # now layer a is known, by digest and by its size
        exports = sizer.exports
        assert sizer.size(two.id) == fresh.size(two.id)
        assert sizer.exports - exports == 2  # b was passed over for its size, found missing, then compressed
    finally:
        for image in (two, one):
            client.api.remove_image(image.id, force=True)
