"""One variant through the real engine: build, run, verify, measure."""
from __future__ import annotations

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
    result = pipeline.measure_variant(client, variant, sizer=sizer).result()
    inspect = client.api.inspect_image(result.image_id)
    assert result.size_bytes == inspect["Size"]
    assert result.layer_count == len(inspect["RootFS"]["Layers"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Hello, World!\n")
    assert result.verified and result.go_version == "go1.21.13"
    assert 500_000 < result.binary_bytes < result.size_bytes
    assert 0 < result.compressed_bytes < result.size_bytes
    assert result.dockerfile_text == (REPO / "dockerfiles/Dockerfile.scratch").read_text()
    assert client.api.inspect_image(pipeline.image_tag(variant))["Id"] == result.image_id
    assert not client.api.containers(all=True, filters={"label": "io.smallest-go.variant=pytest-scratch"})


def test_expectation_mismatch_fails_naming_the_variant(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stderr: "Goodbye\\n"}')
    with pytest.raises(VerificationError) as caught:
        pipeline.measure_variant(client, variant, sizer=sizer).result()
    message = str(caught.value)
    assert "pytest-scratch" in message and "Goodbye" in message and "Hello, World!" in message


def test_expected_failure_that_does_not_happen_fails(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{fails_with: "unable to find user"}')
    with pytest.raises(VerificationError, match="ran and exited 0"):
        pipeline.measure_variant(client, variant, sizer=sizer).result()


def test_the_articles_distroless_dockerfile_really_fails_to_start(client: docker.DockerClient, tmp_path: Path,
                                                                  sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{fails_with: "unable to find user small-user"}', "Dockerfile.distroless")
    result = pipeline.measure_variant(client, variant, sizer=sizer).result()
    assert "unable to find user small-user" in result.start_error and result.verified


def test_failing_run_step_names_the_step(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    path = write_variants(tmp_path, {"pytest-broken": ("FROM debian:bullseye\nRUN echo about to fail && exit 3\n",
                                                       "    expect: {exit_code: 0}")})
    [variant] = variants.load(path, repo=REPO)
    with pytest.raises(BuildError) as caught:
        pipeline.measure_variant(client, variant, sizer=sizer).result()
    assert "pytest-broken" in str(caught.value) and "step 2 (RUN echo about to fail" in str(caught.value)
    assert "about to fail" in caught.value.log_tail


def test_transfer_size_is_memoised_per_layer(client: docker.DockerClient, tmp_path: Path, sizer: TransferSizer) -> None:
    variant = _variant(tmp_path, '{exit_code: 0, stdout: "", stderr: "Hello, World!\\n"}')
    result = pipeline.measure_variant(client, variant, sizer=sizer).result()
    exports = sizer.exports
    assert sizer.size(result.image_id) == result.compressed_bytes
    assert sizer.exports == exports  # every layer known: nothing exported again
    fresh = TransferSizer(client, tmp_path / "elsewhere")
    try:
        assert fresh.size(result.image_id) == result.compressed_bytes  # same number from scratch
    finally:
        fresh.close()
