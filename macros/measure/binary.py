"""What a program's bytes say about it: the Go version its build info records, the packer that
packed it, by the mark the packer leaves, and its ELF sections."""
from __future__ import annotations

import re
import struct

from ..model.measurement import Section

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


def sections(binary: bytes) -> tuple[Section, ...]:
    """The sections of a 64-bit little-endian ELF file (x86-64, arm64) in file order, each with the
    bytes it takes in the file (a section with no file bytes, as .bss, takes none); () for anything
    else, or a file with no section table (UPX leaves none)."""
    if binary[:6] != b"\x7fELF\x02\x01" or len(binary) < 64:
        return ()
    table, entry_size, count, names_at = struct.unpack_from("<Q10xHHH", binary, 0x28)
    if not table or not count or entry_size < 64 or table + count * entry_size > len(binary):
        return ()
    headers = [struct.unpack_from("<II8x8xQQ", binary, table + n * entry_size) for n in range(count)]
    names_offset = headers[names_at][2] if names_at < count else 0
    out = []
    for name_at, kind, _offset, size in sorted(headers[1:], key=lambda h: h[2]):  # [0] is the null section
        end = binary.find(b"\0", names_offset + name_at)
        name = binary[names_offset + name_at:end].decode("ascii", "replace") if names_offset else "?"
        out.append(Section(name, 0 if kind == 8 else size))  # SHT_NOBITS: no bytes in the file
    return tuple(out)
