"""What is inside an image, from its exported entries: pure, over hand-made tar entries."""
from __future__ import annotations

import tarfile

from macros.measure.contents import contents


def entry(name: str, kind: bytes = tarfile.REGTYPE, *, mode: int = 0o644, size: int = 1, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.linkname = kind, mode, size, link
    return info


MERGED_USR = [
    entry("bin", tarfile.SYMTYPE, link="usr/bin"), entry("usr", tarfile.DIRTYPE), entry("usr/bin", tarfile.DIRTYPE),
    entry("usr/bin/sh", tarfile.SYMTYPE, link="dash"), entry("usr/bin/dash"), entry("usr/bin/apt-get"),
    entry("usr/bin/dpkg"), entry("usr/bin/passwd", mode=0o4755), entry("usr/bin/wall", mode=0o2755),
    entry(".dockerenv", size=0), entry("etc/hosts", size=0), entry("etc/resolv.conf", size=0),
    entry("var/lib/dpkg/status"),
]
STATUS = (b"Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\n"
          b"Package: c\nStatus: install ok installed\n")


def test_a_debian_image_has_a_shell_apt_and_its_packages() -> None:
    found = contents(MERGED_USR, {"var/lib/dpkg/status": STATUS})
    assert found.shell and found.package_manager == "apt" and found.packages == 2
    assert found.files == 6  # the engine's three empty placeholders are not the image's
    assert found.setuid_files == ("usr/bin/passwd", "usr/bin/wall")


def test_distroless_counts_its_status_records_and_has_no_shell() -> None:
    records = {"var/lib/dpkg/status.d/tzdata": b"Package: tzdata\n", "var/lib/dpkg/status.d/tzdata.md5sums": b"0 x\n",
               "var/lib/dpkg/status.d/netbase": b"Package: netbase\n"}
    found = contents([*(entry(name) for name in records), entry("etc/passwd")], records)
    assert (found.shell, found.package_manager, found.packages, found.files) == (False, "", 2, 4)


def test_a_shell_link_to_nowhere_is_no_shell() -> None:
    found = contents([entry("bin", tarfile.DIRTYPE), entry("bin/sh", tarfile.SYMTYPE, link="/missing")], {})
    assert not found.shell and found.files == 0 and found.packages == 0
