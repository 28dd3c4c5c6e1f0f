"""An mkdocs hook (see `hooks:` in mkdocs.yml): one detail page per variant, with nothing in docs/.

A contributor adds a Dockerfile and an entry to the variants file; this adds the page
`variants/<id>.md` (its whole text is one macro call, which mkdocs-macros renders from the
measured Result), an overview page, and a "Variants" section in the navigation. A page of that
name written by hand in docs/ wins over the generated one.
"""
from __future__ import annotations

import html
import json
from typing import Any, NamedTuple

import macros
from macros import detail
from macros.errors import ProjectError
from macros.parts import PARTS
from macros.settings import Settings
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

SECTION = "Variants"
OVERVIEW = f"{detail.FOLDER}/index.md"
OVERVIEW_TEXT = """---
hide:
  - navigation
---

# Every variant

Each variant the doc build measured, grouped by the part of the article it belongs to and largest
first. Every row links to the variant's own page: its Dockerfile, the verified output, its sizes
and start-up times, its layers and where its base images came from. A variant added to
`dockerfiles/variants.yml` appears here, with its page, on the next build.

{{ results_table() }}

## The release sweep

The same program built by each Go release the project can obtain, as described in
[Then and now](../releases.md).

{{ results_table("releases") }}
"""


class _Listed(NamedTuple):  # a NamedTuple: see Layer in macros/results.py
    id: str
    title: str
    part: str


_loaded: list[list[_Listed]] = []  # this build's variants: read in on_config, used in on_files


def _declared() -> list[_Listed]:
    if _loaded:
        return _loaded[0]
    session = macros.shown()
    if session is not None and not session.failures:  # every declared variant has a result, in file order
        listed = [_Listed(r.id, r.title, r.part) for r in session.results]
    else:  # some failed (`mkdocs serve`), or the hook runs without the macros plugin: read the file
        from macros import variants  # Docker's parser and the schema: only when needed

        settings = Settings.read()
        try:
            listed = [_Listed(v.id, v.title, v.part)
                      for v in variants.load(settings.variants_file, memo=settings.schema_memo)]
        except ProjectError as exc:  # the macros plugin reports it first; this is for a hook run alone
            raise PluginError(str(exc)) from None
    order = list(PARTS)
    _loaded.append(sorted(listed, key=lambda v: order.index(v.part)))  # stable: file order within a part
    return _loaded[0]


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    """Add the section to an explicit navigation (without one, mkdocs lists every page anyway)."""
    _loaded.clear()  # a new build (`mkdocs serve` rebuilds in one process): read the file again
    if config.nav is not None and not any(isinstance(item, dict) and SECTION in item for item in config.nav):
        pages: list[Any] = [{"All variants": OVERVIEW}]
        pages += [{_title(v.title): detail.page_path(v.id)} for v in _declared()]
        at = next((i for i, item in enumerate(config.nav) if isinstance(item, dict) and "Methodology" in item),
                  len(config.nav))
        config.nav.insert(at, {SECTION: pages})
    return config


def _title(text: str) -> str:
    """A title as the theme and mkdocs-macros will take it: HTML-escaped (the templates print
    titles as they are) and with its braces as character references (mkdocs-macros renders a
    title holding `{{` or `{%` as a template)."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def _page_text(v: _Listed) -> str:
    """Front matter with the title for the browser tab (Material writes `page.meta.title` into
    <title> as it is, but runs other titles through `striptags`, which unescapes them), then the
    one macro call that renders the page."""
    return f'---\ntitle: {json.dumps(_title(v.title))}\n---\n\n{{{{ variant_detail("{v.id}") }}}}\n'


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    wanted = {OVERVIEW: OVERVIEW_TEXT}
    wanted |= {detail.page_path(v.id): _page_text(v) for v in _declared()}
    for src_uri, text in wanted.items():
        if files.get_file_from_path(src_uri) is None:
            files.append(File.generated(config, src_uri, content=text))
    return files
