"""Content-addressed measurements on disk, so a rebuild re-measures only what changed.

The key covers everything that can change a measurement: the Dockerfile and every file of the
context the engine receives (after .dockerignore), the image IDs of the bases, build args, the
declared expectation and run settings, the engine version and storage driver, the registry's
image, and the shape of the stored record (`measurement.SHAPE`, derived from its fields).
Writes are atomic; a lock per key keeps two builds from measuring the same thing at once; an
unreadable entry is a miss (see files.py).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .files import held, ignored, read_json, remove_unheld, write_atomic
from .measurement import SHAPE, Measurement

# Bump only when the measuring code changes what a field means while its shape stays the same.
# 2: a size leaves out files copied up unchanged (model/layer_files.py); 3: a symbolic link
# counts no bytes in a size.
MEANING = "3"


def cache_key(*, context_digest: str, bases: dict[str, str], build_args: dict[str, str], expectation: Any,
              binary: str, timeout_s: float, engine_version: str, storage_driver: str, image_store: str,
              registry_image: str) -> str:
    inputs = {
        "shape": SHAPE, "meaning": MEANING, "context": context_digest, "bases": dict(sorted(bases.items())),
        "build_args": dict(sorted(build_args.items())), "expect": asdict(expectation), "binary": binary,
        "timeout_s": timeout_s, "engine": engine_version, "storage_driver": storage_driver,
        "image_store": image_store,
        "registry": registry_image,  # the registry that compresses and stores: its image ID
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


class ResultCache:
    """Measurements by key under `root`. Its key locks live in `locks`, a folder every checkout on
    this machine shares (Settings.key_locks): two checkouts measuring the same key at once would
    each commit their own image under the same tag, and the second one's prune would then delete
    the image the first one's pages name. Waiting instead, the second build finds every step in
    the engine's layer cache and makes the very same image."""

    def __init__(self, root: Path, *, locks: Path | None = None) -> None:
        self.root = root
        self.locks = locks or root

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def get(self, key: str) -> Measurement | None:
        path = self._path(key)
        data = read_json(path)
        if data is None:
            return None
        try:
            return Measurement.from_dict(data)
        except (KeyError, TypeError, AttributeError) as exc:
            ignored(path, exc)
            return None

    def put(self, key: str, measured: Measurement) -> None:
        write_atomic(self._path(key), json.dumps(measured.as_dict(), indent=1, ensure_ascii=False))

    @contextmanager
    def lock(self, key: str, *, wait: bool = True) -> Iterator[bool]:
        """Held while one build measures `key`; another build waits, then finds the entry (or, from
        another checkout, the image). Without `wait`, yields False at once when another build holds
        it. Each key is locked at most once per build (the plan gives variants with the same key
        one job). The lock's file goes with the lock (files.held), so the shared folder of key
        locks holds only the keys being measured."""
        with held(self.locks / f"{key}.lock", exclusive=True, wait=wait, remove=True) as free:
            yield free

    def remove_unheld_locks(self) -> int:
        """Remove key lock files no build holds (a version of the project before the locks' files
        went with them left one a key); how many went."""
        return remove_unheld(self.locks, "*.lock")
