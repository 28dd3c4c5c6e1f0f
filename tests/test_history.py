"""The history's pure logic: records made from results.json documents, what moved between two of
them, and the size guard. The real builds and records are in test_site.py."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from macros.errors import ConfigError
from macros.model import history


def _results(**sizes: int) -> dict[str, Any]:
    """A results.json document of the shape the build writes, with one variant per size."""
    return {
        "generated_at": "2026-11-28T10:00:00+00:00",
        "engine": {"endpoint": "unix://", "version": "20.10.24", "api_version": "1.41", "storage_driver": "overlay2",
                   "os": "Debian", "arch": "amd64", "kernel": "6.1", "image_store": "classic"},
        "registry": {"address": "127.0.0.1:5000", "image_id": "sha256:r", "version": "2.7.1"},
        "bases": [{"reference": "golang:1.21-bullseye", "image_id": "sha256:g1"},
                  {"reference": "debian:bullseye", "image_id": "sha256:d1"}],
        "variants": [{"id": vid, "size_bytes": size, "transfer_bytes": size // 2, "binary_bytes": size // 3,
                      "go_version": "go1.21.13", "edition": "2022", "bases": ["golang:1.21-bullseye"],
                      "dockerfile_text": f"FROM golang:1.21-bullseye\n# {vid}\n", "build_args": {}}
                     for vid, size in sizes.items()],
        "build": {"failed": []},
    }


def test_a_record_holds_each_variants_numbers_and_inputs() -> None:
    record = history.record_of(_results(a=1000, b=2000), recorded_at="2026-11-28T11:00:00+00:00")
    assert record["history"] == history.HISTORY_SCHEMA and record["recorded_at"].startswith("2026-11-28T11")
    assert record["registry"] == "2.7.1" and record["engine"]["version"] == "20.10.24"
    a = record["variants"]["a"]
    assert (a["size_bytes"], a["transfer_bytes"], a["binary_bytes"], a["go_version"]) == (1000, 500, 333, "go1.21.13")
    assert a["bases"] == {"golang:1.21-bullseye": "sha256:g1"} and a["dockerfile"].startswith("sha256:")
    assert record["variants"]["b"]["dockerfile"] != a["dockerfile"]  # their texts differ


def test_a_size_that_moved_names_the_input_that_moved_with_it() -> None:
    before = _results(a=1000, b=2000, c=3000)
    before["variants"][1]["bases"] = ["debian:bullseye"]
    after = copy.deepcopy(before)
    after["variants"][0]["size_bytes"] = 6100                         # a: its Dockerfile changed
    after["variants"][0]["dockerfile_text"] += "COPY x /x\n"
    after["variants"][1]["size_bytes"] = 1900                         # b: its base and Go moved
    after["bases"][1]["image_id"] = "sha256:d2"
    after["variants"][1]["go_version"] = "go1.21.14"
    after["variants"][2]["go_version"] = "go1.21.14"                  # c: an input moved, the size did not
    found = history.changes(history.record_of(before), history.record_of(after))
    assert [c.variant for c in found] == ["a", "b"]                   # the largest movement first
    a, b = found
    assert (a.before, a.after, a.delta, a.moved) == (1000, 6100, 5100, ("Dockerfile",))
    assert a.describe() == "a: 1kB (1,000 bytes) -> 6.1kB (6,100 bytes), +5.1kB (+510.0%); moved: Dockerfile"
    assert b.moved == ("base debian:bullseye", "Go version (go1.21.13 -> go1.21.14)")


def test_a_new_engine_is_named_and_a_size_nothing_explains_says_so() -> None:
    before = _results(a=1000)
    after = copy.deepcopy(before)
    after["engine"]["version"] = "27.0.1"
    after["variants"][0]["size_bytes"] = 1001
    assert history.changes(history.record_of(before), history.record_of(after))[0].moved == (
        "engine (20.10.24 -> 27.0.1)",)
    after["engine"]["version"] = "20.10.24"
    change = history.changes(history.record_of(before), history.record_of(after))[0]
    assert change.moved == () and "no recorded input moved" in change.describe()


def test_variants_that_come_and_go_are_changes_too() -> None:
    found = history.changes(history.record_of(_results(a=1, b=2)), history.record_of(_results(b=2, c=3)))
    assert {(c.variant, c.before, c.after) for c in found} == {("a", 1, None), ("c", None, 3)}
    assert [c.describe() for c in sorted(found)] == ["a: gone (was 1B)", "c: new, 3B"]


@pytest.mark.parametrize(("tolerance", "after", "crossed"), [
    ("2%", 1_020_000, False), ("2%", 1_020_001, True), ("50kB", 1_050_000, False), ("50kB", 1_050_001, True),
    ("0%", 999_999, False),  # shrinking never crosses
])
def test_the_guard_fails_only_past_the_declared_tolerance(tolerance: str, after: int, crossed: bool) -> None:
    before = history.record_of(_results(a=1_000_000, b=5))
    grown = history.record_of(_results(a=after, b=50))   # b grew tenfold, but declares no tolerance
    messages = history.crossed(before, grown, {"a": tolerance})
    assert bool(messages) is crossed
    if crossed:
        assert messages[0].startswith(f"a grew past its tolerance of {tolerance}: a: 1MB (1,000,000 bytes) -> ")


def test_the_file_is_appended_to_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.jsonl"
    assert history.read(path) == []
    first, second = history.record_of(_results(a=1)), history.record_of(_results(a=2))
    history.append(path, first)
    written = path.read_bytes()
    history.append(path, second)
    assert path.read_bytes().startswith(written)       # append-only: the first line is untouched
    assert history.read(path) == [first, second] and len(path.read_text().splitlines()) == 2
    assert history.same_build(first, json.loads(json.dumps(first))) and not history.same_build(first, second)


@pytest.mark.parametrize(("line", "said"), [("{not json", "not a JSON record"),
                                            ('{"history": 99, "variants": {}}', "not a history record")])
def test_a_damaged_history_is_named_by_its_line(tmp_path: Path, line: str, said: str) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(history.record_of(_results(a=1))) + "\n" + line + "\n")
    with pytest.raises(ConfigError, match=f"history.jsonl, line 2: {said}"):
        history.read(path)
