"""What a program's bytes say about it: the Go version its build info records."""
from __future__ import annotations

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
