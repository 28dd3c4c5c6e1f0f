"""An mkdocs hook (see `hooks:` in mkdocs.yml): tell the macros which command mkdocs runs.

Hooks live outside macros/: mkdocs puts a hook's folder first on sys.path while loading it, and
macros/ has modules whose names would hide libraries (dockerfile.py hides `dockerfile`).

mkdocs says it to plugins and hooks with `on_startup(command=...)`; reading `sys.argv` instead
would take `mkdocs -v serve` for a build. Under `serve` a failed variant shows an error box on
its page instead of failing the whole build.
"""
from __future__ import annotations

from typing import Literal

from macros import settings


def on_startup(*, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
    settings.mkdocs_command(command)
