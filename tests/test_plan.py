"""The plan: build scheduling, variants with the same inputs, the refresh switch. Pure logic over the
project's real variants file."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from macros.errors import ConfigError
from macros.measure.plan import Job, grouped, refresh_wanted, waves
from macros.model import variants
from macros.model.settings import Settings


@pytest.fixture
def declared() -> list[variants.Variant]:
    return variants.load(Settings.read())


def _group(v: variants.Variant) -> tuple[str, Path]:
    return ((v.bases or ("scratch",))[0], v.context)


def test_variants_sharing_a_first_stage_wait_for_one_of_them(declared: list[variants.Variant]) -> None:
    ordered = waves([Job((v,), f"key-{v.id}") for v in declared], layer_cache=True)
    first = [_group(job.variant) for job in ordered[0]]
    assert len(first) == len(set(first)) == len({_group(v) for v in declared})  # one of each group first
    assert sorted(job.variant.id for wave in ordered for job in wave) == sorted(v.id for v in declared)  # none lost
    assert all(_group(job.variant) in first for wave in ordered[1:] for job in wave)


def test_unrelated_variants_share_the_first_wave(declared: list[variants.Variant], tmp_path: Path) -> None:
    a = replace(declared[0], id="a", context=tmp_path)
    b, c = replace(a, id="b", context=tmp_path / "other"), replace(a, id="c")
    ordered = waves([Job((a,), "a"), Job((b,), "b"), Job((c,), "c")], layer_cache=True)
    assert [[job.variant.id for job in wave] for wave in ordered] == [["a", "b"], ["c"]]


def test_without_the_layer_cache_everything_is_one_wave(declared: list[variants.Variant]) -> None:
    assert len(waves([Job((v,), v.id) for v in declared], layer_cache=False)) == 1


def test_refresh_switch(declared: list[variants.Variant]) -> None:
    def wanted(raw: str) -> set[str]:
        return refresh_wanted(declared, Settings.read({"SMALLEST_GO_REFRESH": raw}).refresh)

    assert wanted("") == set()
    assert wanted("all") == {v.id for v in declared}
    some = {declared[0].id, declared[-1].id}
    assert wanted(" , ".join(some)) == some
    with pytest.raises(ConfigError, match="not-a-variant"):
        wanted("not-a-variant")


def test_variants_with_the_same_inputs_make_one_job(declared: list[variants.Variant]) -> None:
    a, b, c = declared[0], replace(declared[0], id="a-copy"), declared[1]
    assert grouped([(a, "k1"), (c, "k2"), (b, "k1")]) == [((a, b), "k1"), ((c,), "k2")]
