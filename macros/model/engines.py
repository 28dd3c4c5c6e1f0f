"""The same images measured on two engines, compared: sizes must be equal, transfers close.

Read from two results.json documents (one per engine). A size is counted from the layers' files
(model/layer_files.py), so any difference means the images differ. A transfer is each engine's
gzip of the same layers plus the config it writes, so it may move by a little: by a share of the
layers (each compressor's choices) and by a few hundred bytes whatever the image's size (the
config, gzip's framing), hence a relative and an absolute allowance, as `math.isclose` takes them.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

# The allowances are there to catch another compression (zstd, another gzip level), which moves a
# transfer by whole percents, not one compressor's choices against another's. Measured here on
# 2026-12-05 (`python -m macros engines`, every variant and base built from nothing on each):
# Debian 12's engine (20.10) against Debian 13's (26.1.5, containerd store), the large images'
# transfers 0.005% to 0.113% apart (golang:1.19-bookworm), the smallest 934 bytes apart
# (floor: 2,017 against 1,083), most of it the config, where 20.10 also records the build container.
TRANSFER_TOLERANCE_PERCENT = 1.0
TRANSFER_TOLERANCE_BYTES = 2048
ALLOWED = f"{TRANSFER_TOLERANCE_PERCENT:g}% or {TRANSFER_TOLERANCE_BYTES:,} bytes, whichever is more"


class Row(NamedTuple):
    image: str                # a variant id, or a base's reference
    base: bool                # a base image, not a variant
    size: int                 # on the reference engine
    other_size: int
    transfer: int | None      # None: not pushed (a base of an older results.json)
    other_transfer: int | None
    other_store: int | None   # what the other engine's store reports

    @property
    def transfer_percent(self) -> float | None:
        if not self.transfer or self.other_transfer is None:
            return None
        return (self.other_transfer - self.transfer) / self.transfer * 100

    @property
    def transfer_close(self) -> bool:
        """Within the allowances, or not comparable (an older results.json's base was not pushed)."""
        if self.transfer is None or self.other_transfer is None:
            return True
        return math.isclose(self.transfer, self.other_transfer, rel_tol=TRANSFER_TOLERANCE_PERCENT / 100,
                            abs_tol=TRANSFER_TOLERANCE_BYTES)


class Comparison(NamedTuple):
    engine: dict[str, Any]        # the reference engine's facts, as results.json has them
    other_engine: dict[str, Any]
    rows: tuple[Row, ...]
    only_one: tuple[str, ...]     # images measured on one engine only: not compared

    @property
    def sizes_equal(self) -> int:
        return sum(r.size == r.other_size for r in self.rows)

    @property
    def farthest_transfer(self) -> Row | None:
        """The image whose transfers are the most bytes apart (None: no transfer on both sides)."""
        found = [r for r in self.rows if r.transfer is not None and r.other_transfer is not None]
        return max(found, key=lambda r: abs((r.other_transfer or 0) - (r.transfer or 0)), default=None)

    def farthest_transfer_said(self) -> str:
        """'10,000 bytes (+0.033%, debian:trixie)', or '-' when no transfer was compared."""
        r = self.farthest_transfer
        if r is None or r.transfer is None or r.other_transfer is None:
            return "-"
        return f"{r.other_transfer - r.transfer:+,} bytes ({r.transfer_percent:+.3f}%, {r.image})"

    def problems(self) -> list[str]:
        said = [f"{r.image}: {r.size:,} bytes against {r.other_size:,}" for r in self.rows if r.size != r.other_size]
        said += [f"{r.image}: transfer {r.transfer:,} bytes against {r.other_transfer:,} ({r.transfer_percent:+.3f}%)"
                 for r in self.rows if not r.transfer_close]
        return said

    def as_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "other_engine": self.other_engine, "only_one": list(self.only_one),
                "rows": [r._asdict() for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """Raises KeyError or TypeError when `data` is not of this shape."""
        return cls(data["engine"], data["other_engine"], tuple(Row(**r) for r in data["rows"]),
                   tuple(data["only_one"]))


def _images(results: dict[str, Any]) -> dict[str, tuple[bool, int, int | None, int | None]]:
    found = {v["id"]: (False, v["size_bytes"], v["transfer_bytes"], v.get("store_bytes"))
             for v in results["variants"]}
    found |= {b["reference"]: (True, b["size_bytes"], b.get("transfer_bytes"), b.get("store_bytes"))
              for b in results["bases"]}
    return found


def compare(reference: dict[str, Any], other: dict[str, Any]) -> Comparison:
    """Every image both documents measured (variants by id, bases by reference)."""
    ours, theirs = _images(reference), _images(other)
    rows = tuple(Row(image, ours[image][0], ours[image][1], theirs[image][1], ours[image][2], theirs[image][2],
                     theirs[image][3]) for image in ours if image in theirs)
    only_one = tuple(sorted(set(ours) ^ set(theirs)))
    return Comparison(reference["engine"], other["engine"], rows, only_one)
