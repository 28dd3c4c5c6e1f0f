"""docker-library/repo-info's Markdown, read for what the stand-ins are held against: an image's
on-disk size ("Virtual Size", printed in MB of 10^6 bytes to two decimals), creation date, command
and environment from `repos/<name>/local/<tag>.md`, and its compressed linux/amd64 size and date
from `repos/<name>/remote/<tag>.md`. Pure: text in, figures out."""
from __future__ import annotations

import email.utils
import json
import re
from typing import NamedTuple

_VIRTUAL = re.compile(r"^- Virtual Size: ~ ([0-9]+(?:\.[0-9]+)?) Mb", re.M)
_CREATED = re.compile(r"^- Created: `([0-9]{4}-[0-9]{2}-[0-9]{2})T", re.M)
_AMD64 = re.compile(r"^### `[^`\n]+` - linux; amd64$(.*?)(?=^### |\Z)", re.M | re.S)
_TOTAL = re.compile(r"Total Size: \*\*[^*]*\(([0-9]+) bytes\)\*\*")
_COMMAND = re.compile(r"^- Command: `(.*)`$", re.M)
_ENVIRONMENT = re.compile(r"^- Environment:\n((?:  - `[^`\n]*`\n?)*)", re.M)
_STEP_DATE = re.compile(r"^# ([A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT)$", re.M)


class Read(NamedTuple):
    bytes: int
    date: str  # the image's creation date, YYYY-MM-DD


def on_disk(local_md: str) -> Read | None:
    """The on-disk size and creation date of a local/<tag>.md; None when it prints none."""
    size, created = _VIRTUAL.search(local_md), _CREATED.search(local_md)
    if size is None or created is None:
        return None
    return Read(round(float(size.group(1)) * 1_000_000), created.group(1))


def config(local_md: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None:
    """The command and the environment ((name, value), in order) of a local/<tag>.md; None when it
    prints no command."""
    command, environment = _COMMAND.search(local_md), _ENVIRONMENT.search(local_md)
    if command is None:
        return None
    variables = re.findall(r"`([^`\n]*)`", environment.group(1)) if environment else []
    return tuple(json.loads(command.group(1))), tuple(tuple(v.partition("=")[::2]) for v in variables)


def transfer(remote_md: str) -> Read | None:
    """The compressed linux/amd64 size of a remote/<tag>.md, and the date of its newest step;
    None when it lists no such platform (a tag whose images were removed lists none)."""
    section = _AMD64.search(remote_md)
    total = _TOTAL.search(section.group(1)) if section else None
    if section is None or total is None:
        return None
    stamps = [email.utils.parsedate_to_datetime(s) for s in _STEP_DATE.findall(section.group(1))]
    return Read(int(total.group(1)), max(stamps).date().isoformat() if stamps else "")
