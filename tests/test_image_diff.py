"""The image diff: inventories from an export's entries, compared by path, grouped by folder and
package. Pure logic over hand-made tar entries; the engine's side is in test_pipeline's diff test."""
from __future__ import annotations

import tarfile
from pathlib import Path

from macros.engine.images import Exported
from macros.measure import contents
from macros.model.image_diff import File, ImageDiff, compare, folder_of


def _file(name: str, size: int) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.size = size
    return entry


def _link(name: str, target: str) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.type, entry.linkname = tarfile.SYMTYPE, target
    return entry


def test_folders_are_cut_to_three_levels_and_top_files_are_their_own() -> None:
    assert folder_of("/usr/share/zoneinfo/Europe/Paris") == "/usr/share/zoneinfo"
    assert folder_of("/etc/ssl/certs/ca-certificates.crt") == "/etc/ssl/certs"
    assert folder_of("/etc/passwd") == "/etc"
    assert folder_of("/main") == "/main"


def test_added_removed_and_changed_files_are_grouped_largest_first() -> None:
    before = {"/main": File(2_000, "a", ""), "/etc/passwd": File(50, "p", "base-files"),
              "/usr/share/zoneinfo/UTC": File(100, "u", "tzdata")}
    after = {"/main": File(1_500, "b", ""), "/etc/passwd": File(50, "p", "base-files"),
             "/usr/share/zoneinfo/UTC": File(100, "u", "tzdata"),
             "/usr/share/zoneinfo/Europe/Paris": File(2_900, "e", "tzdata-legacy"),
             "/usr/share/zoneinfo/Europe/Rome": File(2_700, "r", "tzdata-legacy")}
    d = compare(before, after, before_id="a", after_id="b")
    assert [(m.where, m.package) for m in d.moved] == [("/usr/share/zoneinfo", "tzdata-legacy"), ("/main", "")]
    zones, main = d.moved
    assert (zones.added, zones.added_bytes, zones.net_bytes) == (2, 5_600, 5_600)
    assert (main.changed, main.removed_bytes, main.net_bytes) == (1, 500, -500)
    assert (d.added, d.removed, d.changed, d.net_bytes) == (2, 0, 1, 5_100)
    assert ImageDiff.from_dict(d.as_dict()) == d


def test_the_same_files_make_an_empty_diff() -> None:
    same = {"/main": File(10, "x", "")}
    assert compare(same, dict(same), before_id="a", after_id="b").moved == ()


def test_an_inventory_names_each_file_s_package_through_merged_usr_links() -> None:
    entries = [_link("bin", "usr/bin"), _file("usr/bin/ls", 140_000), _file("usr/share/doc/x", 10),
               _link("usr/bin/dir", "ls"), _file(".dockerenv", 0),
               _file("var/lib/dpkg/info/coreutils:amd64.list", 20)]
    found = contents.inventory(Exported(entries, {"var/lib/dpkg/info/coreutils:amd64.list": b"/.\n/bin\n/bin/ls\n"},
                                        {"usr/bin/ls": "f" * 64, "usr/share/doc/x": "d" * 64}))
    assert found["/usr/bin/ls"] == File(140_000, "f" * 16, "coreutils")   # dpkg says /bin/ls
    assert found["/usr/share/doc/x"].package == ""
    assert found["/usr/bin/dir"].size == 2 and found["/bin"].size == len("usr/bin")  # a link counts its target
    assert "/.dockerenv" not in found   # the engine's placeholder is not the image's


def test_distroless_s_md5sums_name_each_file_s_package() -> None:
    """distroless records no dpkg lists; its status.d/<package>.md5sums list each package's files."""
    md5sums = b"0123456789abcdef0123456789abcdef  usr/share/zoneinfo/Europe/Paris\n"
    kept = {"var/lib/dpkg/status.d/tzdata": b"Package: tzdata\n", "var/lib/dpkg/status.d/tzdata.md5sums": md5sums}
    entries = [_file("usr/share/zoneinfo/Europe/Paris", 2_962), _file("main", 10)]
    found = contents.inventory(Exported(entries, kept, {}))
    assert found["/usr/share/zoneinfo/Europe/Paris"].package == "tzdata" and found["/main"].package == ""
    assert contents.installed_names(kept) == frozenset({"tzdata"})  # the checksums are not a record


def test_an_elf_binary_s_sections_are_read_and_anything_else_has_none() -> None:
    """The sections of a real ELF file of this machine: named, in file order, never more bytes than
    the file; a file that is not ELF, or an ELF with no section table (as UPX leaves), has none."""
    from macros.measure.binary import sections

    binary = Path("/bin/true").read_bytes()
    found = sections(binary)
    assert ".text" in {s.name for s in found} and 0 < sum(s.size_bytes for s in found) < len(binary)
    assert sections(b"#!/bin/sh\necho hi\n") == ()
    no_table = bytearray(binary)
    no_table[0x28:0x30] = bytes(8)  # e_shoff = 0: no section table
    assert sections(bytes(no_table)) == ()
