"""Just enough Dockerfile parsing to find the base images a file names in FROM."""
from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError

_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(?P<ref>\S+)(?:\s+AS\s+(?P<stage>\S+))?\s*$", re.I)


def instructions(text: str) -> list[str]:
    """Logical lines: comments dropped, backslash continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending.strip():
        logical.append(pending.strip())
    return logical


def base_references(path: Path) -> list[str]:
    """The images named in FROM, in order, without `scratch` and earlier build stages."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as a UTF-8 Dockerfile ({exc})") from None
    stages: set[str] = set()
    refs: list[str] = []
    seen_from = False
    for line in instructions(text):
        if not line.upper().startswith("FROM"):
            continue
        match = _FROM.match(line)
        if not match:
            raise ConfigError(f"{path}: cannot read this FROM line: {line!r}",
                              hint="Write it as `FROM image[:tag] [AS name]`.")
        seen_from = True
        ref, stage = match.group("ref"), match.group("stage")
        if "$" in ref:
            raise ConfigError(f"{path}: FROM {ref} uses a build argument; bases must be named literally",
                              hint="Write the image reference in full in the FROM line.")
        if ref.lower() != "scratch" and ref.lower() not in stages and ref not in refs:
            refs.append(ref)
        if stage:
            stages.add(stage.lower())
    if not seen_from:
        raise ConfigError(f"{path}: has no FROM instruction",
                          hint="Every Dockerfile starts from a base: add `FROM <image>` (or `FROM scratch`).")
    return refs


def final_base(path: Path) -> str:
    """The base of the last stage, following stage names back to an image (or `scratch`)."""
    stages: dict[str, str] = {}
    last = ""
    for line in instructions(path.read_text(encoding="utf-8")):
        match = _FROM.match(line)
        if not match:
            continue
        ref = match.group("ref")
        last = stages.get(ref.lower(), ref)
        if match.group("stage"):
            stages[match.group("stage").lower()] = last
    return last
