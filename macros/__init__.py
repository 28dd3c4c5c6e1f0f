"""The mkdocs-macros module: measure every variant once per build and expose the numbers as macros.

Importing this package is cheap; the work happens in `define_env`, which mkdocs-macros calls once
per build (on every rebuild under `mkdocs serve`). The macros themselves are in page_macros.py.
When no input changed since the last complete build, its session is shown and checked beside the
build (warm.py); `settle`, called before any page is written, takes that check's answer.
"""
from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import warm
from .errors import ProjectError
from .log import log
from .settings import Settings, serving

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    from .measured import Session

_SESSION = "smallest_go_session"
_BAD_CALLS = "smallest_go_bad_calls"


@dataclass
class _Pending:
    """A warm build's check, running beside it, and what to measure with if it finds a change."""
    check: warm.Check
    settings: Settings


_pending: list[_Pending] = []  # at most one: this build's
_envs: list[Any] = []  # the mkdocs-macros plugin of this build, whose variables hold the session the macros read


def _measured(settings: Settings) -> Session:
    from mkdocs.exceptions import PluginError

    from .session import measure_all

    try:
        return measure_all(settings)
    except ProjectError as exc:
        # The one place a project error becomes a failed build: a message, no traceback.
        raise PluginError(str(exc)) from None


def define_env(env: Any) -> None:
    # Imported here, not above: `python -m macros` (the warm check among its commands) needs none.
    import inspect

    from . import interrupt, page_macros, render

    interrupt.install()
    _drop_pending()  # a check left by an earlier build that failed (`mkdocs serve` builds again)
    settings = Settings.read(serving=serving())
    started = time.monotonic()
    # Without the hook that takes the check's answer before pages are written, no warm path.
    hooked = any(Path(path).name == "warm_check.py" for path in env.conf.get("hooks") or {})
    session = warm.stamped(settings) if hooked else None
    if session is None:
        session = _measured(settings)
    else:
        _pending.append(_Pending(warm.Check.start(), settings))
        session = replace(session, seconds=time.monotonic() - started, warm_check="pending",
                          generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        log.info(f"{len(session.results)} variants as the last complete build measured them: no input "
                 "changed since; the engine is being asked beside this build")
    env.variables[_SESSION] = session
    _envs[:] = [env]
    bad_calls: list[str] = []
    env.variables[_BAD_CALLS] = bad_calls

    made: list[page_macros.Page] = []  # the last one: a page calls several macros in a row

    def page() -> page_macros.Page:
        session, url = env.variables[_SESSION], env.page.url if env.page is not None else ""
        if not made or made[0].session is not session or made[0].url != url:
            made[:] = [page_macros.Page(session=session, url=url, directory_urls=env.conf["use_directory_urls"],
                                        docs_dir=Path(env.conf["docs_dir"]),
                                        charts_cache=settings.cache_dir / "charts")]
        return made[0]

    def registered(name: str, fn: Callable[..., str], block: bool) -> Callable[..., str]:
        """A macro bound to the page being rendered. A failed variant renders as an error box
        (block) or a marker (inline). A call naming something that does not exist is noted, shown
        on the page, and fails the build once the page is rendered (see on_post_page_macros):
        mkdocs-macros would otherwise print a traceback."""

        @functools.wraps(fn)
        def macro(*args: Any, **kwargs: Any) -> str:
            try:
                try:
                    return fn(page(), *args, **kwargs)
                except TypeError:
                    # Binding only now (binding every call costs more than the call): a call that
                    # does not fit the macro is the page's fault; one that fits, a fault in ours.
                    signature = inspect.signature(fn)
                    try:
                        signature.bind(None, *args, **kwargs)
                    except TypeError as exc:
                        takes = ", ".join(p for p in signature.parameters if p != "page")
                        raise page_macros.BadCall(f"{exc} (it takes {name}({takes}))") from None
                    raise
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


def settle(config: MkDocsConfig, files: Files) -> None:
    """Before any page is written (hooks/warm_check.py, `on_env`): take the warm check's answer.
    If the stamped session no longer holds, measure the full way and make every page again."""
    if not _pending:
        return
    pending = _pending.pop()
    waiting = time.monotonic()
    outcome = pending.check.outcome()
    waited = time.monotonic() - waiting
    variables = _envs[-1].variables
    if outcome == warm.HELD:
        variables[_SESSION] = replace(variables[_SESSION], warm_check=outcome, warm_wait_s=waited)
        log.info(f"the engine confirmed every result (checked beside the build, which waited "
                 f"{waited * 1000:.0f} ms for the answer)")
        return
    log.info(f"{outcome}: measuring again, then making the pages again")
    variables[_SESSION] = replace(_measured(pending.settings), warm_check=outcome, warm_wait_s=waited)
    from mkdocs.commands.build import _populate_page  # what `mkdocs build` does to each page first

    for file in files.documentation_pages():
        if file.page is not None:
            _populate_page(file.page, config, files)


def shown() -> Session | None:
    """The session this build's pages are made from, once define_env has run (hooks read it)."""
    return _envs[-1].variables.get(_SESSION) if _envs else None


def _drop_pending() -> None:
    while _pending:
        _pending.pop().check.cancel()


def on_post_page_macros(env: Any) -> None:
    """After each page's macros: a call that named nothing fails the build here, where
    mkdocs-macros lets the error through as it is (under `mkdocs serve` the page shows it)."""
    from mkdocs.exceptions import PluginError

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
