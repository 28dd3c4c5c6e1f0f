"""The measured part of results.schema.json, derived from the Measurement's declarations.

The schema file stays committed and published as it is (the declared fields, the engine, the
bases and the build are written there by hand); its measured fields are what `measured_properties`
gives, and `python -m macros schema` writes them in. A test holds the file to the declarations.
"""
from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

from .image_diff import DESCRIBED, ImageDiff, Moved
from .measurement import About, Measurement, published

RESULTS_SCHEMA = 18 # results.json: 4 = declared and measured fields side by side, sizes in bytes;
#                     5 = each variant's edition and what it redoes, each base's support windows,
#                     and what each image holds (contents); 6 = peak memory, the large-environment
#                     run, and each variant's declared size tolerance; 7 = each base's fidelity to
#                     the upstream image it is named after; 8 = sizes counted from the layers,
#                     the engine's own figure beside them (store_bytes), and its image store;
#                     9 = one name per quantity: transfer_bytes (was compressed_bytes);
#                     10 = the image diffs of the pairs the pages compare, and each variant's `against`;
#                     11 = the builder (buildx and BuildKit versions) among the engine's facts;
#                     12 = a variant's checks are those its program printed, not a fixed four
#                     13 = the platform every image was built for, among the engine's facts;
#                     14 = each base's accounts (its /etc/passwd), user and working folder
#                     15 = each stand-in's accounts and user held against upstream's (fidelity)
#                     16 = the build's seconds spent timing start-up (startup_s)
#                     17 = each stand-in's command and environment held against upstream's (fidelity)
#                     18 = each variant's builder (buildx, buildkit), the engine's derived from them

FILE_NAME = "results.schema.json"  # in docs/, published as it is

_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


def _of(kind: Any, about: About, members: dict[str, str]) -> dict[str, Any]:
    """The JSON Schema of a value of a Python type, as Measurement's fields use them."""
    options = typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
    if len(options) == 2 and type(None) in options:  # X | None
        inner = _of(next(o for o in options if o is not type(None)), about, members)
        return {**inner, "type": [inner["type"], "null"]}
    if kind in _SCALARS:
        spec: dict[str, Any] = {"type": _SCALARS[kind]}
        if kind is int and about.minimum is not None:
            spec["minimum"] = about.minimum
        return spec
    if typing.get_origin(kind) is tuple:  # tuple[X, ...]
        return {"type": "array", "items": _of(typing.get_args(kind)[0], About(""), {})}
    hints = typing.get_type_hints(kind)  # a NamedTuple record
    return {"type": "object", "additionalProperties": False, "required": list(hints),
            "properties": {name: _of(t, About(""), {}) | ({"description": members[name]} if name in members else {})
                           for name, t in hints.items()}}


def measured_properties() -> dict[str, dict[str, Any]]:
    """Each measured field of a variant in results.json: its schema, with its description."""
    hints = typing.get_type_hints(Measurement)
    return {f.name: _of(hints[f.name], about, dict(about.members)) | {"description": about.description}
            for f, about in published()}


def diffs_property() -> dict[str, Any]:
    """results.json's image diffs (model/image_diff.py), with their descriptions."""
    item = _of(ImageDiff, About(""), DESCRIBED)
    item["properties"]["moved"]["items"] = _of(Moved, About(""), DESCRIBED)
    return {"type": "array", "description": "What moved between the images of each pair of variants the pages "
            "compare, from their files: added, removed and changed, by folder and package.", "items": item}


def with_measured(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (results.schema.json) with its variants' measured fields as declared: where the
    first measured field stood, the declared ones in declared order; the other fields as they are."""
    item = schema["properties"]["variants"]["items"]
    derived = measured_properties()
    kept = [name for name in item["properties"] if name not in derived]
    at = next((i for i, name in enumerate(item["properties"]) if name in derived), len(kept))
    at = len([n for n in list(item["properties"])[:at] if n not in derived])
    order = kept[:at] + list(derived) + kept[at:]
    properties = {name: derived.get(name) or item["properties"][name] for name in order}
    required = [name for name in order if name in derived or name in item["required"]]
    return {**schema, "properties": {**schema["properties"], "schema": {**schema["properties"]["schema"],
                                                                        "const": RESULTS_SCHEMA},
                                     "variants": {**schema["properties"]["variants"],
                                                  "items": {**item, "properties": properties,
                                                            "required": required}},
                                     "diffs": diffs_property()},
            "required": list(dict.fromkeys([*schema["required"], "diffs"]))}


def text_of(schema: dict[str, Any]) -> str:
    """The schema file's text, as it is committed."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def rewrite(path: Path) -> bool:
    """Write the declared measured fields into the schema file; whether it changed."""
    before = path.read_text(encoding="utf-8")
    after = text_of(with_measured(json.loads(before)))
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before
