"""The mkdocs-macros module: measure every variant once per build and expose the numbers as macros.

Importing this package is cheap; the work happens in `define_env`, which mkdocs-macros calls once
per build (on every rebuild under `mkdocs serve`). It makes the build's one State (pages/state.py)
and registers every macro of pages/page_macros.py's MACROS, which gathers those of the other
`*_macros.py` modules in pages/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


def define_env(env: Any) -> None:
    from .errors import ProjectError
    from .measure import interrupt
    from .measure.doc_build import measure_all
    from .model.settings import Settings
    from .pages import page_macros, state

    interrupt.install()
    ours = env.conf["plugins"].get(state.PLUGIN)
    try:  # the environment's settings too: a bad value is one message, like any other fault of ours
        settings = Settings.read(serving=getattr(ours, "command", "build") == "serve")
        built = state.State(settings=settings, session=measure_all(settings))
    except ProjectError as exc:
        state.failed(exc)
    env.variables[state.VARIABLE] = built
    for name, (fn, block) in page_macros.MACROS.items():
        env.macro(built.bound(env, name, fn, block), name)


def on_post_page_macros(env: Any) -> None:
    from .pages import state

    built = env.variables.get(state.VARIABLE)
    if built is not None:
        built.fail_on_bad_calls()


def on_post_build(env: Any) -> None:
    """Write results.json and results.csv beside the pages, from the session the pages were made from."""
    from .log import log
    from .pages import page_macros, state

    built = env.variables.get(state.VARIABLE)
    if built is None:
        return
    site = Path(env.conf["site_dir"])
    built.session.write_json(site / page_macros.RESULTS_JSON)
    built.session.write_csv(site / page_macros.RESULTS_CSV)
    log.info(f"wrote {site / page_macros.RESULTS_JSON} and {page_macros.RESULTS_CSV}")
