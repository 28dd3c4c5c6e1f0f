"""One doc build's worth of measurements: the engine, the bases, and every variant's Result.

Each declared variant becomes a `Job`: its cache key, and the cached Result when one is usable
(its image still in the engine). The others are built two at a time (a stage several variants
share is built once first, see `_waves`), and each built image is run, verified and sized by a
finishing thread meanwhile; once all that is done, each new image's start-up is timed with
nothing else running, and its Result stored.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import docker

from . import bases, context, interrupt, pipeline, registry, startup, variants, warm
from .cache import ResultCache, cache_key
from .engine import cleanup, connection, images
from .errors import BaseImageError, BuildError, ConfigError, ProjectError
from .log import log
from .measured import BaseImage, EngineFacts, Session
from .results import Result
from .settings import REFRESH_ALL, REFRESH_ENV, Settings

BUILD_WORKERS = 2  # the machines this runs on have two cores; builds wait on I/O half the time


@dataclass(frozen=True)
class Job:
    variant: variants.Variant
    key: str
    cached: Result | None = None  # a usable result from the cache: nothing to build


def refresh_wanted(declared: list[variants.Variant], wanted: frozenset[str]) -> set[str]:
    """Which variants the author asked to re-measure (SMALLEST_GO_REFRESH)."""
    ids = {v.id for v in declared}
    if REFRESH_ALL in wanted:
        return ids
    unknown = wanted - ids
    if unknown:
        raise ConfigError(f"{REFRESH_ENV} names unknown variants: {', '.join(sorted(unknown))}",
                          hint=f"Use '{REFRESH_ALL}' or some of: {', '.join(sorted(ids))}.")
    return set(wanted)


def measure_all(settings: Settings) -> Session:
    """Measure every variant. Every failure is logged and the others still measured (and cached);
    then the call fails, unless serving (`mkdocs serve`), where the failures are kept in
    `Session.failures` for the pages to show."""
    started = time.monotonic()
    declared = variants.load(settings.variants_file, memo=settings.schema_memo)
    refresh = refresh_wanted(declared, settings.refresh)
    made_from = warm.fingerprint(settings, warm.watched_roots(settings, dockerfiles=[v.dockerfile for v in declared],
                                                              contexts=[v.context for v in declared]))
    client = connection.connect()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts") as asking:
            asked = asking.submit(connection.facts, client)  # the engine answers while the bases are checked
            wanted, shipped = variants.bases_named(declared)
            provisioner, provisioned, store = provision(client, settings, wanted, shipped=shipped,
                                                        needed_by=_needed_by(declared))
            facts = asked.result()
        cache = ResultCache(settings.cache_dir / "results")
        with _planned(client, declared, provisioner, facts, store, cache, refresh) as (jobs, failures):
            results, failed = _run(client, jobs, cache, store, settings)
        failures |= failed
        if failures and not settings.serving:
            raise ProjectError(f"{len(failures)} of {len(declared)} variants failed: {', '.join(failures)} "
                               "(each is explained above); nothing was published.",
                               hint="Fix them, or under `mkdocs serve` see each failure on its page.")
        fresh = sum(not r.reused for r in results)
        if not failures and fresh:
            cleanup.prune_untagged_variants(client)  # only a build can have untagged an image
        registry_facts = store.facts()  # may ask the registry (and so the engine): before closing
    finally:
        client.close()
    seconds = time.monotonic() - started
    log.info(f"{len(results)} variants ready in {seconds:.1f}s "
             f"({fresh} measured, {len(results) - fresh} reused from the cache, {store.pushes} pushes)")
    measured = Session(engine=facts, registry=registry_facts, bases=provisioned, results=results, failures=failures,
                       pushes=store.pushes, seconds=seconds,
                       generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    if not failures:
        warm.save(settings, measured, made_from)  # the next build, if nothing changed, starts from it
    return measured


def _needed_by(declared: list[variants.Variant]) -> dict[str, list[str]]:
    needs: dict[str, list[str]] = {}
    for v in declared:
        for ref in v.bases:
            needs.setdefault(ref, []).append(v.origin or v.id)
    return needs


def provision(client: docker.DockerClient, settings: Settings, wanted: list[str], *, shipped: set[str],
              needed_by: dict[str, list[str]] | None = None,
              read_only: bool = False) -> tuple[bases.Provisioner, list[BaseImage], registry.OnDemand]:
    """Every wanted base (and what it is built on) present, and the registry's image; the bases a
    variant ships (a final stage starts from them) sized by the registry: pushed once, at
    provisioning, then remembered. The others (toolchains) are not pushed: no image carries them.
    Read-only (the warm check): WouldChange where anything would have to be pulled, built or pushed."""
    recipes = bases.load_recipes(settings.bases_file, memo=settings.schema_memo)
    provisioner = bases.Provisioner(client, recipes, settings=settings, read_only=read_only)
    for ref in wanted:
        try:
            provisioner.ensure(ref)
        except BaseImageError as exc:
            if not needed_by or ref not in needed_by:
                raise
            raise BaseImageError(f"{'; '.join(needed_by[ref])}: needs {exc.message}",
                                 hint=f"{exc.hint} Or change the value that names it.") from None
    found = provisioner.ensure_all(wanted)
    store = registry.OnDemand(client, provisioner.ensure(registry.REFERENCE).image_id, cache_dir=settings.cache_dir,
                              read_only=read_only)
    sized = [b._replace(compressed_bytes=store.base_transfer(b.reference, b.image_id)) if b.reference in shipped
             else b for b in found]
    return provisioner, sized, store


def _reported(variant_id: str, exc: ProjectError) -> str:
    """Log a variant's failure where it is known; the message is kept for the pages."""
    log.error(str(exc))
    if isinstance(exc, BuildError) and exc.log_tail:
        log.error(f"{variant_id}: tail of the build log:\n{exc.log_tail}")
    return str(exc)


