"""What a program's bytes say about it: the Go version its build info records, and the packer
that packed it, by the mark the packer leaves."""
from __future__ import annotations

import re

_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_UPX_MARK = re.compile(rb"\$Id: (UPX \d+(?:\.\d+)*) ")  # "$Id: UPX 4.24 Copyright (C) 1996-2024 the UPX Team..."


def packer(binary: bytes) -> str:
    """The packer and version a packed binary names itself by ("UPX 4.24"), or "" if none."""
    found = _UPX_MARK.search(binary)
    return found.group(1).decode() if found else ""


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
