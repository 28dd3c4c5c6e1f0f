"""One doc build's worth of measurements: the engine, the bases, and every variant's Result.

Per variant: compute the cache key; a hit whose image still exists is reused (one inspect call,
no build, run or export). The misses are built, run and verified two at a time (a stage several
variants share is built once first, see `_waves`) while their layers are compressed in the
background; each result is stored when it is complete.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import docker

from . import bases, context, interrupt, pipeline, startup, variants
from .engine import cleanup, connection, images
from .engine.records import EngineFacts
from .dockerfile import base_references
from .bases import BaseImage
from .cache import ResultCache, cache_key
from .errors import BuildError, ConfigError, ProjectError
from .log import log
from .paths import CACHE, VARIANTS_FILE
from .results import Result, write_json
from .transfer import TransferSizer

REFRESH_ENV = "SMALLEST_GO_REFRESH"  # "all", or variant ids separated by commas
NO_BUILD_CACHE_ENV = "SMALLEST_GO_NO_BUILD_CACHE"  # "1": no layer cache (the benchmark's other cold case)
BUILD_WORKERS = 2  # the machines this runs on have two cores; builds wait on I/O half the time


@dataclass(frozen=True)
class Session:
    engine: EngineFacts
    bases: list[BaseImage]
    results: list[Result]
    generated_at: str
    failures: dict[str, str] = field(default_factory=dict)  # variant id -> message (serve mode only)

    def result(self, variant_id: str) -> Result:
        for r in self.results:
            if r.id == variant_id:
                return r
        raise KeyError(variant_id)

    def write_json(self, path: Path) -> None:
        write_json(path, engine=asdict(self.engine), bases=[b.as_dict() for b in self.bases],
                   results=self.results, generated_at=self.generated_at)


def refresh_wanted(declared: list[variants.Variant], raw: str | None = None) -> set[str]:
    """Which variants the author asked to re-measure, from SMALLEST_GO_REFRESH."""
    raw = os.environ.get(REFRESH_ENV, "") if raw is None else raw
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    ids = {v.id for v in declared}
    if "all" in wanted:
        return ids
    unknown = wanted - ids
    if unknown:
        raise ConfigError(f"{REFRESH_ENV} names unknown variants: {', '.join(sorted(unknown))}",
                          hint=f"Use 'all' or some of: {', '.join(sorted(ids))}.")
    return wanted


def measure_all(*, variants_file: Path = VARIANTS_FILE, cache_root: Path | None = None,
                keep_going: bool = False) -> Session:
    """Measure every variant. Every failure is logged and the others still measured (and cached);
    then the call fails, unless `keep_going` (for `mkdocs serve`), where the failures are kept
    in `Session.failures` for the pages to show."""
    started = time.monotonic()
    declared = variants.load(variants_file)
    refresh = refresh_wanted(declared)
    root = cache_root or CACHE
    client = connection.connect()
    # two at a time: a big export is bound by the engine, and the small ones need not queue behind it
    sizer = TransferSizer(client, root, workers=2)
    try:
        refs: list[str] = []
        for v in declared:
            refs += [r for r in base_references(v.dockerfile) if r not in refs]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts") as asking:
            asked = asking.submit(connection.facts, client)  # the engine answers while the bases are checked
            provisioner = bases.Provisioner(client, bases.load_recipes())
            provisioned = provisioner.ensure_all(refs)
            facts = asked.result()
        # queued first, so a variant's export finds its base layers already known
        sized_bases = [sizer.submit(b.image_id, b.layers, lambda n, b=b: replace(b, compressed_bytes=n))
                       for b in provisioned]
        failures: dict[str, str] = {}
        results = _measure(client, declared, provisioner, facts, ResultCache(root / "results"), sizer, refresh,
                           failures)
        provisioned = [f.result() for f in sized_bases]
        if failures and not keep_going:
            raise ProjectError(f"{len(failures)} of {len(declared)} variants failed: {', '.join(failures)} "
                               "(each is explained above); nothing was published.",
                               hint="Fix them, or under `mkdocs serve` see each failure on its page.")
        if not failures and any(not r.reused for r in results):
            cleanup.prune_untagged_variants(client)  # only a build can have untagged an image
    finally:
        sizer.close()
        client.close()
    fresh = sum(not r.reused for r in results)
    log.info(f"{len(results)} variants ready in {time.monotonic() - started:.1f}s "
             f"({fresh} measured, {len(results) - fresh} reused from the cache, {sizer.exports} exports)")
    return Session(engine=facts, bases=provisioned, results=results, failures=failures,
                   generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


def _measure(client: docker.DockerClient, declared: list[variants.Variant], provisioner: bases.Provisioner,
             facts: EngineFacts, cache: ResultCache, sizer: TransferSizer,
             refresh: set[str], failures: dict[str, str]) -> list[Result]:
    def failed(variant_id: str, exc: ProjectError) -> None:
        failures[variant_id] = str(exc)
        log.error(str(exc))
        if isinstance(exc, BuildError) and exc.log_tail:
            log.error(f"{variant_id}: tail of the build log:\n{exc.log_tail}")

    nocache = os.environ.get(NO_BUILD_CACHE_ENV) == "1"
    pending: list[tuple[str, str, Result | None]] = []  # (id, key, cached result or None)
    misses: list[tuple[variants.Variant, str]] = []
    results: list[Result] = []
    with ExitStack() as held_locks:  # a lock per key being measured, released once it is stored
        for v in declared:
            try:
                key = _key(v, provisioner, facts)
                hit = _cached(client, v, key, cache, refresh, held_locks)
            except ProjectError as exc:
                failed(v.id, exc)
                continue
            pending.append((v.id, key, hit))
            if hit is None:
                misses.append((v, key))
        built = _build_all(client, misses, sizer=sizer, nocache=nocache)
        measured: dict[str, Result | ProjectError] = {}
        for variant_id, future in built.items():  # every build, run and export finishes here
            try:
                measured[variant_id] = future.result() if isinstance(future, Future) else future
            except ProjectError as exc:
                measured[variant_id] = exc
        by_id = {v.id: v for v in declared}
        for variant_id, key, hit in pending:
            outcome: Result | ProjectError = hit or measured[variant_id]
            if not isinstance(outcome, ProjectError) and hit is None:
                try:  # one image at a time, with nothing else running: see startup.py
                    outcome = startup.timed(client, outcome, by_id[variant_id])
                    cache.put(key, outcome)
                except ProjectError as exc:
                    outcome = exc
            if isinstance(outcome, ProjectError):
                failed(variant_id, outcome)
            else:
                results.append(outcome)
    return results


def _waves(misses: list[tuple[variants.Variant, str]], *, nocache: bool) -> list[list[tuple[variants.Variant, str]]]:
    """Build order. Variants that start from the same base and context share their first stage:
    one of each such group is built first, alone in its group, so the engine's layer cache then
    serves that stage to the others instead of two builds making it at once. Without the layer
    cache nothing is shared, and everything is one wave."""
    if nocache:
        return [misses]
    first: list[tuple[variants.Variant, str]] = []
    later: list[tuple[variants.Variant, str]] = []
    groups: set[tuple[str, Path]] = set()
    for v, key in misses:
        group = ((base_references(v.dockerfile) or ["scratch"])[0], v.context)
        (later if group in groups else first).append((v, key))
        groups.add(group)
    return [wave for wave in (first, later) if wave]


def _build_all(client: docker.DockerClient, misses: list[tuple[variants.Variant, str]], *, sizer: TransferSizer,
               nocache: bool) -> dict[str, Future[Result] | ProjectError]:
    """Build, run and verify the misses, BUILD_WORKERS at a time, wave by wave."""
    out: dict[str, Future[Result] | ProjectError] = {}
    pool = ThreadPoolExecutor(max_workers=BUILD_WORKERS, thread_name_prefix="build")
    try:
        for wave in _waves(misses, nocache=nocache):
            started = [(v, pool.submit(pipeline.measure_variant, client, v, sizer=sizer, cache_key=key,
                                       nocache=nocache)) for v, key in wave]
            for v, future in started:
                try:
                    out[v.id] = future.result()
                except ProjectError as exc:
                    out[v.id] = exc
    except KeyboardInterrupt:
        interrupt.abandon(client)  # builds run in other threads: stop them by ending the process
    finally:
        pool.shutdown(wait=True)
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
        # the words around the numbers are not measured: take them from the variants file as it is now
        return replace(hit, reused=True, title=v.title, description=v.description, part=v.part,
                       article_2022=v.article_2022)
    return None


def _key(v: variants.Variant, provisioner: bases.Provisioner, facts: EngineFacts) -> str:
    return cache_key(
        context_digest=context.for_folder(v.context, v.dockerfile).digest(),
        bases={r: provisioner.ensure(r).image_id for r in base_references(v.dockerfile)},
        build_args=v.build_args, expectation=v.expect, binary=v.binary, timeout_s=v.timeout_s,
        engine_version=facts.version, storage_driver=facts.storage_driver,
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
