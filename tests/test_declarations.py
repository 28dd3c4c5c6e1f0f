"""Each measured quantity is declared once (model/measurement.py); what is derived from the
declarations holds to them: the committed schema, the CSV's columns, the history record, the
results table and the variant page. Pure: no engine."""
from __future__ import annotations

import json

from macros.model import history, results_schema, session
from macros.model.measurement import builder_of, published
from macros.model.records import Builder
from macros.model.settings import REPO
from macros.pages import detail, formats, render

from tests.factories import measurement, shown


def test_the_committed_schema_is_what_the_declarations_give() -> None:
    path = REPO / "docs" / results_schema.FILE_NAME
    committed = path.read_text(encoding="utf-8")
    assert committed == results_schema.text_of(results_schema.with_measured(json.loads(committed))), \
        "docs/results.schema.json differs from measurement.py's declarations: run `python -m macros schema`"


def test_every_view_names_a_format_and_every_member_a_member() -> None:
    for f, about in published():
        for view in (*about.facts, *about.columns):
            assert view.format in formats.FORMATS, (f.name, view.format)
            assert not view.member or view.member in dict(about.members), (f.name, view.member)


def test_the_derived_places_follow_the_declarations() -> None:
    """A quantity declared for the CSV, the history, the table or the page is there, under its
    declared name or heading; one declared for none of them is in none of them."""
    row = shown(id="x", binary_bytes=1_000, store_bytes=4_000_000, packer="UPX 4.24")  # each fact has a value
    table = render.results_table([row], store_column=True)
    facts = dict(detail.facts(row))
    for f, about in published():
        assert (f.name in session.CSV_COLUMNS) == about.csv, f.name
        assert (f.name in history.KEPT) == about.history, f.name
        for view in about.columns:
            assert f">{view.heading}</th>" in table, (f.name, view.heading)
        for view in about.facts:
            assert view.heading in facts, (f.name, view.heading)
    record = history.record_of({"generated_at": "", "registry": {"version": "2"}, "bases": [],
                                "engine": dict.fromkeys(("version", "api_version", "storage_driver", "os", "arch",
                                                         "kernel", "image_store"), ""),
                                "variants": [{**row.measured.as_dict(), "id": "x", "edition": "", "bases": [],
                                              "dockerfile_text": "", "build_args": {}}]})
    assert set(record["variants"]["x"]) == {*history.KEPT, "edition", "bases", "dockerfile"}


def test_a_new_column_is_one_declaration() -> None:
    """The change the declarations exist for: a field declared with a column is a column of the
    table, with its heading and its cells formatted as declared, and nothing else is edited."""
    from dataclasses import fields

    from macros.model.measurement import Measurement, View

    layer_count = next(f for f in fields(Measurement) if f.name == "layer_count")
    about = layer_count.metadata["about"]
    patched = {**layer_count.metadata, "about": about._replace(columns=(View("Layers", "count"),))}
    original = layer_count.metadata
    try:
        object.__setattr__(layer_count, "metadata", patched)
        table = render.results_table([shown(id="x", layer_count=7)])
    finally:
        object.__setattr__(layer_count, "metadata", original)
    assert '>Layers</th>' in table and '<td style="text-align:right">7</td>' in table


def test_the_engine_s_builder_is_every_version_that_built_the_images_shown() -> None:
    old, new = measurement(buildx="0.13.1", buildkit="v0.13.2"), measurement(buildx="0.19.3", buildkit="v0.13.2")
    assert builder_of([old, old]) == Builder("0.13.1", "v0.13.2")
    assert builder_of([new, old, measurement(buildx="", buildkit="")]) == Builder("0.13.1, 0.19.3", "v0.13.2")
    assert builder_of([]) == Builder("", "")
