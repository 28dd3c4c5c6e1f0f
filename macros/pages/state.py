"""The one state object of a doc build, the macros bound to it, and the one route by which a
project error becomes an mkdocs error.

`define_env` (macros/__init__.py) makes a `State` once per build (once per rebuild under `mkdocs
serve`) and keeps it in the macros plugin's variables; the macros and the smallest-go plugin
(plugin.py) read it from there. Nothing is kept in module globals.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from mkdocs.exceptions import PluginError

from ..errors import PageError, ProjectError, VariantFailed
from ..log import log
from ..model.session import Session
from ..model.settings import Settings
from ..model.words import counted
from . import page_macros, render

VARIABLE = "smallest_go"  # the name of the State in the macros plugin's variables
PLUGIN = "smallest-go"    # our plugin's name in mkdocs.yml (plugin.py)
MACROS_PLUGIN = "macros"


def failed(exc: ProjectError) -> NoReturn:
    """The one place a project error becomes a failed mkdocs build: its message, no traceback."""
    raise PluginError(str(exc)) from None


@dataclass
class State:
    settings: Settings     # read once, in define_env; `settings.serving`: mkdocs serves, not builds
    session: Session       # what this build measured (or reused)
    bad_calls: list[str] = field(default_factory=list)  # macro calls the pages made that name nothing

    def __repr__(self) -> str:
        # mkdocs-macros prints every variable at debug level (`mkdocs -v`): a line, not the session
        return f"State({len(self.session.results)} variants measured or reused, {len(self.session.failures)} failed)"

    def page(self, env: Any) -> page_macros.Page:
        """The page being rendered, as the macros see it."""
        return page_macros.Page(session=self.session, settings=self.settings,
                                url=env.page.url if env.page is not None else "",
                                directory_urls=env.conf["use_directory_urls"], docs_dir=Path(env.conf["docs_dir"]))

    def bound(self, env: Any, name: str, fn: Callable[..., str], block: bool) -> Callable[..., str]:
        """A macro bound to the page being rendered. A failed variant renders as an error box
        (block) or a marker (inline). A call naming something that does not exist is noted, shown
        on the page, and fails the build once the page is rendered (see `check_calls`)."""

        @functools.wraps(fn)
        def macro(*args: Any, **kwargs: Any) -> str:
            try:
                return _called(fn, name, self.page(env), args, kwargs)
            except VariantFailed as exc:
                return render.error_box(exc.variant_id, exc.message) if block else render.error_marker(exc.variant_id)
            except PageError as exc:
                where = env.page.file.src_uri if env.page is not None else "a page"
                message = f"{where}: {name}({', '.join(map(repr, args))}): {exc.message}"
                self.bad_calls.append(f"{message}\n    --> {exc.hint}" if exc.hint else message)
                if self.settings.serving:  # a build stops on it after this page, and says it there
                    log.error(message)
                return render.error_box(name, message) if block else render.error_marker(name)
        return macro

    def fail_on_bad_calls(self) -> None:
        """After each page's macros: a call that named nothing fails the build (not under serve,
        where the page shows it)."""
        if self.bad_calls and not self.settings.serving:
            failed(PageError(f"{counted(len(self.bad_calls), 'macro call')} in the pages cannot be answered:\n  "
                             + "\n  ".join(self.bad_calls),
                             hint="Fix each call in its page, as its message says."))


def _called(fn: Callable[..., str], name: str, page: page_macros.Page, args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> str:
    try:
        return fn(page, *args, **kwargs)
    except TypeError:
        # Binding only now (binding every call costs more than the call): a call that does not fit
        # the macro is the page's fault; one that fits, a fault in ours.
        signature = inspect.signature(fn)
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            takes = ", ".join(p for p in signature.parameters if p != "page")
            raise PageError(f"{exc} (it takes {name}({takes}))") from None
        raise


def of(plugins: Any) -> State:
    """This build's State, from mkdocs' plugin collection (for our plugin's events)."""
    macros = plugins.get(MACROS_PLUGIN)
    state = macros.variables.get(VARIABLE) if macros is not None else None
    if not isinstance(state, State):
        failed(ProjectError(f"the {PLUGIN} plugin found no measurements to show",
                            hint=f"List `{MACROS_PLUGIN}` (with module_name: macros) before `{PLUGIN}` under "
                            "`plugins:` in mkdocs.yml."))
    return state
