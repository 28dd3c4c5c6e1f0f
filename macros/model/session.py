"""One doc build's worth of results: each declared variant beside its measurement, the engine, the
registry and the bases; and `results.json`, written from the same records the pages are made from.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from . import checks
from .files import write_atomic
from .image_diff import ImageDiff
from .measurement import Measurement, published
from .records import BaseImage, EngineFacts, RegistryFacts
from .results_schema import RESULTS_SCHEMA
from .sizes import human_size
from .variants import Variant

# results.csv: who the variant is, then each measured field declared for the CSV (measurement.py)
CSV_COLUMNS = ("id", "title", "part", "edition", "redoes", "final_base", "article_2022",
               *(f.name for f, about in published() if about.csv), "reused")


class Shown(NamedTuple):
    """A variant as declared, with what the engine measured of it, as one build shows it."""
    variant: Variant
    measured: Measurement
    reused: bool        # served from the result cache by this build
    tag: str            # the tag the image carries in the engine (Settings.tag_of)

    @property
    def id(self) -> str:
        return self.variant.id


@dataclass(frozen=True)
class Session:
    engine: EngineFacts
    registry: RegistryFacts
    bases: list[BaseImage]
    declared: list[Variant]         # every variant of the variants file, in its order
    results: list[Shown]            # the verified ones, in the same order
    generated_at: str
    failures: dict[str, str] = field(default_factory=dict)  # variant id -> message (serve mode only)
    pushes: int = 0        # images this build pushed to the registry to size them
    seconds: float = 0.0   # how long measuring took, bases included
    startup_s: float = 0.0  # of those, timing new images' start-up (one image at a time, nothing else running)
    diffs: list[ImageDiff] = field(default_factory=list)  # of the pairs the pages compare (variants.compared)

    def result(self, variant_id: str) -> Shown:
        for shown in self.results:
            if shown.id == variant_id:
                return shown
        raise KeyError(variant_id)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The content of results.json, made once (the pages read it for the history too)."""
        return {
            "schema": RESULTS_SCHEMA,
            "generated_at": self.generated_at,
            "engine": self.engine._asdict(),
            "registry": self.registry._asdict(),
            "bases": [b.as_dict() for b in self.bases],
            "variants": [variant_record(shown) for shown in self.results],
            "diffs": [d.as_dict() for d in self.diffs],
            "build": {"measured": [s.id for s in self.results if not s.reused],
                      "reused": [s.id for s in self.results if s.reused], "failed": list(self.failures),
                      "pushes": self.pushes, "seconds": round(self.seconds, 3),
                      "startup_s": round(self.startup_s, 3)},
        }

    def write_json(self, path: Path) -> None:
        # Without indentation: json's C encoder then writes it (with an indent, its Python one,
        # four times slower on half a megabyte); a browser or `jq .` lays it out for a reader.
        write_atomic(path, json.dumps(self.document, ensure_ascii=False) + "\n")

    def write_csv(self, path: Path) -> None:
        """results.csv: one row per variant, the results table's columns, sizes in bytes."""
        text = io.StringIO(newline="")
        out = csv.writer(text)
        out.writerow(CSV_COLUMNS)
        for record in self.document["variants"]:
            out.writerow(["" if record[c] is None else record[c] for c in CSV_COLUMNS])
        write_atomic(path, text.getvalue())


def variant_record(shown: Shown) -> dict[str, Any]:
    """One variant in results.json: what was declared, then what was measured."""
    v = shown.variant
    declared = {"id": v.id, "title": v.title, "description": v.description, "part": v.part,
                "edition": v.edition, "redoes": v.redoes, "against": v.against, "family": v.family,
                "dockerfile": v.dockerfile_rel, "dockerfile_text": v.parsed.text, "final_base": v.final_base,
                "bases": list(v.bases), "build_args": v.build_args, "expected": v.expect.describe(),
                "article_2022": v.article_2022, "tolerance": v.tolerance}
    measured = shown.measured.as_dict()
    del measured["build_log"]  # a file of its own beside the variant's page (pages/plugin.py)
    record = {**declared, **measured, "size_human": human_size(shown.measured.size_bytes),
              "tag": shown.tag, "reused": shown.reused}
    found = checks.answers(v.part, shown.measured.stdout)
    return record | {"checks": found} if found is not None else record
