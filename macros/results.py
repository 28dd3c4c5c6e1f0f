"""The record of one measured variant, and results.json. Plain, typed, JSON-serialisable."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

SCHEMA_VERSION = 3  # 2: part, bases, start-up times; 3: registry transfer sizes


# Small immutable records are NamedTuples, not frozen dataclasses: every doc build defines them, and
# here a frozen dataclass takes about 0.45 ms to define, a NamedTuple about 0.09 ms.
class Layer(NamedTuple):
    created_by: str
    size_bytes: int


@dataclass(frozen=True)
class Result:
    id: str
    title: str
    description: str
    dockerfile: str             # path relative to the repository
    dockerfile_text: str        # the exact bytes that were built (UTF-8)
    final_base: str
    image_id: str
    tag: str
    size_bytes: int             # what `docker images` shows, from the engine's inspect
    size_human: str             # the same, formatted as the docker CLI formats it
    compressed_bytes: int       # transfer size: compressed layers + config, as the registry's manifest lists them
    layer_count: int
    layers: list[Layer]         # image history, oldest first: the instruction and its size
    binary_bytes: int
    go_version: str
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    stdout_bytes: int           # each stream's whole length; only the first 64 KiB are kept
    stderr_bytes: int
    start_error: str
    expected: str               # the declared expectation, in words (a Result exists only when it was met)
    verify_note: str            # how the run met it
    build_s: float
    run_s: float
    # Start-up: medians over `start_runs` sandboxed runs (None for an image declared not to start).
    # start_s: from the start call until the engine reports the exit, as a client waits for it;
    # process_s: the engine's own record of the process, from its StartedAt to its FinishedAt.
    start_s: float | None
    process_s: float | None
    start_runs: int
    measured_at: str            # ISO 8601, UTC
    article_2022: str | None = None
    part: str = "base"
    bases: list[str] = field(default_factory=list)  # the images its FROM lines name, in order
    family: str = ""            # the variants-file entry it came from (a matrix makes several)
    cache_key: str = ""
    registry_ref: str = ""      # where the measured image is stored: <registry>/<repository>@<digest>
    reused: bool = False        # True when this build served it from the cache

    def as_dict(self) -> dict[str, Any]:
        # what dataclasses.asdict gives, without its deep copy of every value (a build writes ~30 of these)
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["layers"] = [layer._asdict() for layer in self.layers]
        data["bases"] = list(self.bases)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        data = dict(data)
        data["layers"] = [Layer(**layer) for layer in data["layers"]]
        return cls(**data)


def write_json(path: Path, *, engine: dict[str, Any], registry: dict[str, Any], bases: list[dict[str, Any]],
               results: list[Result], generated_at: str, build: dict[str, Any]) -> None:
    document = {
        "schema": SCHEMA_VERSION,
        "generated_at": generated_at,
        "engine": engine,
        "registry": registry,
        "bases": bases,
        "variants": [r.as_dict() for r in results],
        "build": build,  # what this doc build did: which variants it measured, which it reused
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
