"""One doc build's worth of measurements: the engine, the bases, and every variant.

Each declared variant gets its cache key (plan.py); what the cache answers is reused, the rest is
built `settings.build_workers` at a time, and each built image is run, verified, sized and pushed
by a finishing thread meanwhile; once all that is done, each new image's start-up is timed with
nothing else running, and its measurement stored.
"""
from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import NamedTuple

import docker

from ..engine import cleanup, connection, images, lock
from ..errors import BaseImageError, BuildError, ProjectError
from ..log import log
from ..model import variants
from ..model.cache import ResultCache
from ..model.measurement import Measurement
from ..model.records import BaseImage, EngineFacts
from ..model.session import Session, Shown
from ..model.settings import Settings
from ..model.words import counted, share
from . import bases, fidelity, image_size, interrupt, plan, registry, startup
from .variant import build_variant, finish_variant


def measure_all(settings: Settings) -> Session:
    """Measure every variant. Every failure is logged and the others still measured (and cached);
    then the call fails, unless serving (`mkdocs serve`), where the failures are kept in
    `Session.failures` for the pages to show."""
    started = time.monotonic()
    declared = variants.load(settings)
    refresh = plan.refresh_wanted(declared, settings.refresh)
    client = connection.connect(settings)
    try:
        with lock.running(settings.run_locks):
            sweep(client, settings)
            with lock.held(settings.engine_lock, exclusive=False):  # nothing of ours deletes from under the builds
                done = _measured(client, declared, refresh, settings)
        facts, provisioned, store, jobs, measured, failures = done
        reported = {vid: _reported(vid, exc) for vid, exc in failures.items()}
        if failures and not settings.serving:
            raise ProjectError(f"{share(len(failures), len(declared), 'variant')} failed: {', '.join(failures)} "
                               "(each is explained above); nothing was published.",
                               hint="Fix them, or under `mkdocs serve` see each failure on its page.")
        order = {v.id: n for n, v in enumerate(declared)}
        shown = sorted((Shown(v, job.cached or measured[job.key], job.cached is not None, settings.tag_of(v.id))
                        for job in jobs for v in job.variants if job.cached or job.key in measured),
                       key=lambda s: order[s.id])
        fresh = sum(not s.reused for s in shown)
        if not failures and fresh:
            cleanup.prune_untagged_variants(client, engine_lock=settings.engine_lock)  # only a build untags
        registry_facts = store.facts()  # may ask the registry (and so the engine): before closing
    finally:
        client.close()
    seconds = time.monotonic() - started
    log.info(f"{len(shown)} variants ready in {seconds:.1f}s "
             f"({fresh} measured, {len(shown) - fresh} reused from the cache, {store.pushes} pushes)")
    return Session(engine=facts, registry=registry_facts, bases=provisioned, declared=declared, results=shown,
                   failures=reported,
                   pushes=store.pushes, seconds=seconds,
                   generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


class _Done(NamedTuple):
    facts: EngineFacts
    bases: list[BaseImage]
    store: registry.OnDemand
    jobs: list[plan.Job]
    measured: dict[str, Measurement]           # by cache key
    failures: dict[str, ProjectError]          # by variant id


def _measured(client: docker.DockerClient, declared: list[variants.Variant], refresh: set[str],
              settings: Settings) -> _Done:
    """The bases provisioned, the plan made, and every miss built, run, verified, sized and timed."""
    provisioner, provisioned, store = provision(client, settings, variants.bases_named(declared),
                                                needed_by=_needed_by(declared))
    facts = store.engine()  # asked once, by the first push that sized an image, or now
    cache = ResultCache(settings.cached("results"), locks=settings.key_locks)
    with plan.planned(client, declared, provisioner=provisioner, facts=facts, registry_image=store.image_id,
                      cache=cache, refresh=refresh, settings=settings) as (jobs, failures):
        measured, failed = _run(client, jobs, cache, store, facts, settings)
    return _Done(facts, provisioned, store, jobs, measured, failures | failed)


def sweep(client: docker.DockerClient, settings: Settings) -> None:
    """Remove what earlier runs left when they did not finish, and say so."""
    removed = cleanup.remove_leftovers(client, runs=settings.run_locks, engine_lock=settings.engine_lock)
    if any(removed.values()):
        log.info(f"removed {counted(removed['containers'], 'container')} and "
                 f"{counted(removed['cgroups'], 'cgroup folder')} that earlier runs left when they did not finish")


def _needed_by(declared: list[variants.Variant]) -> dict[str, list[str]]:
    needs: dict[str, list[str]] = {}
    for v in declared:
        for ref in v.bases:
            needs.setdefault(ref, []).append(v.origin or v.id)
    return needs


def provision(client: docker.DockerClient, settings: Settings, wanted: list[str],
              needed_by: dict[str, list[str]] | None = None,
              ) -> tuple[bases.Provisioner, list[BaseImage], registry.OnDemand]:
    """Every wanted base (and what it is built on) present, and the registry's image; each base
    sized by the registry (image_size.py): pushed once, as soon as both are there (while other
    bases are still being built), then remembered by image ID. Each stand-in is then held against
    the upstream image it is named after (fidelity.py), and an unfaithful one fails here."""
    provisioner = bases.Provisioner(client, bases.load_recipes(settings), settings)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as pusher:
        early = _EarlyPushes(client, settings, pusher)
        try:
            provisioner.ensure_all([registry.REFERENCE, *wanted], ready=early.ready)
        except BaseImageError as exc:
            missing = [ref for ref in wanted if not provisioner.provisioned(ref) and ref in (needed_by or {})]
            if not needed_by or not missing:
                raise
            users = list(dict.fromkeys(user for ref in missing for user in needed_by[ref]))
            raise BaseImageError(f"{'; '.join(users)}: needs {exc.message}",
                                 hint=f"{exc.hint} Or change the value that names it.") from None
        found = [provisioner.ensure(ref) for ref in provisioner.with_parents(wanted)]  # the registry is not a base
        sized = [_with_sizes(b, early.sized[b.reference].result()) for b in found]
    assert early.store is not None  # the registry's image is provisioned first of all
    return provisioner, fidelity.checked(client, sized, provisioner.recipes, settings), early.store


def _with_sizes(base: BaseImage, sized: image_size.Sized) -> BaseImage:
    return base._replace(size_bytes=sized.size_bytes, transfer_bytes=sized.transfer_bytes,
                         store_bytes=sized.store_bytes)


class _EarlyPushes:
    """Each base pushed to the registry and sized as soon as both are provisioned, one at a time
    on its own thread: a push compresses (CPU) while the other bases' builds mostly wait on the disk."""

    def __init__(self, client: docker.DockerClient, settings: Settings, pusher: ThreadPoolExecutor) -> None:
        self.client, self.settings, self.pusher = client, settings, pusher
        self.store: registry.OnDemand | None = None
        self.waiting: list[BaseImage] = []  # bases ready before the registry's image
        self.sized: dict[str, Future[image_size.Sized]] = {}

    def ready(self, base: BaseImage) -> None:
        if base.reference == registry.REFERENCE:
            self.store = registry.OnDemand(self.client, base.image_id, settings=self.settings)
            for waiting in self.waiting:
                self._push(waiting)
        elif self.store is None:
            self.waiting.append(base)
        else:
            self._push(base)

    def _push(self, base: BaseImage) -> None:
        assert self.store is not None
        self.sized[base.reference] = self.pusher.submit(self.store.base_sizes, base.reference, base.image_id,
                                                        store_bytes=base.store_bytes or 0)


def _reported(variant_id: str, exc: ProjectError) -> str:
    """Log a variant's failure; the message is kept for the pages."""
    log.error(str(exc))
    if isinstance(exc, BuildError) and exc.log_tail:
        log.error(f"{variant_id}: tail of the build log:\n{exc.log_tail}")
    return str(exc)


def _run(client: docker.DockerClient, jobs: list[plan.Job], cache: ResultCache, store: registry.OnDemand,
         facts: EngineFacts, settings: Settings) -> tuple[dict[str, Measurement], dict[str, ProjectError]]:
    """Every miss measured (by key) and stored, and the failures (variant id -> error)."""
    misses = [job for job in jobs if job.cached is None]
    built = _build_all(client, misses, store=store, settings=settings)
    measured: dict[str, Measurement] = {}
    failures: dict[str, ProjectError] = {}
    for job in misses:
        outcome = built[job.key]
        if not isinstance(outcome, ProjectError):
            try:  # one image at a time, with nothing else running: see startup.py
                outcome = startup.timed(client, outcome, job.variant, engine=facts, settings=settings)
                cache.put(job.key, outcome)
            except ProjectError as exc:
                outcome = exc
        if isinstance(outcome, ProjectError):
            failures |= dict.fromkeys((v.id for v in job.variants), outcome)
        else:
            measured[job.key] = outcome
            for other in job.variants[1:]:  # the same image, under each id's tag
                images.tag(client, outcome.image_id, settings.tag_of(other.id))
    return measured, failures


def _build_all(client: docker.DockerClient, misses: list[plan.Job], *, store: registry.OnDemand,
               settings: Settings) -> dict[str, Measurement | ProjectError]:
    """Build the misses `build_workers` at a time, wave by wave; each built image is handed to one
    finishing thread (run, verify, size, push), so a build worker goes straight on to the next
    build instead of waiting for that: the builds keep both cores busy."""
    out: dict[str, Measurement | ProjectError] = {}
    finishing: dict[str, Future[Measurement]] = {}
    builders = ThreadPoolExecutor(max_workers=settings.build_workers, thread_name_prefix="build")
    finisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finish")
    try:
        for wave in plan.waves(misses, layer_cache=settings.layer_cache):
            building = {builders.submit(build_variant, client, job.variant, settings=settings): job for job in wave}
            for future in as_completed(building):  # the next wave starts once this one is built
                job = building[future]
                try:
                    built = future.result()
                except ProjectError as exc:
                    out[job.key] = exc
                    continue
                finishing[job.key] = finisher.submit(finish_variant, client, job.variant, built, store=store,
                                                     settings=settings)
        for key, finished in finishing.items():
            try:
                out[key] = finished.result()
            except ProjectError as exc:
                out[key] = exc
    except KeyboardInterrupt:
        interrupt.abandon(client)  # builds run in other threads: stop them by ending the process
    finally:
        builders.shutdown(wait=True)
        finisher.shutdown(wait=True)
    return out
