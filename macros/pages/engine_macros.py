"""Macros about the engine that measured: its facts, what its own image store reports beside the
sizes counted from the layers, and the last comparison of the same images on other engines
(docs/data/engines.json, written by `python -m macros engines`)."""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..model import engines
from ..model.files import read_json
from ..model.words import counted
from . import render
from .markup import digest, moment

if TYPE_CHECKING:
    from .page import Page

STORES = {"classic": "the engine's own (a storage driver keeps the unpacked layers)",
          "containerd": "containerd (content store and snapshots)"}


def store_sizes(page: Page) -> str:
    """What this engine's own figure for an image is, against the size counted from the layers."""
    e = page.session.engine
    figures = [(r.variant.title, r.measured.store_bytes, r.measured.size_bytes) for r in page.session.results]
    figures += [(b.reference, b.store_bytes, b.size_bytes) for b in page.session.bases]
    differ = [(name, store - size) for name, store, size in figures if store != size]
    everything = f"all {len(figures)} images" if len(figures) > 2 else ("both images" if len(figures) == 2 else
                                                                        "the one image")
    if e.counts_like_overlay2:
        said = (f"This build's engine keeps images with overlay2, and the build checked its figure against "
                f"the layers' files, counted the way overlay2 counts them: they agreed, to the byte, for {everything}.")
        if not differ:
            return said + " No layer held a file copied up unchanged, so that figure is the size for each of them."
        extra = sorted(d for _, d in differ)
        amount = f"{extra[0]:,} bytes" if extra[0] == extra[-1] else f"{extra[0]:,} to {extra[-1]:,} bytes"
        return (f"{said} For {counted(len(differ), 'image')} it is larger than the size, by the files copied up "
                f"unchanged ({amount}), which the size leaves out; the variant pages show both figures.")
    if not differ:
        return f"This build's engine ({e.storage_driver}) reported the same figure as the size for {everything}."
    largest = max(page.session.results, key=lambda r: r.measured.size_bytes, default=None)
    example = (f" For {largest.variant.title}, it reports {largest.measured.store_bytes:,} bytes against "
               f"{largest.measured.size_bytes:,} bytes of files." if largest else "")
    return (f"This build's engine keeps images in {STORES.get(e.image_store, e.image_store)}, whose own figure "
            f"differs for {len(differ)} of {len(figures)} images, so the tables show it beside the size.{example}")


def engine_table(page: Page) -> str:
    e, r = page.session.engine, page.session.registry
    return render.facts_table([
        ("Docker Engine", e.version), ("Engine API", e.api_version), ("Storage driver", e.storage_driver),
        ("Image store", STORES.get(e.image_store, e.image_store or "?")),
        ("Engine OS", e.os), ("Architecture", e.arch),
        ("Images built for", f"{e.platform} (under emulation)" if e.emulated else e.platform), ("Kernel", e.kernel),
        ("Cgroups (driver, version)", f"{e.cgroup_driver or '?'}, v{e.cgroup_version or '?'}"),
        ("Builder of the images shown", f"BuildKit {e.buildkit or '?'} (as the engine's builder said), "
                                        f"through buildx {e.buildx or '?'}"),
        ("Registry (distribution)", f"{r.version} at {r.address}"), ("Registry image", digest(r.image_id)),
        ("Facts read at", moment(page.session.generated_at)),
    ])


# An official image's sizes differ by platform; repo-info prints them per platform.
PER_PLATFORM = "https://github.com/docker-library/repo-info/blob/master/repos/golang/remote/1.27-trixie.md"


def built_for(page: Page) -> str:
    """The platform every image is built for, and whether this engine had to emulate it."""
    e = page.session.engine
    said = (f"Every image here, the bases included, is built for `{e.platform}`, whatever the engine's own "
            "architecture, because an image's size depends on its platform: [repo-info]"
            f"({PER_PLATFORM}) lists a different size of golang:1.27-trixie for each platform it is published for.")
    if e.emulated:
        return (f"{said} This engine is `{e.arch}`: it ran the build steps and the programs under emulation, so "
                f"the sizes are those of `{e.platform}`, and the times and peak memory are the emulator's.")
    return f"{said} This engine is `{e.arch}` too, so nothing ran under emulation."


def emulated(page: Page) -> str:
    """A sentence beside the figures that are times (each results table, each variant's sizes and
    times, part two's packing costs), when this engine ran the images under emulation; nothing
    otherwise."""
    e = page.session.engine
    if not e.emulated:
        return ""
    return (f"The engine that measured these figures runs on `{e.arch}` and ran the `{e.platform}` images "
            "under emulation: the sizes are the platform's, but the start-up times and peak memory are the "
            "emulator's, not what a native engine shows.")


def _engine_name(e: dict[str, Any]) -> str:
    store = "containerd image store" if e.get("image_store") == "containerd" else e.get("storage_driver", "?")
    return f"Docker {e.get('version', '?')} ({e.get('os', '?')}), {store}"


def engines_compared(page: Page) -> str:
    """The last comparison with other engines: a sentence, then one row per engine, every figure
    from the recorded comparison."""
    data = read_json(page.settings.engines_file)
    if not isinstance(data, dict) or not data.get("comparisons"):
        return "No comparison with another engine is recorded yet."
    try:
        compared = [engines.Comparison.from_dict(c) for c in data["comparisons"]]
    except (KeyError, TypeError) as exc:
        return f"*{html.escape(page.settings.engines_file.name)} is not readable ({html.escape(str(exc))}).*"
    head = ("Measured on", "Against", "Images", "Same size", "Largest transfer difference", "Transfers close",
            "Its own figure")
    rows = []
    for c in compared:
        differs = sum(r.other_store is not None and r.other_store != r.other_size for r in c.rows)
        rows.append((_engine_name(c.other_engine), _engine_name(c.engine), f"{len(c.rows)}",
                     f"{c.sizes_equal} of {len(c.rows)}",
                     c.farthest_transfer_said(),
                     f"{sum(r.transfer_close for r in c.rows)} of {len(c.rows)}",
                     f"differs for {differs}" if differs else "the same"))
    agree = all(not c.problems() for c in compared)
    when = str(data.get("compared_at", "?"))[:10]
    widest = max(compared, key=lambda c: len(c.rows))
    bases = sum(r.base for r in widest.rows)
    said = (f"The sizes should be equal to the byte, and the transfers within {engines.ALLOWED}: each "
            f"engine compresses with its own gzip and writes its own config. On {when}, for "
            f"{counted(len(widest.rows) - bases, 'variant')} and {counted(bases, 'base image')}, "
            f"{'they were' if agree else 'they were not'}:")
    apart = [f"<li>{html.escape(_engine_name(c.other_engine))}: " + "; ".join(
        f"{html.escape(r.image)}, {r.size:,} bytes of files and {r.transfer or 0:,} of transfer here, "
        f"{r.other_size:,} and {r.other_transfer or 0:,} there"
        for r in c.rows if r.size != r.other_size or not r.transfer_close) + "</li>"
        for c in compared if c.problems()]
    listed = f"\n\nThe images that differ:\n\n<ul>{''.join(apart)}</ul>" if apart else ""
    return said + "\n\n" + render.table(head, rows, numeric={2, 3, 4, 5}) + listed


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, False) for fn in (engine_table, built_for, emulated, store_sizes, engines_compared)
}
