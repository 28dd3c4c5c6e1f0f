"""The plan: which variant waits for which, the refresh switch. Pure logic over the
project's real variants file."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from macros.errors import ConfigError
from macros.measure.plan import first_stages, refresh_wanted
from macros.model import variants
from macros.model.settings import Settings

from tests.helpers import REPO


@pytest.fixture
def declared() -> list[variants.Variant]:
    return variants.load(Settings.read())


def _group(v: variants.Variant) -> tuple[str, Path]:
    return ((v.bases or ("scratch",))[0], v.context)


def test_variants_sharing_a_first_stage_wait_for_the_first_of_them(declared: list[variants.Variant]) -> None:
    waits = first_stages(declared, layer_cache=True)
    pioneers = [v for v in declared if v.id not in waits]
    assert len(pioneers) == len({_group(v) for v in declared})  # one of each group goes first
    place = {v.id: n for n, v in enumerate(declared)}
    by_id = {v.id: v for v in declared}
    for follower, pioneer in waits.items():
        assert pioneer not in waits and place[pioneer] < place[follower]  # no chains, no circles
        assert _group(by_id[follower]) == _group(by_id[pioneer])


def test_unrelated_variants_wait_for_no_one(declared: list[variants.Variant], tmp_path: Path) -> None:
    a = replace(declared[0], id="a", context=tmp_path)
    b, c = replace(a, id="b", context=tmp_path / "other"), replace(a, id="c")
    assert first_stages([a, b, c], layer_cache=True) == {"c": "a"}


def test_without_the_layer_cache_nothing_waits(declared: list[variants.Variant]) -> None:
    assert first_stages(declared, layer_cache=False) == {}


def test_refresh_switch(declared: list[variants.Variant]) -> None:
    def wanted(raw: str) -> set[str]:
        return refresh_wanted(declared, Settings.read({"SMALLEST_GO_REFRESH": raw}).refresh)

    assert wanted("") == set()
    assert wanted("all") == {v.id for v in declared}
    some = {declared[0].id, declared[-1].id}
    assert wanted(" , ".join(some)) == some
    with pytest.raises(ConfigError, match="not-a-variant"):
        wanted("not-a-variant")
    typo = declared[0].id[:-1] + "x"  # one letter off a real id
    with pytest.raises(ConfigError) as refused:
        wanted(typo)
    assert refused.value.message.endswith(f": {typo} (did you mean {declared[0].id!r}?)"), refused.value.message


def test_the_machine_wide_memo_is_the_users_cache_unless_the_environment_names_another(tmp_path: Path) -> None:
    assert Settings.read({}).shared_cache_dir == Path.home() / ".cache" / "smallest-go"
    assert Settings.read({"XDG_CACHE_HOME": str(tmp_path)}).shared_cache_dir == tmp_path / "smallest-go"
    named = {"XDG_CACHE_HOME": str(tmp_path), "SMALLEST_GO_SHARED_CACHE": str(tmp_path / "mine")}
    assert Settings.read(named).shared_cache_dir == tmp_path / "mine"


def test_the_start_up_runs_can_be_fewer_and_a_bad_count_is_named() -> None:
    assert Settings.read({}).start_runs == Settings().start_runs
    assert Settings.read({"SMALLEST_GO_START_RUNS": "2"}).start_runs == 2
    for bad in ("0", "two", "-1"):
        with pytest.raises(ConfigError, match=f"SMALLEST_GO_START_RUNS='{bad}' is not a number of runs"):
            Settings.read({"SMALLEST_GO_START_RUNS": bad})


def test_a_namespace_and_a_switch_take_what_docker_and_the_readme_say() -> None:
    for name in ("smallest-go-mine", "me/smallest.go", "a__b"):
        assert Settings.read({"SMALLEST_GO_NAMESPACE": name}).namespace == name
    for bad in ("My_Images", "-x", "a//b", "a:b", "a b"):
        with pytest.raises(ConfigError, match="cannot begin an image's name"):
            Settings.read({"SMALLEST_GO_NAMESPACE": bad})
    assert [Settings.read({"SMALLEST_GO_NO_BUILD_CACHE": v}).layer_cache for v in ("", "0", "1")] == [True, True, False]
    assert Settings.read({}).layer_cache


@pytest.mark.parametrize(("setting", "said"), [
    ("SMALLEST_GO_REGISTRY_PORT=abc", "SMALLEST_GO_REGISTRY_PORT='abc' is not a TCP port"),
    ("SMALLEST_GO_START_RUNS=0", "SMALLEST_GO_START_RUNS='0' is not a number of runs"),
    ("SMALLEST_GO_NAMESPACE=My_Images", "SMALLEST_GO_NAMESPACE='My_Images' cannot begin an image's name"),
    ("SMALLEST_GO_NO_BUILD_CACHE=yes", "SMALLEST_GO_NO_BUILD_CACHE='yes' is neither 1 nor 0"),
])
def test_a_bad_setting_fails_the_doc_build_in_one_message(tmp_path: Path, setting: str, said: str) -> None:
    """Read before anything is measured, in mkdocs as in `python -m macros`: a message, no traceback."""
    name, value = setting.split("=", 1)
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "site")], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env={**os.environ, name: value})
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in output and f"ERROR   -  {said}" in output, output
    assert not (tmp_path / "site").exists()
