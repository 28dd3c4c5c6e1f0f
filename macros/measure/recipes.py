"""The recipes file (dockerfiles/bases/bases.yml): how to build each base image that no registry
gives, with its build arguments, host-side preparers, declared support windows, the upstream
definition it follows, what it cannot match (gaps) and how far from upstream its size may be;
validated with a JSON Schema. Also which bases a folder of Dockerfiles names."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..model import dockerfile
from ..model.records import Gap, Support, Tolerance
from ..model.schema import first_error, load_yaml
from ..model.settings import Settings
from .preparers import PREPARERS

RECIPE_SCHEMA = "2"  # 2: build arguments

_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "patternProperties": {"^x-": {}},  # shared blocks for YAML anchors (support windows), not bases
    "additionalProperties": {
        "type": "object",
        "required": ["recipe"],
        "additionalProperties": False,
        "properties": {
            "recipe": {"type": "string", "minLength": 1},
            "follows": {"type": "object", "required": ["what", "source", "date"], "additionalProperties": False,
                        "properties": {"what": {"type": "string", "minLength": 1},
                                       "source": {"type": "string", "pattern": "^https://"},
                                       "date": {"type": "string", "pattern": _DATE}}},
            "gaps": {"type": "array",
                     "items": {"type": "object", "required": ["what", "why"], "additionalProperties": False,
                               "properties": {"what": {"type": "string", "minLength": 1},
                                              "why": {"type": "string", "minLength": 1}}}},
            "tolerance": {"type": "object", "required": ["percent", "why"], "additionalProperties": False,
                          "properties": {"percent": {"type": "number", "exclusiveMinimum": 0},
                                         "why": {"type": "string", "minLength": 1}}},
            "upstream": {"type": "string", "minLength": 1},
            "build_args": {"type": "object", "additionalProperties": {"type": "string"}},
            "support": {
                "type": "array",
                "items": {"type": "object", "required": ["what", "ends", "source"], "additionalProperties": False,
                          "properties": {"what": {"type": "string", "minLength": 1},
                                         "ends": {"type": "string", "pattern": _DATE},
                                         "source": {"type": "string", "pattern": "^https://"}}},
            },
            "prepare": {"type": "object", "additionalProperties": False,
                        "properties": {kind: p.schema for kind, p in PREPARERS.items()}},
        },
    },
}


@dataclass(frozen=True)
class Recipe:
    reference: str
    folder: Path
    prepare: dict[str, dict[str, Any]]
    parents: tuple[str, ...]
    build_args: dict[str, str] = field(default_factory=dict)
    support: tuple[Support, ...] = ()
    follows: dict[str, str] = field(default_factory=dict)  # what, source, date
    gaps: tuple[Gap, ...] = ()
    tolerance: Tolerance | None = None   # None: the default (Settings.base_tolerance_percent)
    upstream: str = ""                   # the upstream.yml entry it is held against ("": its own name)


def load_recipes(settings: Settings) -> dict[str, Recipe]:
    path = settings.bases_file
    try:
        raw = path.read_bytes()
        data = load_yaml(raw) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: is not valid YAML ({exc})") from None
    error = first_error(_SCHEMA, data, raw=raw, memo=settings.cached("validated"))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: at {where}: {error.message}")
    recipes: dict[str, Recipe] = {}
    for ref, entry in data.items():
        if ref.startswith("x-"):
            continue
        folder = path.parent / entry["recipe"]
        if not (folder / "Dockerfile").is_file():
            raise ConfigError(f"{path}: {ref}: recipe folder {folder} has no Dockerfile")
        build_args = dict(entry.get("build_args", {}))
        parents = dockerfile.read(folder / "Dockerfile", build_args=build_args).bases
        support = tuple(Support(**window) for window in entry.get("support", []))
        for window in support:
            try:
                dt.date.fromisoformat(window.ends)
            except ValueError:
                raise ConfigError(f"{path}: {ref}: support window {window.what!r} ends on {window.ends!r}, "
                                  "which is not a date", hint="Write the date as YYYY-MM-DD.") from None
        tolerance = Tolerance(**entry["tolerance"]) if "tolerance" in entry else None
        recipes[ref] = Recipe(ref, folder, entry.get("prepare", {}), parents, build_args, support,
                              follows=dict(entry.get("follows", {})),
                              gaps=tuple(Gap(**gap) for gap in entry.get("gaps", [])), tolerance=tolerance,
                              upstream=entry.get("upstream", ""))
    return recipes


def wanted_references(folder: Path) -> list[str]:
    """Every base named by the Dockerfiles in `folder` (build arguments at their defaults), in a
    stable order."""
    dockerfiles = sorted(p for p in folder.glob("Dockerfile*") if not p.name.endswith(".dockerignore")
                         ) if folder.is_dir() else []  # a Dockerfile's own ignore file is not one
    if not dockerfiles:
        raise ConfigError(f"{folder}: no Dockerfile* files there",
                          hint="Name a folder that holds the variants' Dockerfiles.")
    parsed = [dockerfile.read(path) for path in dockerfiles]
    return list(dict.fromkeys(r for p in parsed for r in p.bases))
