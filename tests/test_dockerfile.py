"""Dockerfiles through Docker's own parser: bases, the final base, build arguments in FROM."""
from __future__ import annotations

from pathlib import Path

import pytest
from macros.errors import ConfigError
from macros.model.dockerfile import PARSER_HINT, parse, read

REPO = Path(__file__).resolve().parent.parent


def _parse(text: str, **build_args: str):
    return parse(text, source="Dockerfile.t", build_args=build_args)


def test_bases_skip_scratch_and_stage_names() -> None:
    parsed = _parse("# c\nFROM --platform=linux/amd64 golang:1.21-bullseye as base\nRUN true \\\n  && false\n"
                    "FROM base AS again\nFROM scratch\nFROM gcr.io/distroless/static-debian11\n")
    assert parsed.bases == ("golang:1.21-bullseye", "gcr.io/distroless/static-debian11")
    assert parsed.final_base == "gcr.io/distroless/static-debian11"


def test_images_files_are_copied_or_mounted_from_are_bases_too() -> None:
    # They are inputs of the image: provisioned, in its cache key and on its page like a FROM's.
    parsed = _parse("FROM golang:1.27-trixie AS build\n"
                    "RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=busybox:1.36,target=/b true\n"
                    "FROM scratch\nCOPY --link --from=build /main /main\nCOPY --from=0 /main /again\n"
                    "COPY --from=gcr.io/distroless/static-debian13 /etc/passwd /etc/passwd\n"
                    "COPY --from=golang:1.27-trixie /usr/local/go/lib/time/zoneinfo.zip /\n"
                    "COPY --from=${NOT_EXPANDED} /x /x\n")
    assert parsed.bases == ("golang:1.27-trixie", "busybox:1.36", "gcr.io/distroless/static-debian13")
    assert parsed.final_base == "scratch"


def test_final_base_follows_stage_names() -> None:
    assert _parse("FROM debian:bullseye AS a\nFROM a\nCMD x\n").final_base == "debian:bullseye"
    assert _parse("FROM debian:bullseye AS a\nFROM a AS b\nFROM b\n").final_base == "debian:bullseye"


def test_the_articles_dockerfiles() -> None:
    parsed = read(REPO / "dockerfiles/Dockerfile.scratch")
    assert parsed.final_base == "scratch" and parsed.bases == ("golang:1.21-bullseye",)
    assert parsed.text == (REPO / "dockerfiles/Dockerfile.scratch").read_text()


def test_no_from_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("RUN echo hi\n")
    with pytest.raises(ConfigError, match="has no FROM instruction") as caught:
        read(path)
    assert str(path) in str(caught.value)


def test_build_arguments_in_from_are_resolved_before_provisioning() -> None:
    text = "ARG GO_VERSION=1.21\nARG DISTRO\nFROM golang:${GO_VERSION}-bullseye AS build\nFROM scratch\n"
    assert _parse(text).bases == ("golang:1.21-bullseye",)
    assert _parse(text, GO_VERSION="1.22").bases == ("golang:1.22-bullseye",)
    assert _parse("ARG V\nFROM golang:${V:-1.20}\n").bases == ("golang:1.20",)
    assert _parse("ARG V=1\nFROM golang:$V\n").bases == ("golang:1",)


def test_unresolvable_build_arguments_name_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"uses \$V, which no ARG before the first FROM declares"):
        _parse("FROM golang:$V\n")
    with pytest.raises(ConfigError, match=r"uses \$V, which has no value") as caught:
        _parse("ARG V\nFROM golang:${V}\n")
    assert "build_args" in str(caught.value)


def test_a_line_dockers_parser_rejects_names_the_file() -> None:
    with pytest.raises(ConfigError, match=r"Dockerfile\.t: Docker's parser rejects it") as caught:
        _parse("FROM x\nRUN <<EOF\n")
    assert "unterminated heredoc" in str(caught.value) and caught.value.hint == PARSER_HINT  # which names no line


def test_an_arg_default_the_image_is_not_built_with_is_refused() -> None:
    # The image's history keeps its stages' ARG lines as written: `ARG SUITE=bullseye` in an image
    # built for trixie would show bullseye in its layer table.
    with pytest.raises(ConfigError, match=r"line 2: `ARG SUITE=bullseye` stays in the image's history") as caught:
        _parse("FROM scratch\nARG SUITE=bullseye\n", SUITE="trixie")
    assert "ARG SUITE`" in caught.value.hint and "build_args" in caught.value.hint
    with pytest.raises(ConfigError, match="line 2: `ARG A=1`"):  # a stage the final one starts from
        _parse("FROM debian AS a\nARG A=1\nFROM a\nRUN true\n", A="2")


def test_arg_defaults_that_stay_true_or_stay_out_of_the_image_pass() -> None:
    _parse("FROM scratch\nARG SUITE=trixie\n", SUITE="trixie")      # the value it is built with
    _parse('FROM scratch\nARG EXTRA=""\n', EXTRA="")                  # quoted as BuildKit reads it
    _parse("FROM scratch\nARG SUITE\nUSER ${U:-0}\n", SUITE="trixie")  # no default on the line
    _parse("ARG V=1\nFROM debian AS build\nARG T=x\nFROM scratch\n", V="2", T="y")  # global, and a build stage's
