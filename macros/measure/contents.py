"""What is inside an image, read from its exported filesystem: the questions a security reviewer
asks before size, and its inventory of files for the image diff. Pure: entries in, facts out (the
export itself is engine/images.py's)."""
from __future__ import annotations

import hashlib
import posixpath
import tarfile
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from ..engine.images import Exported
from ..model.image_diff import File, Inventory
from ..model.measurement import Contents

# Empty files the engine itself puts in every container's filesystem: not the image's.
ENGINE_PLACEHOLDERS = frozenset({".dockerenv", "dev/console", "etc/hostname", "etc/hosts", "etc/resolv.conf"})
# The first of these that exists names the image's package manager.
PACKAGE_MANAGERS = (("usr/bin/apt-get", "apt"), ("usr/bin/dpkg", "dpkg"), ("sbin/apk", "apk"),
                    ("usr/bin/dnf", "dnf"), ("usr/bin/microdnf", "microdnf"), ("usr/bin/yum", "yum"),
                    ("usr/bin/rpm", "rpm"))
SHELL = "bin/sh"


def contents(entries: Sequence[tarfile.TarInfo], kept: Mapping[str, bytes]) -> Contents:
    by_name = {e.name.rstrip("/"): e for e in entries}
    files = [e for e in entries if e.isfile() and not (e.name in ENGINE_PLACEHOLDERS and e.size == 0)]
    manager = next((name for path, name in PACKAGE_MANAGERS if _is_file(by_name, path)), "")
    setuid = tuple(sorted(e.name for e in files if e.mode & 0o6000))
    return Contents(files=len(files), shell=_is_file(by_name, SHELL), package_manager=manager,
                    packages=len(installed_names(kept) or ()), setuid_files=setuid)


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


def _dpkg_status(files: Mapping[str, bytes]) -> frozenset[str]:
    stanzas = "\n\n".join(text.decode("utf-8", "replace") for text in files.values()).split("\n\n")
    return frozenset(_field(s, "Package") for s in stanzas if "\nStatus: install ok installed" in "\n" + s)


def _control_records(files: Mapping[str, bytes]) -> frozenset[str]:
    return frozenset(_field(text.decode("utf-8", "replace"), "Package") for name, text in files.items()
                     if not name.endswith(".md5sums"))  # the checksums beside the records are not records


def _dpkg_lists(files: Mapping[str, bytes]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for name, text in files.items():
        if name.endswith(".list"):
            package = posixpath.basename(name).removesuffix(".list").split(":", 1)[0]
            owners |= dict.fromkeys(text.decode("utf-8", "replace").splitlines(), package)
    return owners


def _md5sums_lists(files: Mapping[str, bytes]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for name, text in files.items():
        if name.endswith(".md5sums"):
            package = posixpath.basename(name).removesuffix(".md5sums")
            owners |= {"/" + line.split(None, 1)[1].strip().lstrip("/"): package
                       for line in text.decode("utf-8", "replace").splitlines() if len(line.split(None, 1)) == 2}
    return owners


class PackageDatabase(NamedTuple):
    """Where an image records its installed packages, and how their names are read from it; and
    where it records which package installed each file, if it does."""
    path: str  # a file, or a folder ending in "/" (as the image's filesystem names it, no leading "/")
    names: Callable[[Mapping[str, bytes]], frozenset[str]]  # from its files' bytes (any names)
    files: str = ""  # the same, for the record of each package's files
    owners: Callable[[Mapping[str, bytes]], dict[str, str]] | None = None  # path as recorded -> package


# The first of these an image has is its record of what is installed.
PACKAGE_DATABASES = (
    PackageDatabase("var/lib/dpkg/status", _dpkg_status, "var/lib/dpkg/info/", _dpkg_lists),
    # distroless: one record per package and its md5sums (the list of its files), no dpkg
    PackageDatabase("var/lib/dpkg/status.d/", _control_records, "var/lib/dpkg/status.d/", _md5sums_lists),
)
KEEP = tuple(dict.fromkeys(path for db in PACKAGE_DATABASES for path in (db.path, db.files) if path))  # to export


def installed_names(kept: Mapping[str, bytes]) -> frozenset[str] | None:
    """The names of the packages an image records as installed, from the files of its first
    package database (`kept`: by path, as an export keeps them); None when it has none."""
    for db in PACKAGE_DATABASES:
        files = {name: text for name, text in kept.items()
                 if name == db.path or (db.path.endswith("/") and name.startswith(db.path))}
        if files:
            return db.names(files)
    return None


def inventory(exported: Exported) -> Inventory:
    """Each regular file and symbolic link of the image with its size, digest and owning package
    (model/image_diff.py), the engine's own placeholders left out."""
    links = {e.name: e.linkname for e in exported.entries if e.issym() and "/" not in e.name}  # /bin -> usr/bin
    owners = {_resolved(path, links): package for path, package in _owners(exported.kept).items()}
    out: Inventory = {}
    for e in exported.entries:
        if e.isfile() and not (e.name in ENGINE_PLACEHOLDERS and e.size == 0):
            size, digest = e.size, exported.digests.get(e.name, "")
        elif e.issym() or e.islnk():  # a hard link's bytes are its target's, counted there
            size, digest = (len(e.linkname) if e.issym() else 0), hashlib.sha256(e.linkname.encode()).hexdigest()
        else:
            continue
        out["/" + e.name] = File(size, digest[:16], owners.get("/" + e.name, ""))
    return out


def _owners(kept: Mapping[str, bytes]) -> dict[str, str]:
    for db in PACKAGE_DATABASES:
        files = {name: text for name, text in kept.items() if db.files and name.startswith(db.files)}
        if db.owners is not None and files:
            return db.owners(files)
    return {}


def _resolved(path: str, links: Mapping[str, str]) -> str:
    """A recorded path as the filesystem holds it: dpkg records /bin/ls, a merged-/usr image has
    it at /usr/bin/ls under the link /bin -> usr/bin."""
    top, _, rest = path.lstrip("/").partition("/")
    target = links.get(top)
    return "/" + posixpath.normpath(f"{target.lstrip('/')}/{rest}") if target and rest else path


def _field(stanza: str, name: str) -> str:
    for line in stanza.splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    return ""
