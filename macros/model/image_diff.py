"""What moved between two images: their files compared by path, grouped by folder and package.

An image's inventory is its final filesystem as `docker export` shows it: each regular file and
symbolic link with its size (a link counts its target's length, as the image size counts it), a
short digest of its bytes, and the package that owns it where the image records that (dpkg's
`info/*.list`, or distroless's `status.d/*.md5sums`: measure/contents.py). Two inventories give
the files added, removed and changed (same path, other bytes); each is put in a group, a folder at
most three levels deep and the package owning the files, and the groups are ordered by how many
bytes moved. Pure: inventories in, a diff out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

FOLDER_DEPTH = 3  # /usr/share/zoneinfo, /usr/local/go, /etc/ssl/certs: deep enough to say what it is


# What results.json says of a diff and of each of its groups (its schema is derived from these).
DESCRIBED = {
    "before": "The id of the variant compared against (the one it redoes or is against).",
    "after": "The id of the variant compared.",
    "moved": "The groups that changed, the most bytes moved first: a folder and a package.",
    "where": "A folder, at most three levels deep, or a file at the top of the tree.",
    "package": "The package that owns the group's files; empty where the image records none.",
    "added_bytes": "Bytes of files added, and grown, from before to after.",
    "removed_bytes": "Bytes of files removed, and shrunk.",
    "added": "Files added.", "removed": "Files removed.", "changed": "Files at the same path with other bytes.",
}


class File(NamedTuple):
    size: int
    digest: str    # of its bytes (a link: of its target), short: to tell a changed file from the same one
    package: str   # "" where the image records no owner


Inventory = dict[str, File]  # by path, with a leading "/"


class Moved(NamedTuple):
    """One group of a diff: a folder's files of one package (or of none)."""
    where: str
    package: str
    added_bytes: int = 0
    removed_bytes: int = 0
    added: int = 0       # files
    removed: int = 0
    changed: int = 0

    @property
    def net_bytes(self) -> int:
        return self.added_bytes - self.removed_bytes


class ImageDiff(NamedTuple):
    before: str                 # variant ids
    after: str
    moved: tuple[Moved, ...]    # the most bytes moved first
    added_bytes: int
    removed_bytes: int
    added: int
    removed: int
    changed: int

    @property
    def net_bytes(self) -> int:
        return self.added_bytes - self.removed_bytes

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "moved": [m._asdict() for m in self.moved]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImageDiff:
        return cls(**{**data, "moved": tuple(Moved(**m) for m in data["moved"])})


def folder_of(path: str) -> str:
    """The group a path is counted in: its folder, cut to FOLDER_DEPTH levels; a file at the top
    of the tree is its own group."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:-1][:FOLDER_DEPTH] or parts)


def compare(before: Inventory, after: Inventory, *, before_id: str, after_id: str) -> ImageDiff:
    groups: dict[tuple[str, str], Moved] = {}

    def count(path: str, file: File, **change: int) -> None:
        key = (folder_of(path), file.package)
        moved = groups.get(key, Moved(*key))
        groups[key] = moved._replace(**{name: getattr(moved, name) + n for name, n in change.items()})

    for path in before.keys() - after.keys():
        count(path, before[path], removed_bytes=before[path].size, removed=1)
    for path in after.keys() - before.keys():
        count(path, after[path], added_bytes=after[path].size, added=1)
    for path in before.keys() & after.keys():
        old, new = before[path], after[path]
        if old.digest != new.digest:
            grown = new.size - old.size
            count(path, new, added_bytes=max(grown, 0), removed_bytes=max(-grown, 0), changed=1)
    moved = sorted(groups.values(), key=lambda m: (-(m.added_bytes + m.removed_bytes), m.where, m.package))
    return ImageDiff(before_id, after_id, tuple(moved), *_totals(moved))


def summed(moved: Iterable[Moved], where: str = "", package: str = "") -> Moved:
    """Several groups as one."""
    listed = list(moved)
    return Moved(where, package, sum(m.added_bytes for m in listed), sum(m.removed_bytes for m in listed),
                 sum(m.added for m in listed), sum(m.removed for m in listed), sum(m.changed for m in listed))


def _totals(moved: Iterable[Moved]) -> tuple[int, int, int, int, int]:
    total = summed(moved)
    return total.added_bytes, total.removed_bytes, total.added, total.removed, total.changed
