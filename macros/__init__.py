"""The mkdocs-macros module: measure every variant once per build and expose the numbers as macros.

Importing this package is cheap; the work happens in `define_env`, which mkdocs-macros calls once
per build (on every rebuild under `mkdocs serve`). The macros themselves are in page_macros.py.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

from . import render
from .errors import ProjectError
from .log import log
from .settings import Settings, serving

_SESSION = "smallest_go_session"
_BAD_CALLS = "smallest_go_bad_calls"


def define_env(env: Any) -> None:
    from . import interrupt, page_macros
    from .session import measure_all

    interrupt.install()
    settings = Settings.read(serving=serving())
    try:
        session = measure_all(settings)
    except ProjectError as exc:
        # The one place a project error becomes a failed build: a message, no traceback.
        raise PluginError(str(exc)) from None
    env.variables[_SESSION] = session
    bad_calls: list[str] = []
    env.variables[_BAD_CALLS] = bad_calls

    def page() -> page_macros.Page:
        return page_macros.Page(session=session, url=env.page.url if env.page is not None else "",
                                directory_urls=env.conf["use_directory_urls"], docs_dir=Path(env.conf["docs_dir"]),
                                charts_cache=settings.cache_dir / "charts")

    def registered(name: str, fn: Callable[..., str], block: bool) -> Callable[..., str]:
        """A macro bound to the page being rendered. A failed variant renders as an error box
        (block) or a marker (inline). A call naming something that does not exist is noted, shown
        on the page, and fails the build once the page is rendered (see on_post_page_macros):
        mkdocs-macros would otherwise print a traceback."""
        signature = inspect.signature(fn)
        takes = [p for p in signature.parameters if p != "page"]

        @functools.wraps(fn)
        def macro(*args: Any, **kwargs: Any) -> str:
            try:
                try:
                    signature.bind(None, *args, **kwargs)
                except TypeError as exc:
                    raise page_macros.BadCall(f"{exc} (it takes {name}({', '.join(takes)}))") from None
                return fn(page(), *args, **kwargs)
            except page_macros.VariantFailed as failed:
                return render.error_box(failed.variant_id, failed.message) if block \
                    else render.error_marker(failed.variant_id)
            except page_macros.BadCall as bad:
                where = env.page.file.src_uri if env.page is not None else "a page"
                message = f"{where}: {name}({', '.join(map(repr, args))}): {bad}"
                bad_calls.append(message)
                if settings.serving:  # a build stops on it after this page, and says it there
                    log.error(message)
                return render.error_box(name, message) if block else render.error_marker(name)
        return macro

    for name, (fn, block) in page_macros.MACROS.items():
        env.macro(registered(name, fn, block), name)


def on_post_page_macros(env: Any) -> None:
    """After each page's macros: a call that named nothing fails the build here, where
    mkdocs-macros lets the error through as it is (under `mkdocs serve` the page shows it)."""
    bad_calls = env.variables.get(_BAD_CALLS)
    if bad_calls and not serving():
        count = len(bad_calls)
        raise PluginError(f"{count} macro call{'s' if count > 1 else ''} in the pages cannot be answered:\n  "
                          + "\n  ".join(bad_calls)
                          + "\n  --> Use a variant id from dockerfiles/variants.yml, or a base the Dockerfiles name.")


def on_post_build(env: Any) -> None:
    """Write results.json beside the pages, from the same session the pages were made from."""
    from .page_macros import RESULTS_JSON

    session = env.variables.get(_SESSION)
    if session is None:
        return
    target = Path(env.conf["site_dir"]) / RESULTS_JSON
    session.write_json(target)
    log.info(f"wrote {target}")
