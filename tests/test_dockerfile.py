from __future__ import annotations

from pathlib import Path

import pytest

from macros.dockerfile import base_references, final_base
from macros.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return path


def test_bases_skip_scratch_and_stage_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "# c\nFROM --platform=linux/amd64 golang:1.21-bullseye as base\nRUN true\n"
                  "FROM base AS again\nFROM scratch\nFROM gcr.io/distroless/static-debian11\n")
    assert base_references(path) == ["golang:1.21-bullseye", "gcr.io/distroless/static-debian11"]
    assert final_base(path) == "gcr.io/distroless/static-debian11"


def test_final_base_follows_stage_names(tmp_path: Path) -> None:
    assert final_base(_write(tmp_path, "FROM debian:bullseye AS a\nFROM a\nCMD x\n")) == "debian:bullseye"


def test_the_articles_dockerfiles() -> None:
    assert final_base(REPO / "dockerfiles/Dockerfile.scratch") == "scratch"
    assert base_references(REPO / "dockerfiles/Dockerfile.scratch") == ["golang:1.21-bullseye"]


def test_no_from_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "RUN echo hi\n")
    with pytest.raises(ConfigError, match="has no FROM instruction") as caught:
        base_references(path)
    assert str(path) in str(caught.value)


def test_build_argument_in_from_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="build argument"):
        base_references(_write(tmp_path, "ARG V=1\nFROM golang:$V\n"))
