"""How many bytes of files one image layer holds: the one definition of an image's size.

An image's size is the sum, over its layers, of the bytes of files each layer holds, counted the
way Docker's overlay2 storage driver counts a layer's folder on disk: each regular file's size,
each symbolic link's target (the link's own size on disk), a hard link once (the file it links to
is already counted), folders, devices and whiteouts nothing. Counted from the layer itself (its
tar, as a registry stores it), this is the same number on every engine, whatever its store keeps;
on overlay2 it equals `docker image inspect`'s Size, which the build checks.
"""
from __future__ import annotations

import gzip
import hashlib
import tarfile
from collections.abc import Iterable, Sequence
from typing import IO, Any, NamedTuple

from .measurement import Layer

# A layer's media types, by what it is compressed with. Docker's and OCI's names.
GZIP_TYPES = frozenset({"application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "application/vnd.oci.image.layer.v1.tar+gzip"})
TAR_TYPES = frozenset({"application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar"})


class UnreadableLayer(ValueError):
    """A layer this module cannot read; the message says why."""


class Counted(NamedTuple):
    diff_id: str      # sha256 of the uncompressed tar: the layer's identity in the image's config
    file_bytes: int


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
    """What one tar entry adds to its layer's size on overlay2."""
    if member.isreg():  # hard links (LNKTYPE) are not regular here: their data is the linked file's
        return member.size
    if member.issym():
        # tarfile decodes names as UTF-8 with surrogate escapes: back to the bytes on disk
        return len(member.linkname.encode("utf-8", "surrogateescape"))
    return 0


def count(blob: IO[bytes], media_type: str) -> Counted:
    """Read one layer blob to its end: its files' bytes and its uncompressed digest."""
    if media_type in GZIP_TYPES:
        raw: IO[bytes] = gzip.GzipFile(fileobj=blob, mode="rb")  # type: ignore[assignment]
    elif media_type in TAR_TYPES:
        raw = blob
    else:
        raise UnreadableLayer(f"a layer of media type {media_type!r} (only uncompressed and gzip layers are read)")
    hashing = _Hashing(raw)
    total = 0
    try:
        with tarfile.open(fileobj=hashing, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                total += entry_bytes(member)
        while hashing.read(1 << 20):  # the end-of-archive padding belongs to the digest too
            pass
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnreadableLayer(f"the layer is not a readable tar ({exc})") from None
    return Counted(f"sha256:{hashing.digest.hexdigest()}", total)


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
