"""Numbers in sentences, as a person writes them: "one container", "3 cgroup folders"."""
from __future__ import annotations


def counted(n: int, noun: str, plural: str = "") -> str:
    return f"one {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"
