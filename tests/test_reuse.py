"""Reusing a cached measurement, against the engine as it is: the plan lists the tags once, and a
measurement is reused only while its image is there, under the tag the pages name."""
from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import docker
import pytest
from macros.engine import images
from macros.measure.plan import Planner
from macros.measure.registry import OnDemand
from macros.model.cache import ResultCache
from macros.model.settings import Settings

from tests.factories import measurement, variant
from tests.helpers import NAMESPACE

GONE = "sha256:" + "0" * 64  # an image ID no engine has


@pytest.mark.docker
def test_a_measurement_is_reused_while_its_image_is_there_and_its_tag_is_put_right(
        client: docker.DockerClient, store: OnDemand, tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path / "cache", namespace=NAMESPACE)
    cache = ResultCache(settings.cached("results"), locks=settings.key_locks)
    kept, other = store.image_id, str(images.inspect_image(client, "debian:bookworm")["Id"])  # type: ignore[index]
    cache.put("kept", measurement(image_id=kept))
    cache.put("gone", measurement(image_id=GONE))
    here, lost = variant(id=f"reuse-{tmp_path.name}"), variant(id=f"lost-{tmp_path.name}")
    tag = settings.tag_of(here.id)

    def planned(v: object, key: str) -> bool:
        with ExitStack() as held:
            return Planner(client, cache, refresh=set(), held=held, settings=settings).claim(v, key, wait=False)  # type: ignore[arg-type]

    assert images.inspect_image(client, tag) is None
    assert planned(here, "kept") is False  # reused: nothing to build
    assert images.inspect_image(client, tag)["Id"] == kept  # type: ignore[index]  # and tagged for the pages

    images.tag(client, other, tag)  # the tag moved to another image since
    assert planned(here, "kept") is False
    assert images.inspect_image(client, tag)["Id"] == kept  # type: ignore[index]

    assert planned(lost, "gone") is True  # its image is gone: measured again
    assert images.inspect_image(client, settings.tag_of(lost.id)) is None
