from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile

import pytest
from macros.measure import LayerSize, go_version, human_size, layer_sizes


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0B"), (999, "999B"), (1000, "1kB"), (1234, "1.23kB"), (999_999, "1e+03kB"),
    (3_368_770, "3.37MB"), (3_765_949, "3.77MB"), (788_733_057, "789MB"), (124_256_437, "124MB"),
    (1_234_567_890, "1.23GB"), (10_500_000, "10.5MB"),
])
def test_human_size_matches_the_docker_cli(size: int, shown: str) -> None:
    assert human_size(size) == shown


def _tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_layer_sizes_streams_each_layer_tar_and_ignores_other_members() -> None:
    layer_a = _tar_bytes({"bin/main": os.urandom(300_000)})
    layer_b = _tar_bytes({"etc/passwd": b"root:x:0:0::/root:/sbin/nologin\n" * 100})
    save = _tar_bytes({"aaa/layer.tar": layer_a, "aaa/json": b"{}", "bbb/layer.tar": layer_b,
                       "manifest.json": b'[{"Layers": ["aaa/layer.tar"]}]' * 20})
    found = {layer.diff_id: layer for layer in layer_sizes(io.BytesIO(save))}
    for data in (layer_a, layer_b):
        layer = found[f"sha256:{hashlib.sha256(data).hexdigest()}"]
        assert layer.size_bytes == len(data)
        assert layer.gzip_bytes == len(gzip.compress(data, compresslevel=6, mtime=0))
    assert len(found) == 2


def test_go_version_reads_inline_build_info() -> None:
    version = b"go1.21.13"
    header = b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16
    binary = os.urandom(4096).replace(b"\xff", b"\0") + header + bytes([len(version)]) + version + b"\0" * 64
    assert go_version(binary) == "go1.21.13"
    assert go_version(b"not a go binary") == ""


def test_layers_of_a_skipped_size_are_passed_over_unread() -> None:
    layer_a = _tar_bytes({"a": os.urandom(10_000)})
    layer_b = _tar_bytes({"b": os.urandom(50_000)})
    save = _tar_bytes({"1/layer.tar": layer_a, "2/layer.tar": layer_b})
    found = {layer.size_bytes: layer for layer in layer_sizes(io.BytesIO(save), skip=lambda size: size == len(layer_a))}
    assert found[len(layer_a)] == LayerSize("", len(layer_a), None)
    assert found[len(layer_b)].diff_id == f"sha256:{hashlib.sha256(layer_b).hexdigest()}"
    assert found[len(layer_b)].gzip_bytes == len(gzip.compress(layer_b, compresslevel=6, mtime=0))
