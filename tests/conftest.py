from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import docker
import pytest
from macros.engine import cleanup, connection, lock
from macros.errors import EngineError
from macros.measure import bases, registry
from macros.measure.registry import OnDemand
from macros.model import variants
from macros.model.files import held
from macros.model.settings import CACHE_ENV, NAMESPACE_ENV, START_RUNS_ENV, Settings

from tests.browsing import Reading
from tests.helpers import NAMESPACE, build_site, scratch, seeded_cache


def pytest_configure(config: pytest.Config) -> None:
    """Everything the tests run, in this process and in the builds and commands they start, uses
    the tests' own tag namespace and cache folder: `make test` never re-tags, removes or
    re-measures what the author's `make site` measured, and never writes into `.cache/`."""
    os.environ[NAMESPACE_ENV] = NAMESPACE
    os.environ[CACHE_ENV] = str(seeded_cache(scratch("smallest-go-test-cache-")))
    # Two start-up runs an image, not five: the tests check that images are timed (and that an
    # exited container starts again), not how precisely; in the cold site build the timing, which
    # runs alone, took 43 of 87 s with five.
    os.environ[START_RUNS_ENV] = "2"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read the one cold site build (the `site` fixture, built once per session) run
    first, test_site's as the build left the engine, then a test that builds again over its images
    (two checkouts at once): the clean-up tests after them remove the namespace's tags, which that
    build's images carry. The browser's tests, which wait for its reading of the site (begun once
    the site was built, beside all the tests that follow), come at the very end."""
    readers = [item for item in items if "site" in getattr(item, "fixturenames", ())]
    order = ("test_site.py", None, "test_browser.py")
    readers.sort(key=lambda item: order.index(item.path.name if item.path.name in order else None))
    browser = [item for item in readers if item.path.name == "test_browser.py"]
    items[:] = [item for item in readers if item not in browser] + \
        [item for item in items if item not in readers] + browser


ALONE = pytest.StashKey[ExitStack]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """One run of the engine's tests at a time on this machine: two runs share the namespace, and
    the first to end removes its tags under the other's checks (a fresh clone's `.ci/run` failed so
    while another run ended beside it). A second run waits for the first, saying so; a run of pure
    tests only (`-m "not docker"`) takes no turn."""
    if not any(item.get_closest_marker("docker") for item in session.items):
        return
    turn = Path(tempfile.gettempdir()) / f"smallest-go-tests-{NAMESPACE}.lock"
    stack = session.config.stash[ALONE] = ExitStack()
    if not stack.enter_context(held(turn, exclusive=True, wait=False)):
        print(f"\nanother run of the engine's tests holds {turn} (namespace {NAMESPACE}): waiting for it to end",
              flush=True)
        stack.enter_context(held(turn, exclusive=True))


def pytest_unconfigure(config: pytest.Config) -> None:
    if ALONE in config.stash:
        config.stash[ALONE].close()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.read()


@pytest.fixture(scope="session", autouse=True)
def alive_while_testing(settings: Settings) -> Iterator[None]:
    """The tests create containers in this process too: a build in another checkout must see
    this run as alive and leave them alone (engine/lock.py)."""
    with lock.running(settings.run_locks):
        yield


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[docker.DockerClient]:
    """The real engine. No engine is a failure, never a skip: deselect with -m 'not docker'."""
    c = connection.connect(settings)
    yield c
    c.close()


@pytest.fixture
def store(client: docker.DockerClient, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> OnDemand:
    """The real registry, with a cache folder of its own (the layers' files too: each layer is read)."""
    registry_image = bases.Provisioner(client, bases.load_recipes(settings), settings).ensure(registry.REFERENCE).image_id
    own = tmp_path_factory.mktemp("registry-cache")
    return OnDemand(client, registry_image, settings=Settings(cache_dir=own, shared_cache_dir=own, namespace=NAMESPACE),
                    engine=connection.facts(client))


@pytest.fixture(scope="session", autouse=True)
def engine_left_as_found(settings: Settings) -> Iterator[None]:
    """Tests build throwaway variants under their own namespace; at the end its tags go (an image
    the author's build also tags keeps that tag, and so stays), and with them the images no one
    else tags, and the untagged images of ours the tests' builds left. Without an engine there is
    nothing to clean (the tests that need one fail on their own)."""
    yield
    try:
        c = connection.connect(settings)
    except EngineError:
        return
    cleanup.remove_ours(c, namespace=NAMESPACE, engine_lock=settings.engine_lock)
    c.close()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache of the cold site build below: every variant measured once, in the tests' namespace."""
    return seeded_cache(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def browser_reading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reading]:
    """The browser's reading of the built site (tests/browsing.py), in a process of its own."""
    reading = Reading(tmp_path_factory.mktemp("browser"))
    yield reading
    reading.stop()


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, cache_dir: Path,
         browser_reading: Reading) -> Path:
    """A cold build of the real site: an empty cache, so every variant is built, run and measured.
    If a test of this session wants the browser's reading of it, the browser starts at once: it
    reads files only, so it goes on beside the tests that follow, which spend much of their time
    waiting on the engine (a whole `make test`: 39% of the two cores idle, reading sequentially)."""
    out = tmp_path_factory.mktemp("site")
    log = build_site(out, cache_dir)
    declared = variants.load(Settings.read())
    assert f"{len(declared)} measured, 0 reused" in log, log[-2000:]
    if any("browser_reading" in getattr(item, "fixturenames", ()) for item in request.session.items):
        browser_reading.start(out)
    return out


@pytest.fixture(scope="session")
def results(site: Path) -> dict[str, Any]:
    return json.loads((site / "results.json").read_text())