@contextmanager
def _planned(client: docker.DockerClient, declared: list[variants.Variant], provisioner: bases.Provisioner,
             facts: EngineFacts, store: registry.OnDemand, cache: ResultCache,
             refresh: set[str]) -> Iterator[tuple[list[Job], dict[str, str]]]:
    """The jobs (and the variants that failed before one could be made), each miss holding its
    key's lock until the block ends, after its result is stored: a second build at the same time
    waits for it, then reuses it."""
    failures: dict[str, str] = {}
    jobs: list[Job] = []
    with ExitStack() as held_locks:
        for v in declared:
            try:
                key = key_of(v, provisioner, facts, store.image_id)
                jobs.append(Job(v, key, _cached(client, v, key, cache, refresh, held_locks)))
            except ProjectError as exc:
                failures[v.id] = _reported(v.id, exc)
        yield jobs, failures


def _run(client: docker.DockerClient, jobs: list[Job], cache: ResultCache, store: registry.OnDemand,
         settings: Settings) -> tuple[list[Result], dict[str, str]]:
    """Every job's Result, in the declared order, and the failures (variant id -> message)."""
    built = _build_all(client, [job for job in jobs if job.cached is None], store=store, settings=settings)
    results: list[Result] = []
    failures: dict[str, str] = {}
    for job in jobs:
        outcome = job.cached or built[job.variant.id]
        if not isinstance(outcome, ProjectError) and job.cached is None:
            try:  # one image at a time, with nothing else running: see startup.py
                outcome = startup.timed(client, outcome, job.variant)
                cache.put(job.key, outcome)
            except ProjectError as exc:
                outcome = exc
        if isinstance(outcome, ProjectError):
            failures[job.variant.id] = _reported(job.variant.id, outcome)
        else:
            results.append(outcome)
    return results, failures


def _waves(misses: list[Job], *, layer_cache: bool) -> list[list[Job]]:
    """Build order. Variants that start from the same base and context share their first stage:
    one of each such group is built first, alone in its group, so the engine's layer cache then
    serves that stage to the others instead of two builds making it at once. Without the layer
    cache nothing is shared, and everything is one wave."""
    if not layer_cache:
        return [misses]
    first: list[Job] = []
    later: list[Job] = []
    groups: set[tuple[str, Path]] = set()
    for job in misses:
        group = ((job.variant.bases or ("scratch",))[0], job.variant.context)
        (later if group in groups else first).append(job)
        groups.add(group)
    return [wave for wave in (first, later) if wave]


