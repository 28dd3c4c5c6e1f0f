"""The variants file: one entry per Dockerfile variant, validated with a JSON Schema."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, did_you_mean
from . import checks
from .dockerfile import Parsed, read
from .parts import CHECKED, title_of
from .schema import first_error, load_yaml
from .settings import REPO, Settings
from .variants_schema import VARIANTS_SCHEMA


@dataclass(frozen=True)
class Expectation:
    """What running the image must do: exit with a code and print exactly what is given (a stream
    left out is not checked), or fail to start with an engine message containing `fails_with`."""
    exit_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None
    fails_with: str | None = None

    def describe(self) -> str:
        """What the run must do, as a phrase that follows "it must" or "expected it to"."""
        if self.fails_with is not None:
            return f"fail (not start, or exit non-zero) with a message containing {self.fails_with!r}"
        printed = [f"{_shown(text)} on {name}" for name, text in (("stdout", self.stdout), ("stderr", self.stderr))
                   if text is not None]
        return f"exit with code {self.exit_code}" + (f", printing {' and '.join(printed)}" if printed else "")


def _shown(text: str) -> str:
    return repr(text) if text else "nothing"


@dataclass(frozen=True)
class Variant:
    """One entry of the variants file, its Dockerfile read and parsed once, at load."""
    id: str
    title: str
    description: str
    dockerfile: Path
    context: Path
    expect: Expectation
    parsed: Parsed
    binary: str
    timeout_s: float
    build_timeout_s: float
    build_memory_mib: int
    article_2022: str | None = None
    tolerance: str | None = None               # growth allowed since the last record: "2%" or "50kB"
    build_args: dict[str, str] = field(default_factory=dict)
    part: str = "base"
    edition: str = ""                          # the year of its bases; "" if it belongs to none
    redoes: str = ""                           # the earlier edition's variant it builds again
    against: str = ""                          # the variant it changes one thing of
    family: str = ""                           # the id of its entry: its own, or the matrix entry's that made it
    origin: str = ""                           # where it is declared, for messages: file, entry, value

    @property
    def bases(self) -> tuple[str, ...]:
        """The images it is built from (its FROM lines', then its COPY --from's and mounts'), in order."""
        return self.parsed.bases

    @property
    def final_base(self) -> str:
        return self.parsed.final_base

    @property
    def from_matrix(self) -> bool:
        """Whether a matrix entry made it (its id is the entry's with a value)."""
        return bool(self.family) and self.family != self.id

    @property
    def dockerfile_rel(self) -> str:
        return self.dockerfile.relative_to(REPO).as_posix() if self.dockerfile.is_relative_to(REPO) \
            else str(self.dockerfile)

    @property
    def what(self) -> str:
        """How messages name the variant: its id and its Dockerfile."""
        return f"variant {self.id!r} ({self.dockerfile_rel})"


def load(settings: Settings, *, path: Path | None = None, repo: Path = REPO) -> list[Variant]:
    """Read and check the variants file (`settings.variants_file`, or `path`); every fault names
    the file, the entry and the key."""
    path = path or settings.variants_file
    try:
        raw = path.read_bytes()
        data = load_yaml(raw)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: is not valid YAML: {exc}") from None
    _validate(path, data, raw, settings.cached("validated"))
    variants: list[Variant] = []
    seen: set[str] = set()
    titled: dict[str, str] = {}  # title -> the id that has it: the navigation and the tables list variants by title
    for entry in data["variants"]:
        for raw, where in _expanded(path, entry):
            if raw["id"] in seen:
                raise ConfigError(f"{where}: the id {raw['id']!r} is used twice", hint="Give each variant its own id.")
            if raw["title"] in titled:
                raise ConfigError(f"{where}: the title {raw['title']!r} is also variant {titled[raw['title']]!r}'s",
                                  hint="Give each variant its own title: the pages list variants by title.")
            seen.add(raw["id"])
            titled[raw["title"]] = raw["id"]
            variants.append(_variant(raw, where, path=path, repo=repo, family=entry["id"], defaults=settings))
    _check_redoes(path, variants)
    _check_against(path, variants)
    return variants


def _check_against(path: Path, declared: list[Variant]) -> None:
    ids = [v.id for v in declared]
    for v in declared:
        if v.against and (v.against not in ids or v.against == v.id):
            raise ConfigError(f"{path}: variant {v.id!r}: key 'against': no other variant {v.against!r}"
                              f"{did_you_mean(v.against, ids)}",
                              hint="Name the id of the variant this one changes one thing of.")


def compared(declared: list[Variant]) -> list[tuple[str, str]]:
    """The pairs of variants whose images the pages compare, earlier first: each variant with the
    one it redoes and the one it is against."""
    return [(before, v.id) for v in declared for before in (v.redoes, v.against) if before]


def _check_redoes(path: Path, declared: list[Variant]) -> None:
    """`redoes` names a variant of an earlier edition, and each is redone at most once per edition."""
    by_id = {v.id: v for v in declared}
    seen: dict[tuple[str, str], str] = {}
    for v in declared:
        if not v.redoes:
            continue
        where = f"{path}: variant {v.id!r}: key 'redoes'"
        then = by_id.get(v.redoes)
        if then is None:
            raise ConfigError(f"{where}: no variant {v.redoes!r}{did_you_mean(v.redoes, list(by_id))}",
                              hint="Name the id of the variant this one builds again on newer bases.")
        if not v.edition or not then.edition or then.edition >= v.edition:
            raise ConfigError(f"{where}: {v.redoes!r} must be of an earlier edition than this one "
                              f"(they are {then.edition or 'none'} and {v.edition or 'none'})",
                              hint="Give both variants an 'edition' (the year of their bases).")
        if (v.redoes, v.edition) in seen:
            raise ConfigError(f"{where}: {v.redoes!r} is already redone in edition {v.edition} by "
                              f"{seen[(v.redoes, v.edition)]!r}")
        seen[(v.redoes, v.edition)] = v.id


def bases_named(declared: list[Variant]) -> list[str]:
    """Every base the variants name, in a stable order. The bases of build stages (the
    toolchains: large, slow to provision) come before those only shipped (small runtime images),
    so they are started first."""
    named = list(dict.fromkeys(r for v in declared for r in v.bases))
    building = {r for v in declared for r in v.bases if r != v.final_base}
    return sorted(named, key=lambda r: r not in building)


def _expanded(path: Path, entry: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """An entry, or one entry per value of its matrix (with the value as a build argument)."""
    where = f"{path}: variant {entry['id']!r}"
    if "matrix" not in entry:
        return [(entry, where)]
    [(name, values)] = entry["matrix"].items()
    out = []
    for item in values:
        value, own_args = (item, {}) if isinstance(item, str) else (item["value"], item.get("build_args", {}))
        raw = {key: item for key, item in entry.items() if key != "matrix"}
        raw.update(id=f"{entry['id']}-{value.lower()}",
                   build_args={**entry.get("build_args", {}), **own_args, name: value},
                   title=entry["title"].replace(f"{{{name}}}", value),
                   description=entry["description"].replace(f"{{{name}}}", value))
        if "against" in entry:
            raw["against"] = f"{entry['against']}-{value.lower()}"
        raw.setdefault("dockerfile", f"Dockerfile.{entry['id']}")
        out.append((raw, f"{where}, matrix value {name}={value}"))
    return out


# Build arguments every build takes without an ARG line: Docker's predefined proxy ones, and
# BuildKit's own settings (BUILDKIT_SYNTAX, BUILDKIT_INLINE_CACHE ...).
_PREDEFINED = re.compile(r"^(?:(?:HTTP|HTTPS|FTP|NO|ALL)_PROXY|(?:http|https|ftp|no|all)_proxy|BUILDKIT_\w+)$")


def _variant(raw: dict[str, Any], where: str, *, path: Path, repo: Path, family: str,
             defaults: Settings) -> Variant:
    vid = raw["id"]
    dockerfile = (path.parent / raw.get("dockerfile", f"Dockerfile.{vid}")).resolve()
    if not dockerfile.is_file():
        what = "is a folder, not a file" if dockerfile.is_dir() else "does not exist"
        raise ConfigError(f"{where}: key 'dockerfile': {dockerfile} {what}",
                          hint=f"Create it, or point 'dockerfile' at an existing file in {path.parent}.")
    context = (repo / raw.get("context", defaults.default_context)).resolve()
    if not context.is_relative_to(repo.resolve()):
        raise ConfigError(f"{where}: key 'context': {context} is outside the repository",
                          hint="The build context must be a folder inside the repository.")
    if not context.is_dir():
        raise ConfigError(f"{where}: key 'context': {context} is not a folder")
    build_args = dict(raw.get("build_args", {}))
    parsed = read(dockerfile, build_args=build_args)
    ignored = sorted(name for name in build_args if name not in parsed.args and not _PREDEFINED.match(name))
    if ignored:  # the builder would only warn, and build with the defaults
        raise ConfigError(f"{where}: key 'build_args': {', '.join(ignored)} is declared by no ARG line of "
                          f"{dockerfile.name}, so the build would ignore it"
                          f"{did_you_mean(ignored[0], parsed.args)}",
                          hint=f"Declare it in the Dockerfile (`ARG {ignored[0]}`) where it is used, or correct its "
                               "name under 'build_args'.")
    part, expect = raw.get("part", "base"), Expectation(**raw["expect"])
    if part in CHECKED and expect.stdout is not None and checks.parsed(expect.stdout) is None:
        raise ConfigError(f"{where}: key 'part': {title_of(part)!r} reads what its variants print as the checks "
                          "program's answers, one \"<check>: ok (...)\" or \"<check>: <error>\" line each, and the "
                          "stdout this variant declares is not that",
                          hint="Build the checks program (`context: checks-app`) and declare what it prints, or put "
                               "the variant in another part.")
    return Variant(
        id=vid, title=raw["title"], description=raw["description"], dockerfile=dockerfile,
        context=context, expect=expect, parsed=parsed,
        binary=raw.get("binary", defaults.default_binary),
        timeout_s=float(raw.get("timeout_s", defaults.default_timeout_s)),
        build_timeout_s=float(raw.get("build_timeout_s", defaults.default_build_timeout_s)),
        build_memory_mib=int(raw.get("build_memory_mib", defaults.default_build_memory_mib)),
        article_2022=raw.get("article_2022"), tolerance=raw.get("tolerance"), build_args=build_args,
        part=part,
        edition=raw.get("edition", ""), redoes=raw.get("redoes", ""), against=raw.get("against", ""),
        family=family, origin=where,
    )


def _validate(path: Path, data: Any, raw: bytes, memo: Path | None) -> None:
    error = first_error(VARIANTS_SCHEMA, data, raw=raw, memo=memo)
    if error is None:
        return
    where = f"{path}"
    loc = list(error.absolute_path)
    if len(loc) >= 2 and loc[0] == "variants" and isinstance(loc[1], int):
        entry = data["variants"][loc[1]]
        name = entry.get("id") if isinstance(entry, dict) else None
        where += f": variant {name!r}" if name else f": variant #{loc[1] + 1}"
        loc = loc[2:]
    key = "/".join(str(p) for p in loc)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        raise ConfigError(f"{where}: unknown key {', '.join(map(repr, extra))}"
                          + (f" under {key!r}" if key else "") + did_you_mean(extra[0], allowed),
                          hint=f"Allowed keys: {', '.join(allowed)}.")
    if error.validator == "required":
        raise ConfigError(f"{where}: {error.message.replace('property', 'key')}" + (f" under {key!r}" if key else ""))
    if error.validator == "pattern" and "description" in error.schema:  # its words, not its regular expression
        raise ConfigError(f"{where}: key {key!r}: {error.instance!r} is not {error.schema['description']}")
    takes = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    if error.validator in ("oneOf", "anyOf"):  # a matrix value: text, or an object that gives it
        takes = [sub.get("type") for sub in takes if isinstance(sub, dict)]
    if error.validator in ("type", "oneOf", "anyOf") and "string" in takes and isinstance(error.instance, (int, float)):
        # YAML reads an unquoted 1.20 as the number 1.2: a version must be quoted to stay itself
        raise ConfigError(f"{where}: key {key!r}: {error.instance!r} is a number to YAML, and this key takes text",
                          hint="Quote the value as you meant it (\"1.20\", not 1.20, which YAML reads as the number "
                               "1.2).")
    if error.validator == "oneOf" and key == "expect":
        raise ConfigError(f"{where}: key 'expect' must give either 'exit_code' (with optional 'stdout' "
                          "and 'stderr') or 'fails_with', not both and not neither")
    raise ConfigError(f"{where}: key {key!r}: {error.message}" if key else f"{where}: {error.message}")
