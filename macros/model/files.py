"""Files the build keeps between runs (cache entries, memos): written atomically, read forgivingly;
and the one file lock that every lock of ours (the cache's keys, the engine's, the runs') is held with.

Every one of them only saves time, so an unreadable one (torn, from another version, hand-edited)
is handled the same way everywhere: said at info level (`mkdocs build --strict` fails on warnings,
and this is no fault of the pages), then ignored, so what it held is measured again.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from ..log import log

UNREADABLE = (OSError, ValueError, TypeError, KeyError)  # what reading a damaged file of ours raises


def read_json(path: Path) -> Any | None:
    """The file's JSON, or None when it is missing or unreadable (said at info level)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except UNREADABLE as exc:
        ignored(path, exc)
        return None


def ignored(path: Path, exc: BaseException) -> None:
    log.info(f"{path} is unreadable ({type(exc).__name__}); ignored, what it held is measured again")


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: readers see old or new, never half.
    A full disk (or any other write fault) leaves no temporary file and says where it happened."""
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(f"{path} ({len(text.encode()):,} bytes)", path.parent, exc) from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def _cannot_write(what: str, folder: Path, exc: OSError) -> ProjectError:
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    disk = f" ({_disk_of(folder)})" if full else ""
    fix = ("Free some space there, or set SMALLEST_GO_CACHE to a folder with room." if full else
           "Make that folder one this user can create and write, or set SMALLEST_GO_CACHE (the project's "
           "cache) or SMALLEST_GO_SHARED_CACHE (the machine-wide memo) to one.")
    return ProjectError(f"cannot write {what}: {exc.strerror or exc}{disk}",
                        hint=f"{fix} Nothing was half-written: every file there is whole, old or new.")


def writable(*folders: Path) -> None:
    """Each folder made if need be and written to (a file made and gone at once), or the error a
    write there would give: said once, before a build measures what it could not keep."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise _cannot_write(f"in {folder}", folder, exc) from None


def _disk_of(folder: Path) -> str:
    """Which filesystem a folder is on, how full it is, and how much of it the folder holds."""
    mount = folder.resolve()
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    usage = shutil.disk_usage(mount)
    held = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0
    return (f"the filesystem at {mount} has {usage.free:,} of {usage.total:,} bytes free, and {folder} "
            f"holds {held:,} bytes of it")


def read_json_object(path: Path) -> dict[str, Any]:
    """A memo of ours: the file's JSON object, or {} when it is missing, unreadable or not an object."""
    data = read_json(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        ignored(path, TypeError("not a JSON object"))
        return {}
    return data


def remove_tree(folder: Path) -> None:
    """Remove a folder of ours, unmounting first (lazily, deepest first) whatever is mounted in it:
    a bootstrap stopped half-way can leave /proc or /sys mounted in its root, and removing through a
    mount would reach into the filesystem mounted there."""
    below = str(folder.resolve()) + "/"
    try:
        # the mount point, with the octal escapes mountinfo writes for a space, a tab, a newline, "\\"
        mounts = [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
                  for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    except OSError:
        mounts = []
    for point in sorted((m for m in mounts if m.startswith(below)), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], capture_output=True, check=False)
    shutil.rmtree(folder, ignore_errors=True)


def remove_all(paths: Iterable[Path]) -> list[Path]:
    """Remove each of these files and folders that exists; the ones now gone (a folder that could
    not be removed whole is not among them)."""
    removed = []
    for path in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        if not (path.exists() or path.is_symlink()):
            removed.append(path)
    return removed


def copy_memos(names: Iterable[str], source: Path, target: Path) -> None:
    """Into another cache folder, these memos of `source` (files, or folders of files) that exist."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        elif (source / name).is_file():
            shutil.copy(source / name, target / name)


@contextmanager
def held(path: Path, *, exclusive: bool, wait: bool = True, remove: bool = False) -> Iterator[bool]:
    """Hold a file lock on this machine (exclusive, or shared with other holders). Without `wait`,
    yields False at once when it cannot be had, and the caller leaves its work for later. The OS
    releases it when the process ends, however it ends. With `remove` (an exclusive holder's), the
    file goes before the lock is let go, so that a folder of locks named by content does not fill
    up; whoever was waiting on it then holds a file no longer named `path`, and locks the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
    while True:
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, mode)
            except BlockingIOError:
                yield False
                return
            if not _named(handle.fileno(), path):  # removed by its holder while this one waited
                fcntl.flock(handle, fcntl.LOCK_UN)
                continue
            try:
                yield True
            finally:
                if remove:
                    path.unlink(missing_ok=True)
                fcntl.flock(handle, fcntl.LOCK_UN)
            return


def _named(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is still the file at `path`."""
    try:
        at = path.stat()
    except FileNotFoundError:
        return False
    held_file = os.fstat(fd)
    return (at.st_dev, at.st_ino) == (held_file.st_dev, held_file.st_ino)


def remove_unheld(folder: Path, pattern: str) -> int:
    """Remove the lock files in `folder` that no one holds (left before their holders removed
    them); how many went."""
    removed = 0
    for path in folder.glob(pattern):
        with held(path, exclusive=True, wait=False, remove=True) as free:
            removed += int(free)
    return removed
