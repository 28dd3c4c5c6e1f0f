from __future__ import annotations

import os

import pytest
from macros.measure.binary import go_version
from macros.model.sizes import human_size, signed_change


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0B"), (999, "999B"), (1000, "1kB"), (1234, "1.23kB"), (999_999, "1e+03kB"),
    (3_368_770, "3.37MB"), (3_765_949, "3.77MB"), (788_733_057, "789MB"), (124_256_437, "124MB"),
    (1_234_567_890, "1.23GB"), (10_500_000, "10.5MB"),
])
def test_human_size_matches_the_docker_cli(size: int, shown: str) -> None:
    assert human_size(size) == shown


def test_go_version_reads_inline_build_info() -> None:
    version = b"go1.21.13"
    header = b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16
    binary = os.urandom(4096).replace(b"\xff", b"\0") + header + bytes([len(version)]) + version + b"\0" * 64
    assert go_version(binary) == "go1.21.13"
    assert go_version(b"not a go binary") == ""


def test_a_size_change_is_signed_as_a_reader_reads_it() -> None:
    assert signed_change(788_733_210, 887_561_412) == "+98.8MB (+13%)"
    assert signed_change(887_561_412, 788_733_210, percent_digits=1) == "−98.8MB (−11.1%)"  # a true minus
    assert signed_change(5, 5) == "±0B (+0%)" and signed_change(0, 5) == "+5B"  # from nothing: no share
    assert signed_change(887_716_771, 887_561_412, percent_digits=1) == "−155kB (−0.02%)"  # never "−0.0%"
    assert signed_change(80_709_288, 80_709_420) == "+132B (less than 0.001%)"