def _build_all(client: docker.DockerClient, misses: list[Job], *, store: registry.OnDemand,
               settings: Settings) -> dict[str, Result | ProjectError]:
    """Build the misses BUILD_WORKERS at a time, wave by wave; each built image is handed to one
    finishing thread (run, verify, size, push), so a build worker goes straight on to the next
    build instead of waiting for that: the builds keep both cores busy."""
    out: dict[str, Result | ProjectError] = {}
    finishing: dict[str, Future[Result]] = {}
    builders = ThreadPoolExecutor(max_workers=BUILD_WORKERS, thread_name_prefix="build")
    finisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finish")
    try:
        for wave in _waves(misses, layer_cache=settings.layer_cache):
            building = {builders.submit(pipeline.build_variant, client, job.variant,
                                        layer_cache=settings.layer_cache): job for job in wave}
            for future in as_completed(building):  # the next wave starts once this one is built
                job = building[future]
                try:
                    built = future.result()
                except ProjectError as exc:
                    out[job.variant.id] = exc
                    continue
                finishing[job.variant.id] = finisher.submit(pipeline.finish_variant, client, job.variant, built,
                                                            store=store, cache_key=job.key)
        for variant_id, finished in finishing.items():
            try:
                out[variant_id] = finished.result()
            except ProjectError as exc:
                out[variant_id] = exc
    except KeyboardInterrupt:
        interrupt.abandon(client)  # builds run in other threads: stop them by ending the process
    finally:
        builders.shutdown(wait=True)
        finisher.shutdown(wait=True)
    return out


def _cached(client: docker.DockerClient, v: variants.Variant, key: str, cache: ResultCache, refresh: set[str],
            held_locks: ExitStack) -> Result | None:
    """The cached result for `key`, or None after taking the key's lock (this build measures it)."""
    hit = None if v.id in refresh else _usable(client, cache, key)
    if hit is None:
        held_locks.enter_context(cache.lock(key))
        if v.id not in refresh:  # another build may have measured it while we waited for the lock
            hit = _usable(client, cache, key)
    if hit is not None:
        log.info(f"{v.id}: reused the measurement of {hit.measured_at} ({hit.size_human})")
        return as_reused(hit, v)
    return None


def as_reused(hit: Result, v: variants.Variant) -> Result:
    """A cached result as this build shows it. The words around the numbers are not measured:
    they come from the variants file as it is now."""
    return replace(hit, reused=True, title=v.title, description=v.description, part=v.part,
                   article_2022=v.article_2022, expected=v.expect.describe(), family=v.family)


def key_of(v: variants.Variant, provisioner: bases.Provisioner, facts: EngineFacts, registry_image: str) -> str:
    return cache_key(
        context_digest=context.for_folder(v.context, v.dockerfile, text=v.parsed.text).digest(),
        bases={r: provisioner.ensure(r).image_id for r in v.bases},
        build_args=v.build_args, expectation=v.expect, binary=v.binary, timeout_s=v.timeout_s,
        engine_version=facts.version, storage_driver=facts.storage_driver, registry_image=registry_image,
    )


def _usable(client: docker.DockerClient, cache: ResultCache, key: str) -> Result | None:
    """A cached result whose image is still in the engine, tagged as the page says (one inspect
    call when the tag already points at it)."""
    hit = cache.get(key)
    if hit is None:
        return None
    tagged = images.inspect_image(client, hit.tag)
    if tagged is not None and tagged["Id"] == hit.image_id:
        return hit
    if images.inspect_image(client, hit.image_id) is None:
        log.info(f"{hit.id}: the cached image {hit.image_id[:19]} is gone; measuring again")
        return None
    images.tag(client, hit.image_id, hit.tag)
    return hit
