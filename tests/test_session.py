"""Build scheduling and the refresh switch: pure logic over the project's real variants file."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from macros import variants
from macros.errors import ConfigError
from macros.session import _waves, refresh_wanted


@pytest.fixture
def declared() -> list[variants.Variant]:
    return variants.load()


def test_variants_sharing_a_first_stage_wait_for_one_of_them(declared: list[variants.Variant]) -> None:
    misses = [(v, f"key-{v.id}") for v in declared]
    waves = _waves(misses, nocache=False)
    assert [[v.id for v, _ in wave] for wave in waves] == [["debian"], ["distroless", "distroless-nonroot", "scratch"]]


def test_unrelated_variants_share_the_first_wave(declared: list[variants.Variant], tmp_path: Path) -> None:
    other = replace(declared[3], id="elsewhere", context=tmp_path)
    waves = _waves([(declared[0], "a"), (other, "b"), (declared[1], "c")], nocache=False)
    assert [[v.id for v, _ in wave] for wave in waves] == [["debian", "elsewhere"], ["distroless"]]


def test_without_the_layer_cache_everything_is_one_wave(declared: list[variants.Variant]) -> None:
    assert len(_waves([(v, v.id) for v in declared], nocache=True)) == 1


def test_refresh_switch(declared: list[variants.Variant]) -> None:
    assert refresh_wanted(declared, "") == set()
    assert refresh_wanted(declared, "all") == {v.id for v in declared}
    assert refresh_wanted(declared, "debian, scratch") == {"debian", "scratch"}
    with pytest.raises(ConfigError, match="debain"):
        refresh_wanted(declared, "debain")
