"""A container's peak memory, read from the kernel's memory cgroup.

A container's own cgroup is removed the moment its process exits, and the programs measured here
live for a millisecond, so nothing can be read from it. Its *parent* can: each metered container is
created under a cgroup parent of its own (`cgroup_parent`), the kernel charges the child's memory to
the parent as well, and the parent, with its peak, outlives the child. The peak is the highest
memory the container ever charged (process, page cache it faulted in, kernel memory), over every
start of the container, including runc's own set-up inside it.

Only the engine's `cgroupfs` driver names the parent as a folder this code can find, and only when
the engine runs on this machine; elsewhere (the `systemd` driver, a remote engine) the peak is
None, "not measured here", never a guess.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..model.records import EngineFacts
from .labels import RUN_ID

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Meter:
    """A cgroup parent for one container, and where its peak is read."""
    parent: str          # what the container is created with, as `cgroup_parent`
    peak_file: Path      # memory.max_usage_in_bytes (cgroup v1) or memory.peak (v2)
    folders: tuple[Path, ...]  # what the engine creates for the parent, removed afterwards

    def peak_bytes(self) -> int | None:
        try:
            return int(self.peak_file.read_text().strip())
        except (OSError, ValueError):
            return None  # the engine's cgroups are not on this machine after all

    def remove(self) -> None:
        for folder in self.folders:
            try:
                folder.rmdir()  # an empty cgroup is removed with rmdir; its files go with it
            except OSError:
                pass  # never created (a container that could not start), or a child still there


def meter(engine: EngineFacts, namespace: str, root: Path = CGROUP_ROOT) -> Meter | None:
    """A new meter for one container, or None when this engine's cgroups cannot be read here."""
    if engine.cgroup_driver != "cgroupfs":
        return None
    name = f"{namespace.replace('/', '-')}-meter-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    if engine.cgroup_version == "2":
        if not (root / "cgroup.controllers").is_file():
            return None
        return Meter(f"/{name}", root / name / "memory.peak", (root / name,))
    if not (root / "memory").is_dir():
        return None
    # cgroup v1: the engine creates the parent in every controller's hierarchy
    folders = tuple(h / name for h in sorted(root.iterdir()) if h.is_dir() and not h.is_symlink())
    return Meter(f"/{name}", root / "memory" / name / "memory.max_usage_in_bytes", folders)


# <namespace>-meter-<run id>-<8 hex>: the run id says whose it is (lock.alive)
_METER_NAME = re.compile(r"-meter-([0-9a-f]{16})-[0-9a-f]{8}$")


def leftover_meters(root: Path = CGROUP_ROOT) -> dict[str, list[Path]]:
    """Every meter folder under the cgroup root (v2) or its hierarchies (v1), by run id: a meter
    is removed after its runs, so what is found here belongs to a run still going or to one that
    died between (lock.alive tells which)."""
    found: dict[str, list[Path]] = {}
    hierarchies = [root] if (root / "cgroup.controllers").is_file() else \
        [h for h in sorted(root.iterdir()) if h.is_dir() and not h.is_symlink()] if root.is_dir() else []
    for hierarchy in hierarchies:
        for folder in hierarchy.glob("*-meter-*"):
            if (match := _METER_NAME.search(folder.name)) and folder.is_dir():
                found.setdefault(match.group(1), []).append(folder)
    return found
