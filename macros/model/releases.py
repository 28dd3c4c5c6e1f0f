"""The release sweep: the same program built by each Go release, read from the results. Pure.

A matrix entry of the variants file (one per way of building, e.g. default and stripped) makes
one variant per Go release; here they are put back together: one row per release, one column
group per entry ("family"), sorted by the Go version each binary records about itself.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from .parts import PARTS
from .session import Shown

PART = next(p for p, part in PARTS.items() if part.by_release)  # the sweep: the part told by release


class Release(NamedTuple):  # a NamedTuple: see Layer in model/measurement.py
    go_version: str                 # as the binaries record it, e.g. "go1.21.13"
    builds: dict[str, Shown]       # family -> its result for this release


def version_key(go_version: str) -> tuple[int, ...]:
    """"go1.21.13" -> (1, 21, 13); anything unreadable sorts last."""
    numbers = re.findall(r"\d+", go_version)
    return tuple(int(n) for n in numbers) if numbers else (10**6,)


def minor(go_version: str) -> str:
    """"go1.21.13" -> "1.21"."""
    return ".".join(str(n) for n in version_key(go_version)[:2])


def sweep(results: Sequence[Shown]) -> tuple[list[str], list[Release]]:
    """The families in file order, and one Release per Go version, oldest first."""
    families: list[str] = []
    by_version: dict[str, dict[str, Shown]] = {}
    for r in results:
        if r.variant.part != PART:
            continue
        family = r.variant.family or r.id
        if family not in families:
            families.append(family)
        by_version.setdefault(r.measured.go_version or r.id, {})[family] = r
    ordered = sorted(by_version, key=version_key)
    return families, [Release(v, by_version[v]) for v in ordered]


def smallest(results: Sequence[Shown], family: str) -> Shown:
    """The smallest image of one family of the sweep."""
    candidates = [r for r in results if r.variant.part == PART and (r.variant.family or r.id) == family]
    if not candidates:
        raise KeyError(family)
    return min(candidates, key=lambda r: r.measured.size_bytes)
