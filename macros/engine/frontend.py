"""The Dockerfile frontend a `# syntax=` line asks for, and the text the engine's built-in one reads."""
from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import BuildError

# A `# syntax=` parser directive names a Dockerfile frontend image to fetch. The engine's BuildKit
# has the docker/dockerfile:1 frontend built in, so that one (and its 1.x and -labs tags) is served
# by the engine on every machine alike; any other cannot be fetched offline, and is refused. The
# built-in one knows its own BuildKit's stable syntax only: a -labs tag's extra flags (COPY --exclude,
# --parents) and a newer release's are unknown to it, and a Dockerfile using them is refused.
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_BUILT_IN = re.compile(r"^(?:docker\.io/)?docker/dockerfile:1(?:\.\d+){0,2}(?:-labs)?(?:@sha256:[0-9a-f]{64})?$")


class Served(NamedTuple):
    text: str  # the Dockerfile the engine's built-in frontend reads
    line: str  # its syntax line, as "line 1 `# syntax=...`" ("" when it has none)

    @property
    def note(self) -> str:
        """What the build log says of the syntax line ("" when there is none)."""
        return f"note: {self.line} is served by the engine's built-in Dockerfile frontend, not fetched" \
            if self.line else ""


def frontend(text: str, what: str) -> Served:
    """The Dockerfile for the engine's built-in frontend, and its syntax line if it has one.
    Directives are read only at the top, until the first other line."""
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        if match.group(1).lower() != "syntax":
            continue
        ref = match.group(2)
        if not _BUILT_IN.match(ref):
            raise BuildError(
                f"{what}: line {number} `{line.strip()}` names a Dockerfile frontend image ({ref}) to fetch from a "
                "registry; builds here use the engine's built-in frontend, which serves docker/dockerfile:1 only",
                hint="Remove the line, or write `# syntax=docker/dockerfile:1`.")
        # the line leaves the directives; an empty comment after them keeps every line's number
        end = next((i for i, rest in enumerate(lines) if i >= number and not _DIRECTIVE.match(rest.strip())),
                   len(lines))
        kept = lines[:number - 1] + lines[number:end] + ["#"] + lines[end:]
        return Served("\n".join(kept), f"line {number} `{line.strip()}`")
    return Served(text, "")
