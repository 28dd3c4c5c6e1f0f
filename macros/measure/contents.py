"""What is inside an image, read from its exported filesystem: the questions a security reviewer
asks before size. Pure: entries in, facts out (the export itself is engine/images.py's)."""
from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Mapping, Sequence

from ..model.measurement import Contents

# Empty files the engine itself puts in every container's filesystem: not the image's.
ENGINE_PLACEHOLDERS = frozenset({".dockerenv", "dev/console", "etc/hostname", "etc/hosts", "etc/resolv.conf"})
DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"  # distroless: one control record per package, no dpkg
# The first of these that exists names the image's package manager.
PACKAGE_MANAGERS = (("usr/bin/apt-get", "apt"), ("usr/bin/dpkg", "dpkg"), ("sbin/apk", "apk"),
                    ("usr/bin/dnf", "dnf"), ("usr/bin/microdnf", "microdnf"), ("usr/bin/yum", "yum"),
                    ("usr/bin/rpm", "rpm"))
SHELL = "bin/sh"


def contents(entries: Sequence[tarfile.TarInfo], kept: dict[str, bytes]) -> Contents:
    by_name = {e.name.rstrip("/"): e for e in entries}
    files = [e for e in entries if e.isfile() and not (e.name in ENGINE_PLACEHOLDERS and e.size == 0)]
    manager = next((name for path, name in PACKAGE_MANAGERS if _is_file(by_name, path)), "")
    setuid = tuple(sorted(e.name for e in files if e.mode & 0o6000))
    return Contents(files=len(files), shell=_is_file(by_name, SHELL), package_manager=manager,
                    packages=_packages(entries, kept.get(DPKG_STATUS)), setuid_files=setuid)


def _packages(entries: Sequence[tarfile.TarInfo], status: bytes | None) -> int:
    """Installed packages: dpkg's status database, or distroless's status.d records."""
    if status is not None:
        return len(installed_names(status, {}) or ())
    return sum(1 for e in entries if e.isfile() and e.name.startswith(DPKG_STATUS_D)
               and not e.name.endswith(".md5sums"))  # not the checksums beside the records


def _is_file(by_name: dict[str, tarfile.TarInfo], path: str, depth: int = 0) -> bool:
    """Whether `path` leads to a regular file, following symbolic links on the way (as /bin/sh ->
    dash, or /bin -> usr/bin in a merged-/usr Debian)."""
    if depth > 16:
        return False
    parts = path.split("/")
    for n in range(1, len(parts) + 1):
        here = "/".join(parts[:n])
        entry = by_name.get(here)
        if entry is None:
            return False
        if entry.issym():
            target = entry.linkname
            base = "" if target.startswith("/") else posixpath.dirname(here)
            resolved = posixpath.normpath(posixpath.join(base, target.lstrip("/") if base == "" else target))
            rest = "/".join(parts[n:])
            return _is_file(by_name, posixpath.join(resolved, rest) if rest else resolved, depth + 1)
        if n == len(parts):
            return entry.isfile()
    return False


def installed_names(status: bytes | None, records: Mapping[str, bytes]) -> frozenset[str] | None:
    """The names of the packages an image records as installed: from dpkg's status database, or
    else from status.d's control records (one per package; the .md5sums beside them are not
    records); None when it records neither."""
    if status is not None:
        stanzas = status.decode("utf-8", "replace").split("\n\n")
        return frozenset(_field(s, "Package") for s in stanzas if "\nStatus: install ok installed" in "\n" + s)
    texts = [text.decode("utf-8", "replace") for name, text in records.items() if not name.endswith(".md5sums")]
    return frozenset(_field(text, "Package") for text in texts) if texts else None


def _field(stanza: str, name: str) -> str:
    for line in stanza.splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    return ""
