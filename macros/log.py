"""One logger for the project, under mkdocs' plugin loggers, so `mkdocs build --strict` counts its
warnings; made with the standard library alone, so the measuring code never imports mkdocs."""
from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

NAME = "smallest-go"


class _Prefixed(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Each line starts with "smallest-go: ", as mkdocs' own plugin loggers prefix theirs."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"{NAME}: {msg}", kwargs


# mkdocs counts the warnings of every logger under "mkdocs" (get_plugin_logger uses this name).
log = _Prefixed(logging.getLogger(f"mkdocs.plugins.{NAME}"), {})


def to_terminal(level: int = logging.INFO) -> None:
    """For `python -m macros`: print mkdocs' log lines as mkdocs itself would."""
    root = logging.getLogger("mkdocs")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
