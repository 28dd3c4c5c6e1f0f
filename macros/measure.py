"""Sizes: the docker CLI's human format, gzip-6 transfer estimates, and the Go build info."""
from __future__ import annotations

import hashlib
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

GZIP_LEVEL = 6
_CHUNK = 1 << 20
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def human_size(size: float) -> str:
    """As `docker images` prints it: go-units HumanSizeWithPrecision(size, 3), SI units.

    Go's `%.3g` and Python's agree, including the `1e+03kB` that go-units prints for 999,999.
    """
    unit = 0
    while size >= 1000.0 and unit < len(_UNITS) - 1:
        size /= 1000.0
        unit += 1
    return f"{size:.3g}{_UNITS[unit]}"


@dataclass(frozen=True)
class LayerSize:
    diff_id: str     # sha256 of the uncompressed layer tar, as listed in the image's RootFS
    size_bytes: int  # uncompressed tar bytes
    gzip_bytes: int | None  # the same tar through gzip -6; None when it was not compressed


def layer_sizes(export: IO[bytes], *, skip: Callable[[int], bool] = lambda size: False) -> list[LayerSize]:
    """Every layer tar in a `docker save` stream, with its digest and gzip-6 size, streamed.

    Works with both the classic save layout (<id>/layer.tar) and the OCI one (blobs/sha256/<d>):
    a member is a layer when it is itself a tar, which configs and manifests are not. A layer
    whose byte size `skip` accepts is passed over, neither hashed nor compressed (it comes back
    with no digest and no gzip size): the caller expects to know it already, and checks that every
    layer it did not know is among those measured.
    """
    layers: list[LayerSize] = []
    with tarfile.open(fileobj=export, mode="r|") as outer:
        for member in outer:
            body = outer.extractfile(member) if member.isfile() and member.size >= 512 else None
            if body is None:
                continue
            head = body.read(512)
            if head[257:262] != b"ustar":
                continue
            if skip(member.size):
                layers.append(LayerSize("", member.size, None))
                continue  # tarfile reads past the rest of the member by itself
            digest = hashlib.sha256()
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
            compressed = 0
            block = head
            while block:
                digest.update(block)
                compressed += len(compressor.compress(block))
                block = body.read(_CHUNK)
            compressed += len(compressor.flush())
            layers.append(LayerSize(f"sha256:{digest.hexdigest()}", member.size, compressed))
    return layers


_BUILDINFO_MAGIC = b"\xff Go buildinf:"


def go_version(binary: bytes) -> str:
    """The Go version recorded in a Go binary's build info ("go1.21.13"), or "" if none.

    Since Go 1.18 the header is 32 bytes: magic, pointer size, flags; flag 2 means the version
    string follows inline, prefixed by its length as a uvarint.
    """
    at = binary.find(_BUILDINFO_MAGIC)
    if at < 0 or len(binary) < at + 33 or not binary[at + 15] & 2:
        return ""
    length, shift, pos = 0, 0, at + 32
    while pos < len(binary):
        byte = binary[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return binary[pos:pos + length].decode("utf-8", "replace")
