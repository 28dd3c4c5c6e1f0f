"""What upstream images publish about themselves (dockerfiles/bases/upstream.yml): sizes and
package sets copied as facts, each with the repository, file, commit and date it came from;
validated with a JSON Schema. The stand-ins are held against these (model/fidelity.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import yaml

from ..errors import ConfigError
from .schema import first_error, load_yaml

_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_SOURCE = {"type": "object", "required": ["repo", "file", "commit", "date"], "additionalProperties": False,
           "properties": {"repo": {"type": "string", "pattern": "^[^/ ]+/[^/ ]+$"},
                          "file": {"type": "string", "minLength": 1},
                          "commit": {"type": "string", "pattern": "^[0-9a-f]{7,40}$"},
                          "date": {"type": "string", "pattern": _DATE},
                          "note": {"type": "string"}}}
_FIGURE = {"type": "object", "required": ["bytes", "source"], "additionalProperties": False,
           "properties": {"bytes": {"type": "integer", "minimum": 1}, "source": _SOURCE}}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {
            "size": _FIGURE,
            "transfer": _FIGURE,
            "packages": {"type": "object", "required": ["names", "source"], "additionalProperties": False,
                         "properties": {"names": {"type": "array", "minItems": 1, "uniqueItems": True,
                                                  "items": {"type": "string", "minLength": 1}},
                                        "source": _SOURCE}},
        },
    },
}


class Source(NamedTuple):
    repo: str      # owner/name on GitHub
    file: str
    commit: str
    date: str      # the image's creation date (repo-info), or the commit's (a definition)
    note: str = ""

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/blob/{self.commit}/{self.file}"


class Figure(NamedTuple):
    bytes: int
    source: Source


class PackageSet(NamedTuple):
    names: tuple[str, ...]
    source: Source


class Upstream(NamedTuple):
    """What one upstream image publishes; each part is None where it publishes nothing of the kind."""
    reference: str
    size: Figure | None
    transfer: Figure | None
    packages: PackageSet | None


def load(path: Path, *, memo: Path | None = None) -> dict[str, Upstream]:
    """Every entry of the file, by reference; {} when there is no such file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = load_yaml(raw) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: is not valid YAML ({exc})") from None
    error = first_error(_SCHEMA, data, raw=raw, memo=memo)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: at {where}: {error.message}",
                          hint="Each entry has size, transfer and/or packages, each with its source.")
    return {ref: _entry(ref, entry) for ref, entry in data.items()}


def _entry(ref: str, entry: dict[str, Any]) -> Upstream:
    def figure(key: str) -> Figure | None:
        part = entry.get(key)
        return Figure(part["bytes"], Source(**part["source"])) if part else None

    packages = entry.get("packages")
    return Upstream(ref, figure("size"), figure("transfer"),
                    PackageSet(tuple(packages["names"]), Source(**packages["source"])) if packages else None)
