"""The dependency schedule and the plan's claims on keys: pure logic (threads, files, no engine)."""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from macros.errors import ConfigError, ProjectError
from macros.measure import schedule
from macros.measure.plan import Planner
from macros.measure.schedule import Step
from macros.model import variants
from macros.model.cache import ResultCache
from macros.model.settings import Settings

from tests.factories import measurement


def _recorder() -> tuple[list[str], threading.Lock]:
    return [], threading.Lock()


def test_a_step_starts_once_what_it_needs_has_ended_and_only_then() -> None:
    said, guard = _recorder()

    def step(name: str, seconds: float = 0.0) -> Step:
        def run() -> str:
            time.sleep(seconds)
            with guard:
                said.append(name)
            return name
        return Step(run, pool="p")

    steps = {"slow": step("slow", 0.2), "fast": step("fast"),
             "after-slow": replace(step("after-slow"), needs=("slow",))}
    outcomes = schedule.run(steps, {"p": 3})
    assert outcomes == {"slow": "slow", "fast": "fast", "after-slow": "after-slow"}
    assert said.index("after-slow") > said.index("slow") and said.index("fast") < said.index("slow")


def test_a_failure_fails_what_needs_it_and_nothing_else() -> None:
    def broken() -> None:
        raise ConfigError("the base is missing")

    steps = {"base": Step(broken, pool="p"), "variant": Step(lambda: "built", pool="p", needs=("base",)),
             "page": Step(lambda: "shown", pool="p", needs=("variant",)),
             "reuses": Step(lambda: "ran anyway", pool="p", after=("base",)),
             "other": Step(lambda: "fine", pool="p")}
    outcomes = schedule.run(steps, {"p": 1})
    assert outcomes["variant"] is outcomes["base"] is outcomes["page"]  # the same error, passed on
    assert isinstance(outcomes["base"], ProjectError)
    assert (outcomes["reuses"], outcomes["other"]) == ("ran anyway", "fine")


def test_a_pool_runs_no_more_than_its_size_and_the_lower_rank_first() -> None:
    running, most, order = [0], [0], []
    guard = threading.Lock()

    def work(name: str) -> None:
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
            order.append(name)
        time.sleep(0.05)
        with guard:
            running[0] -= 1

    steps = {f"s{n}": Step(lambda n=n: work(f"s{n}"), pool="two", rank=(-n,)) for n in range(6)}
    schedule.run(steps, {"two": 2})
    assert most[0] == 2
    assert order[:2] == ["s5", "s4"] and order[-1] == "s0"


def test_ready_hears_each_outcome_before_what_needs_it_starts() -> None:
    heard: dict[str, object] = {}
    steps = {"registry": Step(lambda: "address", pool="p"),
             "push": Step(lambda: heard["registry"], pool="q", needs=("registry",))}
    outcomes = schedule.run(steps, {"p": 1, "q": 1}, ready=lambda name, outcome: heard.setdefault(name, outcome))
    assert outcomes["push"] == "address"


def test_a_step_waiting_on_no_such_step_is_a_fault_of_ours() -> None:
    with pytest.raises(ValueError, match="not scheduled: nowhere"):
        schedule.run({"a": Step(lambda: None, pool="p", needs=("nowhere",))}, {"p": 1})


def test_a_fault_that_is_not_a_project_error_is_raised() -> None:
    def bug() -> None:
        raise KeyError("ours")

    with pytest.raises(KeyError):
        schedule.run({"a": Step(bug, pool="p")}, {"p": 1})


@pytest.fixture
def two() -> tuple[variants.Variant, variants.Variant]:
    declared = variants.load(Settings.read())
    return declared[0], replace(declared[0], id="a-copy")


def test_variants_with_the_same_key_make_one_job(tmp_path: Path, two: tuple[variants.Variant, variants.Variant]) -> None:
    a, b = two
    with ExitStack() as held:
        planner = Planner(None, ResultCache(tmp_path), refresh=set(), held=held, settings=Settings.read())  # type: ignore[arg-type]
        assert planner.claim(a, "k1", wait=False) is True      # an empty cache touches no engine
        assert planner.claim(b, "k1", wait=False) is False     # joins a's job
        [job] = planner.jobs([a, b])
    assert job.variants == (a, b) and job.key == "k1" and job.cached is None


def test_a_key_another_build_holds_is_deferred_not_waited_for(tmp_path: Path,
                                                              two: tuple[variants.Variant, variants.Variant]) -> None:
    a, _ = two
    cache = ResultCache(tmp_path)
    with cache.lock("k1") as other_build, ExitStack() as held:  # another open file: flock sees two holders
        assert other_build
        planner = Planner(None, cache, refresh=set(), held=held, settings=Settings.read())  # type: ignore[arg-type]
        said: list[bool] = []
        claiming = threading.Thread(target=lambda: said.append(planner.claim(a, "k1", wait=False)), daemon=True)
        claiming.start()
        claiming.join(timeout=30)
        assert not claiming.is_alive(), "the claim waited for the other build's lock"
        assert said == [False] and planner.deferred == ["k1"] and planner.jobs([a]) == []


def test_a_copy_asked_to_be_measured_again_is_built_though_the_first_was_reused(
        tmp_path: Path, two: tuple[variants.Variant, variants.Variant]) -> None:
    """SMALLEST_GO_REFRESH names the copy, not the original the cache answered for: the shared key
    is measured again, under the copy, which comes first in the job."""
    a, b = two
    cache = ResultCache(tmp_path)
    cached = measurement()
    cache.put("k1", cached)
    settings = Settings.read()
    tagged = [{"Id": cached.image_id, "RepoTags": [settings.tag_of(a.id)]}]  # the tag in place
    engine = SimpleNamespace(api=SimpleNamespace(images=lambda filters: tagged))
    with ExitStack() as held:
        planner = Planner(engine, cache, refresh={b.id}, held=held, settings=settings)  # type: ignore[arg-type]
        assert planner.claim(a, "k1", wait=False) is False    # reused
        assert planner.claim(b, "k1", wait=False) is True     # measured again
        [job] = planner.jobs([a, b])
    assert job.variants == (b, a) and job.cached is None
