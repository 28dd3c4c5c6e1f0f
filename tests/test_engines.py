"""The same variants on Debian 13's Docker Engine, on overlay2 and on the containerd image store,
beside this machine's: the sizes are equal, the transfers close (scripts/try_engines.py)."""
from __future__ import annotations

import re
import subprocess
import sys

import docker
import pytest
from macros.model import variants
from macros.model.settings import Settings

from tests.helpers import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _two_small(declared: list[variants.Variant]) -> list[str]:
    """Two entries of the variants file whose final stage is not a toolchain: quick to push."""
    toolchains = {r for v in declared for r in v.bases if r != v.final_base}
    by_base: dict[str, str] = {}
    for v in declared:
        if v.final_base not in toolchains:
            by_base.setdefault(v.final_base, v.family)  # the entry's id: a matrix entry once
    return list(by_base.values())[:2]


def test_sizes_are_the_same_on_every_engine_and_store(client: docker.DockerClient) -> None:
    ids = _two_small(variants.load(Settings()))
    ours_before = {t for i in client.api.images() for t in i.get("RepoTags") or []}
    done = subprocess.run([sys.executable, "scripts/try_engines.py", *ids], cwd=REPO, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=2400)
    assert done.returncode == 0, done.stdout[-4000:]
    said = re.findall(r"^sizes equal: (\d+) of (\d+); largest transfer difference ", done.stdout, re.M)
    assert len(said) == 2, done.stdout[-4000:]  # overlay2 and containerd
    for equal, compared in said:
        assert equal == compared and int(compared) >= len(ids) + 1  # the variants and at least one base
    assert "containerd store (overlayfs)" in done.stdout and "classic store (overlay2)" in done.stdout
    ours_after = {t for i in client.api.images() for t in i.get("RepoTags") or []}
    assert not {t for t in ours_after - ours_before if "smallest-go-engines/" in t}, "left its tags behind"
