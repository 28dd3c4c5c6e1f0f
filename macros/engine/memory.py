"""A container's peak memory, read from the kernel's memory cgroup; and a build's memory cap.

A container's own cgroup is removed the moment its process exits, and the programs measured here
live for a millisecond, so nothing can be read from it. Its *parent* can: each metered container is
created under a cgroup parent of its own (`cgroup_parent`), the kernel charges the child's memory to
the parent as well, and the parent, with its peak, outlives the child. The peak is the highest
memory the container ever charged (process, page cache it faulted in, kernel memory), over every
start of the container, including runc's own set-up inside it.

Only the engine's `cgroupfs` driver names the parent as a folder this code can find, and only when
the engine runs on this machine; elsewhere (the `systemd` driver, a remote engine) the peak is
None, "not measured here", never a guess.

A build's RUN steps are capped the same way: BuildKit runs them under a cgroup parent it is given
(`--cgroup-parent`), and the parent made here carries the limit (memory and swap alike), so every
step's memory is charged against it; what the kernel records in it (a count of OOM kills, or its
peak against its limit) says whether the limit is what stopped a step. Where this code cannot
make the parent (the engine is elsewhere, or on the systemd driver), there is no cap (None), and
the build says so in its log.

BuildKit writes the parent's name into each RUN step's cache key (measured here: the same step
under two names ran twice, under one name the second time was CACHED). So a cap is named by its
limit alone, one per limit for every build on this machine, never per build or per run: a name of
its own would make each build compile everything again, its layers never reused by the next
build or the next doc build. The builds running at once with one limit share it; the last one
to end removes it (CAPS_LOCK: builds hold it shared, the removal takes it alone).
"""
from __future__ import annotations

import os
import re
import socket
import struct
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model.records import EngineFacts
from . import lock
from .connection import endpoint
from .labels import RUN_ID

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Held shared by every build under a cap, taken alone to remove the caps: machine-wide, as they are.
CAPS_LOCK = Path(tempfile.gettempdir()) / "smallest-go-memory-caps.lock"
_CAP_PREFIX = "smallest-go-memory-cap-"


@dataclass(frozen=True)
class Meter:
    """A cgroup parent for one container, and where its peak is read."""
    parent: str          # what the container is created with, as `cgroup_parent`
    peak_file: Path      # memory.max_usage_in_bytes (cgroup v1) or memory.peak (v2)
    folders: tuple[Path, ...]  # what the engine creates for the parent, removed afterwards
    events_file: Path | None = None  # memory.oom_control (v1) or memory.events (v2), for a cap

    def peak_bytes(self) -> int | None:
        try:
            return int(self.peak_file.read_text().strip())
        except (OSError, ValueError):
            return None  # the engine's cgroups are not on this machine after all

    def reached(self, limit_bytes: int) -> bool:
        """Whether the kernel killed a process in this parent for want of memory: its count of OOM
        kills says so, or (where that count is not kept, as on some kernels' cgroup v1) the
        parent's peak reached its limit, within a page table's worth."""
        try:
            lines = self.events_file.read_text().splitlines() if self.events_file else []
        except OSError:
            lines = []
        kills = sum(int(line.split()[1]) for line in lines if line.startswith("oom_kill "))
        return kills > 0 or (self.peak_bytes() or 0) >= limit_bytes - (1 << 20)

    def remove(self) -> None:
        for folder in self.folders:
            remove_tree(folder)


def served_here(url: str) -> bool:
    """Whether a dockerd of this machine answers at `url` (the peer of a connection to its socket,
    as the kernel names it). Docker Desktop and Colima answer on a unix socket too, forwarded from
    a virtual machine whose cgroups are not this machine's: a cap made here would not hold there."""
    peer_credentials = getattr(socket, "SO_PEERCRED", None)  # Linux only
    if not url.startswith("unix://") or peer_credentials is None:
        return False
    with socket.socket(socket.AF_UNIX) as connection:
        try:
            connection.connect(url.removeprefix("unix://"))
            pid, _uid, _gid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, peer_credentials,
                                                                        struct.calcsize("3i")))
            return Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd"
        except OSError:
            return False


