"""Sizes in the docker CLI's human format, and the Go version a binary records."""
from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def parse_size(text: str) -> int:
    """The inverse of human_size, for figures written that way ("3.12MB" -> 3,120,000 bytes)."""
    number = text.rstrip("".join({c for unit in _UNITS for c in unit}))
    unit = text[len(number):]
    if unit not in _UNITS or not number:
        raise ValueError(f"not a size in the docker CLI's format: {text!r}")
    return round(float(number) * 1000 ** _UNITS.index(unit))


def human_size(size: float) -> str:
    """As `docker images` prints it: go-units HumanSizeWithPrecision(size, 3), SI units.

    Go's `%.3g` and Python's agree, including the `1e+03kB` that go-units prints for 999,999.
    """
    unit = 0
    while size >= 1000.0 and unit < len(_UNITS) - 1:
        size /= 1000.0
        unit += 1
    return f"{size:.3g}{_UNITS[unit]}"


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
