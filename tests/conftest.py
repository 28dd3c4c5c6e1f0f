from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from macros import engine
from macros.transfer import TransferSizer


@pytest.fixture(scope="session")
def client() -> Iterator[docker.DockerClient]:
    """The real engine. No engine is a failure, never a skip: deselect with -m 'not docker'."""
    c = engine.connect()
    yield c
    c.close()


@pytest.fixture
def sizer(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransferSizer]:
    """A transfer sizer with a cache of its own, so a test compresses what it builds."""
    s = TransferSizer(client, tmp_path_factory.mktemp("sizer-cache"))
    yield s
    s.close()
