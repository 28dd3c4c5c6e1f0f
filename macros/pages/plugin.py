"""The smallest-go mkdocs plugin (`plugins: [..., macros, smallest-go]` in mkdocs.yml).

It does three things mkdocs-macros cannot: it hears which command mkdocs runs (`on_startup`; under
`serve` a failed variant shows an error box on its page instead of failing the build), and it
adds one detail page per variant (with its build log and run output as files beside it), an
overview page and a "Variants" section in the navigation, with nothing in docs/; the navigation's
"The article" section comes from the chapters declared in model/parts.py. A contributor
adds a Dockerfile and an entry to the variants file; the page `variants/<id>.md` appears, its
whole text one macro call. A page of that name written by hand in docs/ wins over the generated
one.

A plugin, not a hook: the command must outlive the event that tells it, and a plugin instance
holds it where a hook module would need a module global. The variants come from the build's
State (state.py), which the macros plugin made first.
"""
from __future__ import annotations

import html
import json
from typing import Any, Literal

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from ..model.parts import CHAPTERS, PARTS
from . import detail, state

ARTICLE, SECTION = "The article", "Variants"  # the navigation sections it adds
OVERVIEW = f"{detail.FOLDER}/index.md"
OVERVIEW_HEAD = """---
hide:
  - navigation
---

# Every variant

Each variant the doc build measured, grouped by the part of the article it belongs to and largest
first. Every row links to the variant's own page: its Dockerfile, the verified output, its sizes
and start-up times, its layers and where its base images came from. A variant added to
`dockerfiles/variants.yml` appears here, with its page, on the next build.

{{ results_table() }}
"""


def overview_text() -> str:
    """The overview page: the staircase's parts in one table, then a section per other part, each
    introduced by its declared sentence and linked to its chapter (model/parts.py)."""
    sections = [OVERVIEW_HEAD]
    for part_id, part in PARTS.items():
        if not part.staircase:
            sections.append(f"## {part.title}\n\n{part.about} [Its chapter](../{part.chapter}) tells the whole "
                            f"story.\n\n{{{{ results_table({json.dumps(part_id)}) }}}}\n")
    return "\n".join(sections)


def title_text(text: str) -> str:
    """A title as the theme and mkdocs-macros will take it: HTML-escaped (the templates print
    titles as they are) and with its braces as character references (mkdocs-macros renders a
    title holding `{{` or `{%` as a template)."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def page_text(variant_id: str, title: str) -> str:
    """Front matter with the title for the browser tab (Material writes `page.meta.title` into
    <title> as it is, but runs other titles through `striptags`, which unescapes them), then the
    one macro call that renders the page."""
    return f'---\ntitle: {json.dumps(title_text(title))}\n---\n\n{{{{ variant_detail("{variant_id}") }}}}\n'


class SmallestGoPlugin(BasePlugin):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.command = "build"

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.command = command

    def _listed(self, config: MkDocsConfig) -> list[tuple[str, str]]:
        """(id, title) of every declared variant, by part in reading order, file order within one."""
        return [(v.id, v.title) for v in self._declared(config)]

    def _declared(self, config: MkDocsConfig) -> list[Any]:
        order = list(PARTS)
        return sorted(state.of(config.plugins).session.declared, key=lambda v: order.index(v.part))

    def _grouped(self, config: MkDocsConfig) -> list[Any]:
        """The variants' pages in the navigation: a group per part (reading order), and within a
        part told in more than one edition, a group per edition (oldest first)."""
        groups: list[Any] = []
        for part_id, part in PARTS.items():
            mine = [v for v in self._declared(config) if v.part == part_id]
            editions = sorted({v.edition for v in mine})
            if not mine:
                continue
            if len(editions) == 1:
                groups.append({part.title: [{title_text(v.title): detail.page_path(v.id)} for v in mine]})
                continue
            groups.append({part.title: [
                {f"Edition {e}" if e else "Of no edition": [{title_text(v.title): detail.page_path(v.id)}
                                                            for v in mine if v.edition == e]} for e in editions]})
        return groups

    def on_config(self, config: MkDocsConfig, **_: Any) -> MkDocsConfig:
        """Add the article's chapters (model/parts.py) first and the variants' section before
        Methodology to an explicit navigation (without one, mkdocs lists every page anyway)."""
        nav = config.nav
        if nav is not None and not any(isinstance(item, dict) and ARTICLE in item for item in nav):
            nav.insert(0, {ARTICLE: [{title: page} for page, title in CHAPTERS.items()]})
        if nav is not None and not any(isinstance(item, dict) and SECTION in item for item in nav):
            pages: list[Any] = [{"All variants": OVERVIEW}, *self._grouped(config)]
            at = next((i for i, item in enumerate(nav) if isinstance(item, dict) and "Methodology" in item), len(nav))
            nav.insert(at, {SECTION: pages})
        return config

    def on_serve(self, server: Any, *, config: MkDocsConfig, **_: Any) -> Any:
        """Watch what the variants are built from, as the variants file declares it: each one's
        Dockerfile folder and build context, so that editing a contributor's program in a folder of
        its own rebuilds the pages. (Called once, after the first build: a context that a variant
        added while serving is watched from the next start.)"""
        for folder in sorted({str(path) for v in state.of(config.plugins).session.declared
                              for path in (v.dockerfile.parent, v.context)}):
            server.watch(folder)
        return server

    def on_files(self, files: Files, config: MkDocsConfig, **_: Any) -> Files:
        wanted = {OVERVIEW: overview_text()}
        wanted |= {detail.page_path(vid): page_text(vid, title) for vid, title in self._listed(config)}
        for result in state.of(config.plugins).session.results:  # the build log and run of each
            wanted |= detail.published_files(result)
        for src_uri, text in wanted.items():
            if files.get_file_from_path(src_uri) is None:
                files.append(File.generated(config, src_uri, content=text))
        return files
