"""One lock per engine host between our builds and our deletions of untagged images.

Why: a classic build commits each step as an untagged image and names it as the parent of the
next step's image. Between two steps that image is "dangling" (no tag, no child yet), and when the
build starts from one of our stand-ins it carries our labels too, so deleting "our dangling
images" (`clean`, the tests' clean-up, the prune after a build) can delete it from under a build
in another process; the engine then fails that build with "failed to set parent ...: unknown
parent image ID" (or "failed to get digest"). Reproduced here in 15 of 15 builds with a deleter
running beside them. So builds hold this lock shared, and deletions of untagged images take it
exclusively. It is a file lock on this machine: builds from other machines on one remote engine
are not covered.
"""
from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held(path: Path, *, exclusive: bool, wait: bool = True) -> Iterator[bool]:
    """Hold the lock (shared for builds, exclusive for deletions). Without `wait`, yields False at
    once when it cannot be had, and the caller leaves its work for later."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, mode)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
