"""Numbers in sentences, as a person writes them: "one container", "3 cgroup folders", "both bases",
and a moment to the minute: "2026-12-07 08:21 UTC"."""
from __future__ import annotations

import datetime as dt

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_word(n: int) -> str:
    """A small count as a word ("four"), a larger one in digits ("12")."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def counted(n: int, noun: str, plural: str = "") -> str:
    return f"one {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"


def share(n: int, total: int, noun: str, plural: str = "") -> str:
    """n of total things: "2 of the 18 bases", "one of the 3 bases", "both bases", "all 18 bases",
    "none of the 3 bases", "neither base", "the one base" (or "not the one base")."""
    nouns = plural or noun + "s"
    if total == 1:
        return f"the one {noun}" if n == 1 else f"not the one {noun}"
    if total == 2:
        return {0: f"neither {noun}", 1: f"one of the two {nouns}", 2: f"both {nouns}"}[n]
    if n == total:
        return f"all {total:,} {nouns}"
    return f"none of the {total:,} {nouns}" if n == 0 else f"{'one' if n == 1 else f'{n:,}'} of the {total:,} {nouns}"


def listed(items: list[str]) -> str:
    """Names in a sentence: "trust", "trust and time zones", "trust, time zones and identity"."""
    return " and ".join(filter(None, (", ".join(items[:-1]), items[-1]))) if items else ""


def both(first: int, second: int, unit: str) -> str:
    """Two figures, said once when they are the same: "both 1,895,687 bytes", "1,203 and 1,284 bytes"."""
    return f"both {first:,} {unit}" if first == second else f"{first:,} and {second:,} {unit}"


def utc_minute(stamp: str) -> str:
    """An ISO 8601 time stamp as a reader takes it in: "2026-12-07 08:21 UTC" (the files keep the
    seconds and the offset; no page needs them)."""
    return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
