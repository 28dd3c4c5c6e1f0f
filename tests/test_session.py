"""Build scheduling and the refresh switch: pure logic over the project's real variants file."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from macros import variants
from macros.dockerfile import base_references
from macros.errors import ConfigError
from macros.session import _waves, refresh_wanted


@pytest.fixture
def declared() -> list[variants.Variant]:
    return variants.load()


def _group(v: variants.Variant) -> tuple[str, Path]:
    return ((base_references(v.dockerfile) or ["scratch"])[0], v.context)


def test_variants_sharing_a_first_stage_wait_for_one_of_them(declared: list[variants.Variant]) -> None:
    misses = [(v, f"key-{v.id}") for v in declared]
    waves = _waves(misses, nocache=False)
    first = [_group(v) for v, _ in waves[0]]
    assert len(first) == len(set(first)) == len({_group(v) for v in declared})  # one of each group first
    assert sorted(v.id for wave in waves for v, _ in wave) == sorted(v.id for v in declared)  # none lost
    assert all(_group(v) in first for wave in waves[1:] for v, _ in wave)


def test_unrelated_variants_share_the_first_wave(declared: list[variants.Variant], tmp_path: Path) -> None:
    a = variants.Variant(id="a", title="a", description="d", dockerfile=declared[0].dockerfile,
                         context=tmp_path, expect=variants.Expectation(exit_code=0))
    b, c = replace(a, id="b", context=tmp_path / "other"), replace(a, id="c")
    waves = _waves([(a, "a"), (b, "b"), (c, "c")], nocache=False)
    assert [[v.id for v, _ in wave] for wave in waves] == [["a", "b"], ["c"]]


def test_without_the_layer_cache_everything_is_one_wave(declared: list[variants.Variant]) -> None:
    assert len(_waves([(v, v.id) for v in declared], nocache=True)) == 1


def test_refresh_switch(declared: list[variants.Variant]) -> None:
    assert refresh_wanted(declared, "") == set()
    assert refresh_wanted(declared, "all") == {v.id for v in declared}
    some = {declared[0].id, declared[-1].id}
    assert refresh_wanted(declared, " , ".join(some)) == some
    with pytest.raises(ConfigError, match="not-a-variant"):
        refresh_wanted(declared, "not-a-variant")
