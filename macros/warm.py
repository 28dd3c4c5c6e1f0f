"""The warm path: when no input file changed since the last complete doc build, its session is
shown at once, and checked against the engine beside the build instead of before it.

Why: a build that measures nothing spent most of its own time asking the engine (the SDK's import,
its facts, an inspect per base and per variant: ~100 ms of a 1 s build) for an answer that is
nearly always "nothing changed". So a complete build leaves a stamp: its session, and the size and
modification time of every file and folder it was made from. A build that finds those unchanged
makes the pages from the stamp, while `python -m macros check-warm` (another process, so another
core) asks the engine everything a full build asks (recheck.py). Before any page is written
(`on_env`, hooks/warm_check.py) the build takes that answer: if the engine and the result cache
still give exactly the stamped session, the pages stand; if not, the session is measured the full
way and every page is made again. Nothing is written from a session the engine has not confirmed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .cache import SCHEMA as CACHE_SCHEMA
from .cache import write_atomic
from .log import log
from .measured import Session
from .settings import Settings

STAMP = "warm-session.json"  # in the cache folder
STAMP_SCHEMA = "1"
HELD = "held"                # what the check prints when the stamp still holds
ENGINE_ENV = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")  # which engine the SDK talks to


def watched_roots(settings: Settings, *, dockerfiles: Iterable[Path], contexts: Iterable[Path]) -> list[Path]:
    """Every folder whose files a measurement can depend on: the variants and bases files' folders
    (Dockerfiles, recipes), the build contexts, and any folder a Dockerfile lives in."""
    roots = {settings.variants_file.parent, settings.bases_file.parent, *contexts}
    roots |= {path.parent for path in dockerfiles}
    return sorted({root.resolve() for root in roots})


def fingerprint(settings: Settings, roots: list[Path]) -> dict[str, Any]:
    """What the stamp was made from: the settings that choose the inputs, the engine the SDK would
    reach, and (path, size, mtime) of every file and folder under the roots. A folder's mtime
    moves when a file is added, removed or renamed in it. (The check beside the build compares
    contents; this only decides whether trying the stamp is worth it.)"""
    stats: dict[str, list[int]] = {}
    skipped = {str(settings.cache_dir.resolve())}  # the stamp itself lives there
    for root in roots:
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            dirs[:] = [d for d in dirs if d not in (".git", "__pycache__") and str(here / d) not in skipped]
            for path in (here, *(here / name for name in files)):
                try:
                    st = path.stat()
                except OSError:
                    continue
                stats[str(path)] = [st.st_size, st.st_mtime_ns]
    return {"schema": STAMP_SCHEMA, "cache_schema": CACHE_SCHEMA, "variants_file": str(settings.variants_file),
            "bases_file": str(settings.bases_file), "layer_cache": settings.layer_cache,
            "engine": {name: os.environ.get(name, "") for name in ENGINE_ENV},
            "roots": [str(r) for r in roots], "stats": stats}


def save(settings: Settings, session: Session, made_from: dict[str, Any]) -> None:
    """After a complete build: its session, and the fingerprint taken before it began."""
    stamp = {"fingerprint": made_from, "session": session.as_dict()}
    write_atomic(settings.cache_dir / STAMP, json.dumps(stamp, ensure_ascii=False))


def forget(settings: Settings) -> None:
    (settings.cache_dir / STAMP).unlink(missing_ok=True)


UNREADABLE = (OSError, ValueError, TypeError, KeyError)  # what reading a missing or damaged stamp raises


def load(settings: Settings) -> tuple[dict[str, Any], Session]:
    """The stamp's fingerprint and session, as written (raises one of UNREADABLE)."""
    stamp = json.loads((settings.cache_dir / STAMP).read_text(encoding="utf-8"))
    return stamp["fingerprint"], Session.from_dict(stamp["session"])


def stamped(settings: Settings) -> Session | None:
    """The stamped session when every input is as it was, each result marked reused; else None."""
    if settings.refresh:
        return None
    try:
        made_from, session = load(settings)
        if made_from.get("schema") != STAMP_SCHEMA:
            return None
        if fingerprint(settings, [Path(r) for r in made_from["roots"]]) != made_from:
            return None
    except FileNotFoundError:
        return None
    except UNREADABLE as exc:
        # Not a warning: the stamp only saves time, and `mkdocs build --strict` fails on warnings.
        log.info(f"warm: {settings.cache_dir / STAMP} is unreadable ({type(exc).__name__}); measuring")
        return None
    return replace(session, results=[replace(r, reused=True) for r in session.results])


@dataclass
class Check:
    """`python -m macros check-warm`, running beside the build."""
    process: subprocess.Popen[str]

    @classmethod
    def start(cls) -> Check:
        # Settings travel in the environment, which the child inherits with everything else.
        process = subprocess.Popen([sys.executable, "-m", "macros", "check-warm"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return cls(process)

    def outcome(self) -> str:
        """HELD, or what changed (or why the check could not say)."""
        out, err = self.process.communicate()
        if self.process.returncode == 0 and out.strip():
            return out.strip().splitlines()[-1]
        last = (err.strip().splitlines() or [f"exit code {self.process.returncode}"])[-1]
        return f"the check did not finish ({last})"

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()
