"""The warm path's stamp: when it is taken, and when a changed input keeps it from being taken.
Pure file logic; the check against the engine is tested end to end in test_site.py."""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

import pytest
from macros import warm
from macros.measured import Session
from macros.settings import Settings

from tests.test_page_macros import SESSION


def _project(tmp_path: Path) -> tuple[Settings, list[Path]]:
    (tmp_path / "dockerfiles" / "bases").mkdir(parents=True)
    (tmp_path / "app").mkdir()
    (tmp_path / "dockerfiles" / "variants.yml").write_text("variants: []\n")
    (tmp_path / "dockerfiles" / "Dockerfile.x").write_text("FROM scratch\n")
    (tmp_path / "dockerfiles" / "bases" / "bases.yml").write_text("{}\n")
    (tmp_path / "app" / "main.go").write_text("package main\n")
    settings = Settings(variants_file=tmp_path / "dockerfiles" / "variants.yml",
                        bases_file=tmp_path / "dockerfiles" / "bases" / "bases.yml", cache_dir=tmp_path / "cache")
    roots = warm.watched_roots(settings, dockerfiles=[tmp_path / "dockerfiles" / "Dockerfile.x"],
                               contexts=[tmp_path / "app"])
    return settings, roots


def _stamp(settings: Settings, roots: list[Path]) -> None:
    warm.save(settings, replace(SESSION, failures={}), warm.fingerprint(settings, roots))


def test_a_session_survives_its_json_form() -> None:
    again = Session.from_dict(SESSION.as_dict())
    assert again == replace(SESSION, failures={})  # failures are never stamped: a stamp is a complete build


def test_an_untouched_project_starts_from_its_stamp(tmp_path: Path) -> None:
    settings, roots = _project(tmp_path)
    assert warm.stamped(settings) is None  # no stamp yet
    _stamp(settings, roots)
    shown = warm.stamped(settings)
    assert shown is not None and [r.id for r in shown.results] == [r.id for r in SESSION.results]
    assert all(r.reused for r in shown.results)
    assert warm.stamped(replace(settings, refresh=frozenset({"all"}))) is None  # asked to measure again


def test_an_edited_added_or_removed_file_keeps_the_stamp_from_being_taken(tmp_path: Path) -> None:
    settings, roots = _project(tmp_path)
    changes = [
        lambda: (tmp_path / "app" / "main.go").write_text("package main // edited\n"),
        lambda: os.utime(tmp_path / "dockerfiles" / "Dockerfile.x", ns=(1, 1)),  # same bytes, touched
        lambda: (tmp_path / "app" / "extra.go").write_text("package main\n"),
        lambda: (tmp_path / "app" / "extra.go").unlink(),
        lambda: (tmp_path / "dockerfiles" / "bases" / "bases.yml").write_text("{} # edited\n"),
    ]
    for change in changes:
        _stamp(settings, roots)
        assert warm.stamped(settings) is not None
        change()
        assert warm.stamped(settings) is None


def test_another_engine_or_variants_file_keeps_the_stamp_from_being_taken(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    settings, roots = _project(tmp_path)
    _stamp(settings, roots)
    assert warm.stamped(replace(settings, layer_cache=False)) is None
    other = tmp_path / "other.yml"
    other.write_text("variants: []\n")
    assert warm.stamped(replace(settings, variants_file=other)) is None
    with monkeypatch.context() as env:
        env.setenv("DOCKER_HOST", "tcp://192.0.2.1:2375")
        assert warm.stamped(settings) is None
    assert warm.stamped(settings) is not None


def test_a_damaged_stamp_is_a_full_build_and_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A warning would fail `mkdocs build --strict` over a file that only saves time."""
    settings, roots = _project(tmp_path)
    _stamp(settings, roots)
    (settings.cache_dir / warm.STAMP).write_text("{not json")
    with caplog.at_level(logging.INFO):
        assert warm.stamped(settings) is None
    assert "unreadable" in caplog.text and not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_cache_folder_inside_a_context_is_not_watched(tmp_path: Path) -> None:
    """A context at the repository's root would otherwise hold the stamp itself, which changes."""
    settings, _ = _project(tmp_path)
    settings = replace(settings, cache_dir=tmp_path / "app" / ".cache")
    settings.cache_dir.mkdir()  # as after the first build
    roots = warm.watched_roots(settings, dockerfiles=[], contexts=[tmp_path / "app"])
    _stamp(settings, roots)
    assert warm.stamped(settings) is not None