def remove_tree(folder: Path) -> bool:
    """Remove a cgroup folder and the folders under it (BuildKit leaves a "buildkit" folder in the
    parent it is given); an empty cgroup goes with rmdir, its files with it. Whether it went."""
    for inner, _, _ in os.walk(folder, topdown=False):
        try:
            Path(inner).rmdir()
        except OSError:
            return False  # never created (a container that could not start), or a process still in it
    return not folder.exists()


def meter(engine: EngineFacts, namespace: str, root: Path = CGROUP_ROOT) -> Meter | None:
    """A new meter for one container, or None when this engine's cgroups cannot be read here."""
    return _parent(engine, f"{namespace.replace('/', '-')}-meter-{RUN_ID}-{uuid.uuid4().hex[:8]}", root)


def _parent(engine: EngineFacts, name: str, root: Path) -> Meter | None:
    """A cgroup parent called `name` (made by the engine, or by `cap`), or None when this engine's
    cgroups cannot be read here."""
    if engine.cgroup_driver != "cgroupfs":
        return None
    if engine.cgroup_version == "2":
        if not (root / "cgroup.controllers").is_file():
            return None
        return Meter(f"/{name}", root / name / "memory.peak", (root / name,))
    if not (root / "memory").is_dir():
        return None
    # cgroup v1: the engine creates the parent in every controller's hierarchy
    folders = tuple(h / name for h in _hierarchies(root))
    return Meter(f"/{name}", root / "memory" / name / "memory.max_usage_in_bytes", folders)


def cap(engine: EngineFacts, limit_bytes: int, root: Path = CGROUP_ROOT) -> Meter | None:
    """The cgroup parent whose memory and swap together may not pass `limit_bytes`, for the RUN
    steps of every build with that limit (made if it is not there; hold CAPS_LOCK shared while it
    is used); None where this code cannot make one for the engine."""
    made = _parent(engine, f"{_CAP_PREFIX}{limit_bytes}", root) if served_here(endpoint()) else None
    if made is None:
        return None
    memory = made.peak_file.parent
    v2 = engine.cgroup_version == "2"
    limits = {"memory.max": limit_bytes, "memory.swap.max": 0} if v2 else \
        {"memory.limit_in_bytes": limit_bytes, "memory.memsw.limit_in_bytes": limit_bytes}
    try:
        memory.mkdir(exist_ok=True)
        for name, value in limits.items():
            if (memory / name).exists():  # no memsw file where swap is not accounted: no swap to cap
                (memory / name).write_text(str(value))
    except OSError:
        made.remove()
        return None
    events = memory / ("memory.events" if v2 else "memory.oom_control")
    return Meter(made.parent, made.peak_file, made.folders, events)


# <namespace>-meter-<run id>-<8 hex>: the run id says whose it is (lock.alive)
_METER_NAME = re.compile(r"-meter-([0-9a-f]{16})-[0-9a-f]{8}$")


def remove_unused_caps(folders: Iterable[Path]) -> int:
    """Remove these cap folders, unless a build of ours on this machine holds CAPS_LOCK (one may
    still run a step under them: the last one out removes them). How many folders went."""
    with lock.held(CAPS_LOCK, exclusive=True, wait=False) as alone:
        return sum(remove_tree(folder) for folder in folders) if alone else 0


def leftover_caps(root: Path = CGROUP_ROOT) -> list[Path]:
    """Every cap folder under the cgroup root (v2) or its hierarchies (v1): what is found while no
    build holds CAPS_LOCK was left by a build that did not end."""
    return [folder for hierarchy in _hierarchies(root) for folder in hierarchy.glob(f"{_CAP_PREFIX}*")
            if folder.is_dir()]


def _hierarchies(root: Path) -> list[Path]:
    if (root / "cgroup.controllers").is_file():
        return [root]
    return [h for h in sorted(root.iterdir()) if h.is_dir() and not h.is_symlink()] if root.is_dir() else []


def leftover_meters(root: Path = CGROUP_ROOT) -> dict[str, list[Path]]:
    """Every meter folder under the cgroup root (v2) or its hierarchies (v1), by run id: a meter
    is removed after its runs, so what is found here belongs to a run still going or to one that
    died between (lock.alive tells which)."""
    found: dict[str, list[Path]] = {}
    for hierarchy in _hierarchies(root):
        for folder in hierarchy.glob("*-meter-*"):
            if (match := _METER_NAME.search(folder.name)) and folder.is_dir():
                found.setdefault(match.group(1), []).append(folder)
    return found
