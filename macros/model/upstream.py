"""What upstream images publish about themselves (dockerfiles/bases/upstream.yml): sizes, package
sets, accounts, the user a container runs as, and the command and environment it starts with,
copied as facts, each with the repository, file, commit and date it came from; validated with a
JSON Schema. The stand-ins are held against these (model/fidelity.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import yaml

from ..errors import ConfigError
from .records import Account, runs_as
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
_ACCOUNT = {"type": "object", "required": ["name", "uid"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1}, "uid": {"type": "integer", "minimum": 0}}}
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
            "accounts": {"type": "object", "required": ["users", "source"], "additionalProperties": False,
                         "properties": {"users": {"type": "array", "minItems": 1, "items": _ACCOUNT},
                                        "source": _SOURCE}},
            # as the image's configuration names it (a name or a UID); resolved by `accounts`
            "user": {"type": "object", "required": ["runs_as", "source"], "additionalProperties": False,
                     "properties": {"runs_as": {"type": "string", "minLength": 1},
                                    "working_dir": {"type": "string", "pattern": "^/"},
                                    "source": _SOURCE}},
            # the configuration's command, and the environment variables it sets (each compared)
            "config": {"type": "object", "required": ["cmd", "env", "source"], "additionalProperties": False,
                       "properties": {"cmd": {"type": "array", "items": {"type": "string"}},
                                      "env": {"type": "object", "minProperties": 1,
                                              "additionalProperties": {"type": "string"}},
                                      "source": _SOURCE}},
        },
        "dependentRequired": {"user": ["accounts"]},
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


class Accounts(NamedTuple):
    users: tuple[Account, ...]  # home unknown ("") where the definition does not say it
    source: Source


class RunsAs(NamedTuple):
    account: Account | None  # the accounts' entry its configuration names; None if none matches
    named: str               # as the configuration names it ("65532", "nonroot")
    working_dir: str | None  # None where the definition does not say it
    source: Source


class Config(NamedTuple):
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...]  # (name, value), in the file's order
    source: Source


class Upstream(NamedTuple):
    """What one upstream image publishes; each part is None where it publishes nothing of the kind."""
    reference: str
    size: Figure | None = None
    transfer: Figure | None = None
    packages: PackageSet | None = None
    accounts: Accounts | None = None
    user: RunsAs | None = None
    config: Config | None = None


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
                          hint="Each entry has size, transfer, packages, accounts, user and/or config, "
                               "each with its source.")
    return {ref: _entry(ref, entry) for ref, entry in data.items()}


def _entry(ref: str, entry: dict[str, Any]) -> Upstream:
    def figure(key: str) -> Figure | None:
        part = entry.get(key)
        return Figure(part["bytes"], Source(**part["source"])) if part else None

    packages, accounts, user, config = (entry.get(k) for k in ("packages", "accounts", "user", "config"))
    users = tuple(Account(u["name"], u["uid"], "") for u in accounts["users"]) if accounts else ()
    return Upstream(ref, figure("size"), figure("transfer"),
                    PackageSet(tuple(packages["names"]), Source(**packages["source"])) if packages else None,
                    Accounts(users, Source(**accounts["source"])) if accounts else None,
                    RunsAs(runs_as(user["runs_as"], users), user["runs_as"], user.get("working_dir"),
                           Source(**user["source"])) if user else None,
                    Config(tuple(config["cmd"]), tuple(config["env"].items()), Source(**config["source"]))
                    if config else None)
