"""The run lock that tells a live run's containers from a dead run's: pure file locks, no engine."""
from __future__ import annotations

from pathlib import Path

from macros.engine import lock
from macros.engine.labels import RUN_ID


def test_a_run_may_say_it_is_alive_twice_and_is_dead_once_it_stops(tmp_path: Path) -> None:
    with lock.running(tmp_path), lock.running(tmp_path):  # nested: the tests' session, then a build
        assert lock.alive(tmp_path, RUN_ID)
    assert not lock.alive(tmp_path, RUN_ID) and not (tmp_path / f"{RUN_ID}.lock").exists()


def test_the_lock_files_of_ended_runs_are_forgotten_and_a_live_one_kept(tmp_path: Path) -> None:
    (tmp_path / "0123456789abcdef.lock").touch()  # a run that ended
    with lock.held(tmp_path / "fedcba9876543210.lock", exclusive=True):  # one still going
        lock.forget_dead(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fedcba9876543210.lock"]
    assert not lock.alive(tmp_path, "0123456789abcdef")
