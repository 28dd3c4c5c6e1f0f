from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest
from macros import bases, labels, registry, variants
from macros.engine import connection
from macros.errors import EngineError
from macros.registry import OnDemand
from macros.settings import Settings


@pytest.fixture(scope="session")
def client() -> Iterator[docker.DockerClient]:
    """The real engine. No engine is a failure, never a skip: deselect with -m 'not docker'."""
    c = connection.connect()
    yield c
    c.close()


@pytest.fixture
def store(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> OnDemand:
    """The real registry, with a cache folder of its own."""
    registry_image = bases.Provisioner(client, bases.load_recipes()).ensure(registry.REFERENCE).image_id
    return OnDemand(client, registry_image, cache_dir=tmp_path_factory.mktemp("registry-cache"))


def _images(c: docker.DockerClient, **filters: object) -> dict[str, dict]:
    return {i["Id"]: i for i in c.api.images(filters=filters or None)}


@pytest.fixture(scope="session", autouse=True)
def engine_left_as_found() -> Iterator[None]:
    """Tests build throwaway variants; without this, every run would leave their tagged images and
    the untagged first stages of their builds behind, and the engine would fill up run after run.
    Removed at the end: images made during the run that are untagged, or that carry a variant
    label of a variant the real variants file does not declare. Kept: everything there before,
    and the real variants' images. Without an engine there is nothing to clean (the tests that
    need one fail on their own)."""
    try:
        c = connection.connect()
    except EngineError:
        yield
        return
    before = set(_images(c))
    yield
    real = {v.id for v in variants.load(Settings().variants_file)}
    made = {i: rec for i, rec in _images(c).items() if i not in before}

    def throwaway(rec: dict) -> bool:
        variant_id = (rec.get("Labels") or {}).get(labels.VARIANT)
        return variant_id is not None and variant_id not in real

    _remove(c, [i for i, rec in made.items() if throwaway(rec)])
    _remove(c, [i for i in _images(c, dangling=True) if i in made])  # the first stages, untagged
    c.close()


def _remove(c: docker.DockerClient, image_ids: list[str]) -> None:
    for image_id in image_ids:
        try:
            c.api.remove_image(image_id, force=True)
        except docker.errors.APIError:
            pass  # still in use, or gone already with an image built on it
