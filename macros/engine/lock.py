"""File locks on this machine: one between our builds and our deletions of untagged images, and
one per running process of ours that says it is alive.

Why: a build's image has no name until the build has succeeded and the caller tags it (buildkit.py
leaves it untagged), and it carries our labels, so deleting "our untagged images" (`clean`, the
tests' clean-up, the prune after a build) in another process could delete it in that moment. (The
classic builder, before BuildKit, made this happen in 15 of 15 builds with a deleter beside them:
each of its steps was such an image.) So builds hold this lock shared, and deletions of untagged
images take it exclusively. It is a file lock on this machine: builds from other machines on one
remote engine are not covered.

A process that measures holds `<runs>/<run id>.lock` for as long as it runs; the OS releases it
when the process ends, however it ends (a crash, SIGKILL, a machine restart). So a later build
tells the containers and cgroups of a run that died (its lock free) from those of one running.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..model.files import held
from .labels import RUN_ID

__all__ = ("alive", "forget_dead", "held", "running")  # held: model/files.py, the one file lock


@contextmanager
def running(runs: Path) -> Iterator[None]:
    """Say this process is alive while the block runs (see the module's docstring). Shared, so a
    process may say it twice (the tests hold it for the session, and the builds they start in
    the same process take it again); `alive` asks for it exclusively."""
    with held(runs / f"{RUN_ID}.lock", exclusive=False):
        yield


def alive(runs: Path, run_id: str) -> bool:
    """Whether a process of that run still holds its lock; a dead run's lock file goes."""
    path = runs / f"{run_id}.lock"
    if not path.is_file():
        return False
    with held(path, exclusive=True, wait=False, remove=True) as free:  # free: dead, and its file goes
        return not free


def forget_dead(runs: Path) -> None:
    """Remove the lock files of runs that ended (a clean end leaves its file: see `running`)."""
    for path in runs.glob("*.lock") if runs.is_dir() else ():
        if path.stem != RUN_ID:
            alive(runs, path.stem)
