"""The checks program's output (checks-app/), read back: one line per check, "<check>: ok (...)"
or "<check>: <the Go error>". The program declares its checks; their names, order and count are
taken from what it printed, so a check added to it is a new column on the next build. Pure."""
from __future__ import annotations

import re
from collections.abc import Iterable

from .parts import CHECKED

_LINE = re.compile(r"^(\w[^:]*): (.+)$")  # a check's name, then what it found or the Go error


def parsed(stdout: str) -> dict[str, bool] | None:
    """Each check and whether it passed, in the order printed; None unless the output is the checks
    program's (a line of its own on every line)."""
    found: dict[str, bool] = {}
    for line in stdout.splitlines():
        match = _LINE.match(line)
        if match is None:
            return None
        found[match.group(1)] = match.group(2).startswith("ok")
    return found or None


def answers(part: str, stdout: str) -> dict[str, bool] | None:
    """A variant's answers: its output read as the checks program's where its part runs that
    program (parts.py), else None, whatever it printed."""
    return parsed(stdout) if part in CHECKED else None


def names(outputs: Iterable[str]) -> list[str]:
    """Every check these outputs answer, in the order the program prints them."""
    seen: dict[str, None] = {}
    for stdout in outputs:
        seen |= dict.fromkeys(parsed(stdout) or {})
    return list(seen)


def passes_all(found: dict[str, bool] | None, wanted: Iterable[str]) -> bool:
    """Whether these are the checks program's answers and every wanted check passed in them."""
    return found is not None and all(found.get(name, False) for name in wanted)
