"""How many bytes of files an image's layers hold: the one definition of an image's size.

A layer's files are counted the way the engine counts a layer it takes in as a tar (a pull, a load,
and every layer BuildKit builds): each regular file's size, and nothing for a symbolic link, a hard
link (the file it links to is already counted), a folder, a device or a whiteout. Summed over the
layers, that is `docker image inspect`'s Size on overlay2, which the build checks. (A layer the
classic builder committed from a container was counted from its folder on disk, where a symbolic
link weighs its target's length: that builder is gone from this project, and with it that count.)

An image's size leaves out one thing overlay2 keeps: a file a layer holds exactly as the layers
below it already had it (same content, mode, owner and modification time). overlayfs copies a
file up into the new layer when a program opens it for writing, even if nothing is then written
(the kernel's overlayfs documentation: "the copy_up may turn out to be unnecessary"); apt's
debconf does that to its two caches. The classic store keeps that copy in the layer; containerd's
differ, which the containerd image store builds with, compares the file with the one below and
leaves it out. Counting only the files a layer adds or changes makes the size the same number on
both stores, for the same Dockerfile.
"""
from __future__ import annotations

import gzip
import hashlib
import tarfile
from collections.abc import Iterable, Sequence
from typing import IO, Any, NamedTuple

from .measurement import Layer

WHITEOUT, OPAQUE = ".wh.", ".wh..wh..opq"  # the OCI layer format's deletion markers
# Goes up when what a layer's count means changes: the memos of counts, and the base sizes made
# from them, are kept under it (2: a symbolic link counts no bytes).
COUNT_VERSION = 2

# A layer's media types, by what it is compressed with. Docker's and OCI's names.
GZIP_TYPES = frozenset({"application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "application/vnd.oci.image.layer.v1.tar+gzip"})
TAR_TYPES = frozenset({"application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar"})


class UnreadableLayer(ValueError):
    """A layer this module cannot read; the message says why."""


class LayerFiles(NamedTuple):
    """One layer's files, as far as its size needs them: kept by the layer's digest (a JSON memo)."""
    diff_id: str      # sha256 of the uncompressed tar: the layer's identity in the image's config
    file_bytes: int   # as overlay2 counts it
    files: dict[str, tuple[str, int]]  # path -> (what the file is: a digest of content and metadata, bytes)
    deleted: tuple[str, ...]  # paths the layer's whiteouts remove from below
    emptied: tuple[str, ...]  # folders whose contents below it hides (opaque)

    def as_dict(self) -> dict[str, Any]:
        return {"diff_id": self.diff_id, "file_bytes": self.file_bytes, "files": self.files,
                "deleted": list(self.deleted), "emptied": list(self.emptied)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerFiles:
        return cls(str(data["diff_id"]), int(data["file_bytes"]),
                   {str(p): (str(w), int(n)) for p, (w, n) in data["files"].items()},
                   tuple(map(str, data["deleted"])), tuple(map(str, data["emptied"])))


class _Hashing:
    """A read-only stream that hashes what is read through it (the uncompressed tar)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def entry_bytes(member: tarfile.TarInfo) -> int:
    """What one tar entry adds to its layer's size: a regular file its bytes, anything else none."""
    return member.size if member.isreg() else 0  # a hard link (LNKTYPE) is not regular here


def _path(name: str) -> str:
    return name.removeprefix("./").strip("/")


def _identity(member: tarfile.TarInfo, content: str) -> str:
    """What decides whether two entries are the same file: type, mode, owner, modification time,
    link target, extended attributes and content."""
    xattrs = sorted((k, v) for k, v in member.pax_headers.items() if k.startswith("SCHILY.xattr."))
    said = repr((member.type, member.mode, member.uid, member.gid, member.mtime, member.linkname, xattrs, content))
    return hashlib.sha256(said.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _content(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    if not member.isreg():
        return ""
    digest = hashlib.sha256()
    data = tar.extractfile(member)
    assert data is not None  # a regular file always has data, possibly empty
    while chunk := data.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def count(blob: IO[bytes], media_type: str) -> LayerFiles:
    """Read one layer blob to its end: its files, their bytes and its uncompressed digest."""
    if media_type in GZIP_TYPES:
        raw: IO[bytes] = gzip.GzipFile(fileobj=blob, mode="rb")  # type: ignore[assignment]
    elif media_type in TAR_TYPES:
        raw = blob
    else:
        raise UnreadableLayer(f"a layer of media type {media_type!r} (only uncompressed and gzip layers are read)")
    hashing = _Hashing(raw)
    total = 0
    files: dict[str, tuple[str, int]] = {}
    deleted: list[str] = []
    emptied: list[str] = []
    try:
        with tarfile.open(fileobj=hashing, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                path = _path(member.name)
                folder, _, name = path.rpartition("/")
                if name == OPAQUE:
                    emptied.append(folder)
                elif name.startswith(WHITEOUT):
                    deleted.append(f"{folder}/{name.removeprefix(WHITEOUT)}".lstrip("/"))
                elif size := entry_bytes(member):  # what holds no bytes cannot change the size
                    total += size
                    files[path] = (_identity(member, _content(tar, member)), size)
        while hashing.read(1 << 20):  # the end-of-archive padding belongs to the digest too
            pass
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnreadableLayer(f"the layer is not a readable tar ({exc})") from None
    return LayerFiles(f"sha256:{hashing.digest.hexdigest()}", total, files, tuple(deleted), tuple(emptied))


def _hidden(path: str, gone: set[str]) -> bool:
    """Whether the path, or a folder it is in, is in `gone`."""
    while path:
        if path in gone:
            return True
        path = path.rpartition("/")[0]
    return False


def changed_bytes(layers: Sequence[LayerFiles]) -> list[int]:
    """Per layer, oldest first, the bytes of the files it adds or changes: its files less those
    the layers below already hold as they are (what the layer's whiteouts remove is gone first,
    so a file deleted and put back counts)."""
    below: dict[str, str] = {}  # path -> identity, as the layers so far leave the file system
    found = []
    for layer in layers:
        if layer.deleted or layer.emptied:
            deleted, emptied = set(layer.deleted), set(layer.emptied)
            below = {p: i for p, i in below.items()
                     if not _hidden(p, deleted) and not _hidden(p.rpartition("/")[0], emptied)}
        found.append(sum(size for path, (identity, size) in layer.files.items() if below.get(path) != identity))
        below |= {path: identity for path, (identity, _) in layer.files.items()}
    return found


def history_layers(history: Iterable[dict[str, Any]], layer_bytes: Sequence[int]) -> tuple[Layer, ...]:
    """The image's history, oldest first, each step with the bytes of files its layer holds: the
    config's history entries that made a layer take the layers' counts in order; the others
    (ENV, CMD, ...) made none and hold 0."""
    counts = iter(layer_bytes)
    steps = []
    for entry in history:
        made_layer = not entry.get("empty_layer", False)
        steps.append(Layer(str(entry.get("created_by", "")), next(counts, 0) if made_layer else 0))
    steps += [Layer("", left) for left in counts]  # a config whose history names fewer layers than it has
    return tuple(steps)
