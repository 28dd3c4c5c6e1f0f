from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from macros import engine


@pytest.fixture(scope="session")
def client() -> Iterator[docker.DockerClient]:
    """The real engine. No engine is a failure, never a skip: deselect with -m 'not docker'."""
    c = engine.connect()
    yield c
    c.close()
