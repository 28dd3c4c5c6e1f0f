"""An mkdocs hook (see `hooks:` in mkdocs.yml): take a warm build's engine check before any page
is written.

`on_env` is the last event after every page's Markdown is rendered and before the first page is
written. A warm build (macros/warm.py) rendered the pages from the last complete build's session
while another process asked the engine whether it still holds; here the build waits for that
answer, and if anything changed, measures and renders the pages again.
"""
from __future__ import annotations

from typing import Any

import macros
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    macros.settle(config, files)
    return env
