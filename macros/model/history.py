"""The benchmark over time: compact records of complete builds, what moved between two of them,
and the size guard. Pure logic over results.json documents; no engine, no mkdocs.

A record is one line of docs/data/history.jsonl (append-only, committed): when, the engine and the
registry, and per variant the numbers and the declared inputs that can move them (each base image
ID, the Go version, the Dockerfile). Two records, or a record and a build, give the changes: each
variant whose size moved, by how much, and which of its inputs moved with it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ConfigError
from .measurement import published
from .sizes import human_size, parse_size, signed_change

HISTORY_SCHEMA = 2  # 2: each measured quantity under its own name, as results.json has it
# What a record keeps of each variant's measurement: the fields declared for the history.
KEPT = tuple(f.name for f, about in published() if about.history)


def record_of(results: dict[str, Any], *, recorded_at: str | None = None) -> dict[str, Any]:
    """The history record of one complete build, from its results.json document."""
    image_of = {b["reference"]: b["image_id"] for b in results["bases"]}
    engine = results["engine"]
    return {
        "history": HISTORY_SCHEMA,
        "recorded_at": recorded_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generated_at": results["generated_at"],
        "engine": {k: engine[k] for k in ("version", "api_version", "storage_driver", "os", "arch", "kernel",
                                          "image_store")},
        "registry": results["registry"]["version"],
        "variants": {v["id"]: {
            **{name: v[name] for name in KEPT}, "edition": v["edition"],
            "bases": {ref: image_of.get(ref, "") for ref in v["bases"]},
            "dockerfile": dockerfile_digest(v["dockerfile_text"], v["build_args"]),
        } for v in results["variants"]},
    }


def dockerfile_digest(text: str, build_args: dict[str, str]) -> str:
    """What the Dockerfile contributes to a build: its text and the build arguments given to it."""
    stated = json.dumps([text, sorted(build_args.items())], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(stated.encode()).hexdigest()[:16]


class Change(NamedTuple):
    """One variant between two builds."""
    variant: str
    before: int | None   # size in bytes; None: not in the earlier build
    after: int | None    # None: not in the later one
    moved: tuple[str, ...]  # the declared inputs that moved with it, as a reader names them

    @property
    def delta(self) -> int:
        return (self.after or 0) - (self.before or 0)

    def describe(self) -> str:
        """"debian: 789MB (788,733,210 bytes) -> 794MB (793,833,210 bytes), +5.1MB (+0.6%); moved:
        base golang:1.21-bullseye", or "x: new, 3MB", or "x: gone (was 3MB)"."""
        if self.before is None:
            return f"{self.variant}: new, {human_size(self.after or 0)}"
        if self.after is None:
            return f"{self.variant}: gone (was {human_size(self.before)})"
        because = ", ".join(self.moved) if self.moved else "no recorded input moved"
        return (f"{self.variant}: {human_size(self.before)} ({self.before:,} bytes) -> {human_size(self.after)} "
                f"({self.after:,} bytes), {signed_change(self.before, self.after, percent_digits=1)}; moved: {because}")


def moved_inputs(before: dict[str, Any], after: dict[str, Any], engine_before: dict[str, Any],
                 engine_after: dict[str, Any]) -> tuple[str, ...]:
    """The declared inputs of one variant that differ between two records."""
    moved = []
    for ref in sorted(set(before["bases"]) | set(after["bases"])):
        if before["bases"].get(ref) != after["bases"].get(ref):
            moved.append(f"base {ref}")
    if before["go_version"] != after["go_version"]:
        moved.append(f"Go version ({before['go_version'] or 'none'} -> {after['go_version'] or 'none'})")
    if before["dockerfile"] != after["dockerfile"]:
        moved.append("Dockerfile")
    if engine_before["version"] != engine_after["version"]:
        moved.append(f"engine ({engine_before['version']} -> {engine_after['version']})")
    return tuple(moved)


def changes(earlier: dict[str, Any], later: dict[str, Any]) -> list[Change]:
    """Every variant whose size differs between two records, or that only one of them has; the
    largest movement first."""
    found = []
    for vid in dict.fromkeys([*earlier["variants"], *later["variants"]]):
        before, after = earlier["variants"].get(vid), later["variants"].get(vid)
        if before is None or after is None:
            found.append(Change(vid, before and before["size_bytes"], after and after["size_bytes"], ()))
        elif before["size_bytes"] != after["size_bytes"]:
            found.append(Change(vid, before["size_bytes"], after["size_bytes"],
                                moved_inputs(before, after, earlier["engine"], later["engine"])))
    return sorted(found, key=lambda c: -abs(c.delta))


def same_build(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two records hold the same numbers and inputs (when they were made aside)."""
    return a["variants"] == b["variants"] and a["engine"] == b["engine"]


# --- the size guard ---------------------------------------------------------------------------

def allowance(tolerance: str, before: int) -> int:
    """How many bytes a variant of `before` bytes may grow under its tolerance ("2%" or "50kB")."""
    if tolerance.endswith("%"):
        return int(before * float(tolerance[:-1]) / 100)
    return parse_size(tolerance)


def crossed(earlier: dict[str, Any], later: dict[str, Any], tolerances: dict[str, str]) -> list[str]:
    """A message for each variant that grew past its declared tolerance between the two records."""
    messages = []
    for change in changes(earlier, later):
        tolerance = tolerances.get(change.variant)
        if tolerance is None or change.before is None or change.after is None:
            continue
        if change.delta > allowance(tolerance, change.before):
            messages.append(f"{change.variant} grew past its tolerance of {tolerance}: {change.describe()}")
    return messages


# --- the file -------------------------------------------------------------------------------

def read(path: Path) -> list[dict[str, Any]]:
    """Every record of the history file, oldest first ([] when there is none yet)."""
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}, line {number}: not a JSON record ({exc.msg})",
                              hint="The history is append-only: restore the line from git (`git diff`).") from None
        if not isinstance(record, dict) or record.get("history") != HISTORY_SCHEMA or "variants" not in record:
            raise ConfigError(f"{path}, line {number}: not a history record of version {HISTORY_SCHEMA}",
                              hint="Restore the line from git; records are only ever appended by "
                              "`python -m macros record`.")
        records.append(record)
    return records


def append(path: Path, record: dict[str, Any]) -> None:
    """Add one record as one line; earlier lines are never rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n")
