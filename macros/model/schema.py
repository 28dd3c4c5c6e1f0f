"""Reading the project's YAML files, and JSON Schema validation with a memo: a file whose exact
bytes already passed this exact schema is not validated again. jsonschema is only imported when
something new must be checked, which keeps its import off the warm rebuild."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import jsonschema

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: several times faster


def load_yaml(raw: bytes) -> Any:
    """Safe YAML parsing (raises yaml.YAMLError on bad input)."""
    return yaml.load(raw, Loader=_LOADER)


def first_error(schema: dict[str, Any], data: Any, *, raw: bytes,
                memo: Path | None = None) -> jsonschema.ValidationError | None:
    """None when `data` (parsed from `raw`) satisfies `schema`; otherwise the error to report,
    preferring an unknown key (a misspelt key also makes a required one look missing). With a
    `memo` folder, bytes that passed once are not checked again."""
    marker = memo / hashlib.sha256(json.dumps(schema, sort_keys=True).encode() + raw).hexdigest() if memo else None
    if marker is not None and marker.exists():
        return None
    import jsonschema

    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if not errors:
        try:
            if marker is not None:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()
        except OSError:
            pass  # only a memo: without it the next build validates again
        return None
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    return unknown[0] if unknown else jsonschema.exceptions.best_match(errors)
