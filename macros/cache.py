"""Content-addressed results on disk, so a rebuild re-measures only what changed.

The key covers everything that can change a measurement: the Dockerfile and every file of the
context the engine receives (after .dockerignore), the image IDs of the bases, build args, the
declared expectation and run settings, the engine version and storage driver, the registry's image,
and our schema.
Writes are atomic (temporary file, then rename); a lock per key keeps two builds from measuring
the same thing at once; an unreadable entry is a miss, rewritten, with a warning.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import ProjectError
from .log import log
from .results import Result

SCHEMA = "7"  # bump when a Result's meaning or the measuring code changes


def cache_key(*, context_digest: str, bases: dict[str, str], build_args: dict[str, str], expectation: Any,
              binary: str, timeout_s: float, engine_version: str, storage_driver: str, registry_image: str) -> str:
    inputs = {
        "schema": SCHEMA, "context": context_digest, "bases": dict(sorted(bases.items())),
        "build_args": dict(sorted(build_args.items())), "expect": asdict(expectation), "binary": binary,
        "timeout_s": timeout_s, "engine": engine_version, "storage_driver": storage_driver,
        "registry": registry_image,  # the registry that compresses and stores: its image ID
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def get(self, key: str) -> Result | None:
        path = self._path(key)
        try:
            return Result.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning(f"cache: {path} is unreadable ({type(exc).__name__}); measuring again")
            return None

    def put(self, key: str, result: Result) -> None:
        write_atomic(self._path(key), json.dumps(result.as_dict(), indent=1, ensure_ascii=False))

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Held while one build measures `key`; a second build waits, then finds the entry."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / f"{key}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: readers see old or new, never half.
    A full disk (or any other write fault) leaves no temporary file and says where it happened."""
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise ProjectError(f"cannot write {path}: {exc.strerror or exc}",
                           hint="Free some space there, or set SMALLEST_GO_CACHE to a folder with room.") from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise
