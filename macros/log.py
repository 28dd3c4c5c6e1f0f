"""One logger for the project: the mkdocs plugin logger, so `mkdocs build --strict` counts warnings."""
from __future__ import annotations

import logging
import sys

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("smallest-go")


def to_terminal(level: int = logging.INFO) -> None:
    """For `python -m macros`: print mkdocs' log lines as mkdocs itself would."""
    root = logging.getLogger("mkdocs")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
