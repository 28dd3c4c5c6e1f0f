"""The variants file's JSON Schema: every key a variant may have, and what each holds."""
from __future__ import annotations

from typing import Any

from .parts import PARTS

# Each pattern with its `description`: what a value must be, in the words an error message uses
# in place of the pattern itself (variants.py).
_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]{0,62}$",
       "description": "an id: lower-case letters, digits, dots and hyphens, starting with a letter or a digit, "
                      "at most 63 characters (such as \"scratch-2026\")"}
_MATRIX_ITEM = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$",
                "description": "a matrix value: letters, digits, dots, underscores and hyphens, starting with a "
                               "letter or a digit, at most 31 characters (such as \"1.27\")"}
_BUILD_ARGS = {"type": "object", "additionalProperties": {"type": "string"}}
_TOLERANCE = {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?%|[0-9]+(\\.[0-9]+)?(B|kB|MB|GB))$",
              "description": "a share of the size, such as \"2%\", or a size as docker prints it, in B, kB, MB or GB "
                             "(\"50kB\")"}
# Where a variant stands in the article, in reading order: part one changes the base image, part
# two the binary, and the floor is the reference that is not Go at all; the release sweep is a
# section of its own ("Then and now"), with its own table.
VARIANTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["variants"],
    "additionalProperties": False,
    "properties": {
        "variants": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "description", "expect"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "title": {"type": "string", "minLength": 1},
                    "description": {"type": "string", "minLength": 1},
                    "dockerfile": {"type": "string", "minLength": 1},
                    "context": {"type": "string", "minLength": 1},
                    "build_args": _BUILD_ARGS,
                    "binary": {"type": "string", "pattern": "^(/.*)?$",
                               "description": "an absolute path in the image, or \"\" for no binary to measure"},
                    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
                    "build_timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 7200},
                    "build_memory_mib": {"type": "integer", "minimum": 6, "maximum": 65536},
                    "article_2022": {"type": "string"},
                    # how much the image may grow since the last recorded build before
                    # `python -m macros guard` fails: a share ("2%") or a size ("50kB", as docker prints sizes)
                    "tolerance": _TOLERANCE,
                    "part": {"enum": list(PARTS)},
                    # the year of the bases it is built on ("2022": the article's; "2026": today's)
                    "edition": {"type": "string", "pattern": "^[0-9]{4}$", "description": "a year, such as \"2026\""},
                    # the id of an earlier edition's variant that this one builds again on newer bases
                    "redoes": _ID,
                    # the id of the variant this one changes one thing of: the pages explain the
                    # change by the two images' diff (in a matrix entry: another matrix entry, the
                    # variant of the same value)
                    "against": _ID,
                    # one build argument and its values: one variant per value, id "<id>-<value>",
                    # "{NAME}" in the title and description replaced by the value; a value may
                    # bring build arguments of its own ({value: "1.19", build_args: {SUITE: bookworm}})
                    "matrix": {"type": "object", "minProperties": 1, "maxProperties": 1,
                               "additionalProperties": {"type": "array", "minItems": 1, "uniqueItems": True,
                                                        "items": {"oneOf": [_MATRIX_ITEM, {
                                                            "type": "object", "required": ["value"],
                                                            "additionalProperties": False,
                                                            "properties": {"value": _MATRIX_ITEM,
                                                                           "build_args": _BUILD_ARGS}}]}}},
                    "expect": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "exit_code": {"type": "integer"},
                            "stdout": {"type": "string"},
                            "stderr": {"type": "string"},
                            "fails_with": {"type": "string", "minLength": 1},
                        },
                        "oneOf": [
                            {"required": ["exit_code"], "not": {"required": ["fails_with"]}},
                            {"required": ["fails_with"],
                             "not": {"anyOf": [{"required": ["exit_code"]}, {"required": ["stdout"]},
                                               {"required": ["stderr"]}]}},
                        ],
                    },
                },
            },
        },
    },
}


