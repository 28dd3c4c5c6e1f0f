"""The warm check (see warm.py): would a full build, now, show exactly the stamped session?

It asks everything the full path asks, in the same code, but read-only: the engine's facts, every
base (a base that is missing, or whose recipe changed, would be pulled or built: that is a
change), the registry's image and what is remembered of it, each variant's cache key from the
files as they are now, the cached result under that key, and that the variant's tag still names
the result's image. Runs as `python -m macros check-warm`, in its own process.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from . import session, variants, warm
from .cache import ResultCache
from .engine import connection, images
from .errors import WouldChange
from .settings import Settings
from .warm import HELD


def changed(settings: Settings) -> str:
    """HELD when the stamp is still the whole truth; otherwise the first difference found."""
    try:
        _, stamped = warm.load(settings)
    except FileNotFoundError:
        return f"there is no stamp in {settings.cache_dir}: no complete build has left one"
    except warm.UNREADABLE as exc:
        return f"the stamp in {settings.cache_dir} is unreadable ({type(exc).__name__})"
    declared = variants.load(settings.variants_file, memo=settings.schema_memo)
    if [v.id for v in declared] != [r.id for r in stamped.results]:
        return "the variants file declares other variants"
    client = connection.connect()
    try:
        if (facts := connection.facts(client)) != stamped.engine:
            return f"the engine changed ({facts.version}, {facts.storage_driver})"
        wanted, shipped = variants.bases_named(declared)
        try:
            provisioner, provisioned, store = session.provision(client, settings, wanted, shipped=shipped,
                                                                read_only=True)
            if provisioned != stamped.bases:
                return "a base image changed"
            if store.facts() != stamped.registry:
                return "the registry's image changed"
        except WouldChange as exc:
            return str(exc)
        cache = ResultCache(settings.cache_dir / "results")
        hits = []
        for v, shown in zip(declared, stamped.results, strict=True):
            hit = cache.get(session.key_of(v, provisioner, facts, store.image_id))
            if hit is None:
                return f"{v.id}: its inputs changed"
            if session.as_reused(hit, v) != replace(shown, reused=True):
                return f"{v.id}: its cached result differs from the stamped one"
            hits.append(hit)
        # The engine answers inspects side by side; one after another they were most of the check.
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="check") as asking:
            tagged = list(asking.map(lambda hit: images.inspect_image(client, hit.tag), hits))
        for hit, record in zip(hits, tagged, strict=True):
            if record is None or record["Id"] != hit.image_id:
                return f"{hit.id}: {hit.tag} no longer names the measured image"
    finally:
        client.close()
    return HELD
