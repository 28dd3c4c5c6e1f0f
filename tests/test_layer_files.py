"""Counting a layer's files the way the engine counts a layer it takes in as a tar, and comparing
engines: pure logic, on layers and results made here."""
from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from typing import Any

import pytest
from macros.model import engines
from macros.model.layer_files import GZIP_TYPES, TAR_TYPES, UnreadableLayer, changed_bytes, count, history_layers

TARGET = "zoneinfo/Europe/Zürich"  # a link target, which weighs nothing in a layer taken in as a tar


def _layer() -> tuple[bytes, int]:
    """A layer with a file, a hard link to it, a symlink, a folder, a device and a whiteout; and
    the bytes the engine counts for it: the file's, once."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folder = tarfile.TarInfo("etc")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        data = b"x" * 1234
        regular = tarfile.TarInfo("etc/file")
        regular.size = len(data)
        tar.addfile(regular, io.BytesIO(data))
        hard = tarfile.TarInfo("etc/hard")
        hard.type, hard.linkname = tarfile.LNKTYPE, "etc/file"
        tar.addfile(hard)
        link = tarfile.TarInfo("etc/localtime")
        link.type, link.linkname = tarfile.SYMTYPE, TARGET
        tar.addfile(link)
        device = tarfile.TarInfo("dev/null")
        device.type = tarfile.CHRTYPE
        tar.addfile(device)
        tar.addfile(tarfile.TarInfo("etc/.wh.gone"))  # a whiteout: an empty regular file in the tar
    return buffer.getvalue(), 1234


@pytest.mark.parametrize("media_type", [next(iter(GZIP_TYPES)), next(iter(TAR_TYPES))])
def test_a_layer_counts_each_regular_file_once_and_nothing_else(media_type: str) -> None:
    raw, expected = _layer()
    blob = gzip.compress(raw) if media_type in GZIP_TYPES else raw
    found = count(io.BytesIO(blob), media_type)
    assert found.file_bytes == expected == 1234
    assert found.diff_id == "sha256:" + hashlib.sha256(raw).hexdigest()


def _tar(*entries: tuple[str, bytes | None, int]) -> io.BytesIO:
    """A layer of regular files (data) and whiteouts or opaque markers (None), each with its mtime."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mtime in entries:
            member = tarfile.TarInfo(name)
            member.size, member.mtime = len(data or b""), mtime
            tar.addfile(member, io.BytesIO(data or b""))
    buffer.seek(0)
    return buffer


def _changed(*layers: io.BytesIO) -> list[int]:
    return changed_bytes([count(layer, next(iter(TAR_TYPES))) for layer in layers])


def test_a_file_copied_up_unchanged_is_not_counted_again() -> None:
    """What overlayfs keeps when a program opens a file for writing and writes nothing: the same
    file in the next layer. Its size counts once; a real change counts, even of the same size."""
    lower = _tar(("var/cache/templates.dat", b"a" * 100, 10), ("etc/conf", b"b" * 50, 10), ("etc/same", b"c" * 7, 10))
    upper = _tar(("var/cache/templates.dat", b"a" * 100, 10),   # copied up, untouched
                 ("etc/conf", b"B" * 50, 10),                    # same size and time, new content
                 ("etc/same", b"c" * 7, 11),                     # same content, written again later
                 ("usr/new", b"n" * 3, 10))
    assert _changed(lower, upper) == [157, 50 + 7 + 3]
    upper.seek(0)
    assert count(upper, next(iter(TAR_TYPES))).file_bytes == 160  # what overlay2 keeps, and reports


def test_a_file_removed_below_and_put_back_counts_again() -> None:
    lower = _tar(("opt/a/x", b"x" * 10, 1), ("opt/b/y", b"y" * 20, 1), ("opt/c", b"z" * 30, 1))
    removes = _tar(("opt/.wh.c", None, 1), ("opt/a/.wh..wh..opq", None, 1), ("opt/a/x", b"x" * 10, 1))
    back = _tar(("opt/c", b"z" * 30, 1), ("opt/b/y", b"y" * 20, 1))
    # the opaque folder hides x below it, so the same x above it is new; y was never removed
    assert _changed(lower, removes, back) == [60, 10, 30]


def test_a_layer_it_cannot_read_is_said_not_guessed() -> None:
    with pytest.raises(UnreadableLayer, match="zstd"):
        count(io.BytesIO(b""), "application/vnd.oci.image.layer.v1.tar+zstd")
    with pytest.raises(UnreadableLayer, match="not a readable tar"):
        count(io.BytesIO(gzip.compress(b"not a tar" * 100)), next(iter(GZIP_TYPES)))


