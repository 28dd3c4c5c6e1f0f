"""The same images measured on two engines, compared: sizes must be equal, transfers close.

Read from two results.json documents (one per engine). A size is counted from the layers' files
(model/layer_files.py), so any difference means the images differ; a transfer is each engine's
gzip of the same layers, so it may move by a little (`TRANSFER_TOLERANCE_PERCENT`).
"""
from __future__ import annotations

from typing import Any, NamedTuple

# Measured here: Debian 12's engine (20.10) against Debian 13's (26.1) compress the same layers
# within 0.05% of each other.
TRANSFER_TOLERANCE_PERCENT = 0.1


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


class Comparison(NamedTuple):
    engine: dict[str, Any]        # the reference engine's facts, as results.json has them
    other_engine: dict[str, Any]
    rows: tuple[Row, ...]
    only_one: tuple[str, ...]     # images measured on one engine only: not compared

    @property
    def sizes_equal(self) -> int:
        return sum(r.size == r.other_size for r in self.rows)

    @property
    def largest_transfer_percent(self) -> float:
        found = [abs(p) for r in self.rows if (p := r.transfer_percent) is not None]
        return max(found, default=0.0)

    def problems(self) -> list[str]:
        said = [f"{r.image}: {r.size:,} bytes against {r.other_size:,}" for r in self.rows if r.size != r.other_size]
        said += [f"{r.image}: transfer {r.transfer:,} bytes against {r.other_transfer:,} ({p:+.3f}%)"
                 for r in self.rows if (p := r.transfer_percent) is not None and abs(p) > TRANSFER_TOLERANCE_PERCENT]
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
    found = {v["id"]: (False, v["size_bytes"], v["compressed_bytes"], v.get("store_bytes"))
             for v in results["variants"]}
    found |= {b["reference"]: (True, b["size_bytes"], b.get("compressed_bytes"), b.get("store_bytes"))
              for b in results["bases"]}
    return found


def compare(reference: dict[str, Any], other: dict[str, Any]) -> Comparison:
    """Every image both documents measured (variants by id, bases by reference)."""
    ours, theirs = _images(reference), _images(other)
    rows = tuple(Row(image, ours[image][0], ours[image][1], theirs[image][1], ours[image][2], theirs[image][2],
                     theirs[image][3]) for image in ours if image in theirs)
    only_one = tuple(sorted(set(ours) ^ set(theirs)))
    return Comparison(reference["engine"], other["engine"], rows, only_one)
