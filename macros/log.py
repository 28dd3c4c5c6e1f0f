"""One logger for the project: the mkdocs plugin logger, so `mkdocs build --strict` counts warnings."""
from __future__ import annotations

import logging
import sys
from typing import Any


class _PluginLogger:
    """mkdocs' plugin logger, made at first use: the warm check's process (warm.py) then never
    imports mkdocs, whose import is a tenth of that process's time."""

    _made: Any = None

    def __getattr__(self, name: str) -> Any:
        if _PluginLogger._made is None:
            from mkdocs.plugins import get_plugin_logger

            _PluginLogger._made = get_plugin_logger("smallest-go")
        return getattr(_PluginLogger._made, name)


log: Any = _PluginLogger()


def to_terminal(level: int = logging.INFO) -> None:
    """For `python -m macros`: print mkdocs' log lines as mkdocs itself would."""
    root = logging.getLogger("mkdocs")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