def test_history_steps_take_the_layer_counts_in_order() -> None:
    history = [{"created_by": "ADD rootfs"}, {"created_by": "ENV A=1", "empty_layer": True},
               {"created_by": "COPY /main"}]
    steps = history_layers(history, [100, 7])
    assert [(s.created_by, s.size_bytes) for s in steps] == [("ADD rootfs", 100), ("ENV A=1", 0), ("COPY /main", 7)]
    assert sum(s.size_bytes for s in history_layers([], [5, 6])) == 11  # no history: no byte lost


def _results(sizes: dict[str, tuple[int, int]], store: str, *, base: int = 50) -> dict[str, Any]:
    return {"engine": {"version": "x", "image_store": store},
            "variants": [{"id": i, "size_bytes": s, "transfer_bytes": t, "store_bytes": s + 1}
                         for i, (s, t) in sizes.items()],
            "bases": [{"reference": "debian:trixie", "size_bytes": base, "transfer_bytes": 20, "store_bytes": 9}]}


def test_engines_agree_when_sizes_are_equal_and_transfers_close() -> None:
    first = _results({"a": (1000, 100_000), "b": (10, 5)}, "classic")
    second = _results({"a": (1000, 100_050), "c": (3, 3)}, "containerd")
    compared = engines.compare(first, second)
    assert [r.image for r in compared.rows] == ["a", "debian:trixie"]
    assert compared.only_one == ("b", "c") and compared.sizes_equal == 2
    assert compared.farthest_transfer_said() == "+50 bytes (+0.050%, a)"
    assert compared.problems() == []
    assert engines.Comparison.from_dict(compared.as_dict()) == compared


def test_engines_disagree_on_a_size_or_a_far_transfer() -> None:
    first = _results({"a": (1000, 10_000_000)}, "classic")
    second = _results({"a": (1001, 10_200_000)}, "containerd", base=51)
    said = engines.compare(first, second).problems()
    assert "a: 1,000 bytes against 1,001" in said and "debian:trixie: 50 bytes against 51" in said
    assert any(line.startswith("a: transfer 10,000,000 bytes against 10,200,000 (+2.000%)") for line in said)


def test_a_small_images_transfer_may_move_by_its_config_not_by_more() -> None:
    """On a tiny image another engine's config alone is most of the difference (measured: floor's
    transfer was 2,017 bytes on one engine and 1,082 on the other): close by the absolute allowance,
    though 46% apart; past that allowance, not close."""
    first = _results({"floor": (159, 2_017), "tiny": (159, 1_000)}, "classic")
    second = _results({"floor": (159, 1_082), "tiny": (159, 1_000 + engines.TRANSFER_TOLERANCE_BYTES + 1)}, "containerd")
    compared = engines.compare(first, second)
    assert [r.transfer_close for r in compared.rows] == [True, False, True]
    assert compared.farthest_transfer == compared.rows[1]
    assert [line.partition(":")[0] for line in compared.problems()] == ["tiny"]


def test_the_containerd_store_is_told_apart_by_its_driver_type() -> None:
    from macros.engine.connection import image_store
    assert image_store({"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}) \
        == "containerd"
    assert image_store({"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]]}) == "classic"
    assert image_store({}) == "classic"


def test_an_index_is_read_through_to_the_measured_platforms_image() -> None:
    """What the containerd store pushes: the image's manifest, an attestation beside it, and other
    platforms' manifests when the engine holds them under one tag (a build stage's
    `FROM --platform=$BUILDPLATFORM` on an arm64 engine adds arm64 to an amd64 base)."""
    from macros.model.manifests import of_platform, require_platform
    image = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:img",
             "platform": {"os": "linux", "architecture": "amd64"}}
    attestation = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:att",
                   "platform": {"os": "unknown", "architecture": "unknown"}}
    arm = {**image, "digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64"}}
    assert of_platform([attestation, image], "linux/amd64") == "sha256:img"
    assert of_platform([arm, attestation, image], "linux/amd64") == "sha256:img"
    assert of_platform([arm, image], "linux/arm64") == "sha256:arm"
    with pytest.raises(ValueError, match=r"pushed 2 manifests \(linux/arm64, unknown/unknown\), none of them "
                                         r"linux/amd64, the platform"):
        of_platform([arm, attestation], "linux/amd64")
    require_platform({"os": "linux", "architecture": "amd64", "rootfs": {}}, "linux/amd64")  # the config itself
    with pytest.raises(ValueError, match="the image is for linux/386; every image here is measured for linux/amd64"):
        require_platform({"os": "linux", "architecture": "386"}, "linux/amd64")
