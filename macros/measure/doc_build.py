"""One doc build's worth of measurements, phase by phase (`measure_all`).

The engine is connected and what earlier runs left is swept. Then one schedule (schedule.py)
provisions the bases and, as soon as a variant's own bases are ready, plans it (its cache key:
reused, or claimed), builds it `settings.build_workers` at a time, and finishes it (run, verify,
size, push) two at a time while the next builds go on; each base is pushed and sized as soon as
it and the registry are there. The stand-ins are then held against upstream; each new image's
start-up is timed with nothing else running, and its measurement stored. Keys that another build
was measuring meanwhile are waited for last, and measured here if it did not.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import docker

from ..engine import buildkit, cleanup, connection, images, lock
from ..errors import BaseImageError, BuildError, ProjectError
from ..log import log
from ..model import files, variants
from ..model.cache import ResultCache
from ..model.measurement import Measurement, builder_of
from ..model.records import BaseImage, Builder, EngineFacts
from ..model.session import Session, Shown
from ..model.settings import Settings
from ..model.variants import Variant
from ..model.words import counted, share
from . import bases, diffs, fidelity, image_size, interrupt, own_files, plan, registry, schedule, startup
from .variant import Built, build_variant, finish_variant


@dataclass
class BuildContext:
    """What the phases of one doc build read, handed from one to the next."""
    settings: Settings
    client: docker.DockerClient
    provisioner: bases.Provisioner
    cache: ResultCache
    facts: Future[EngineFacts]                                # asked as the build connects, in the background
    store: registry.OnDemand | None = None                    # once the registry's image is there
    sizes: dict[str, image_size.Sized] = field(default_factory=dict)  # by base reference
    retagged: bool = False                                    # variants were tagged anew: their old images are stale

    @property
    def registry(self) -> registry.OnDemand:
        assert self.store is not None, "the registry's image is every variant's first need"
        return self.store

    @cached_property
    def builder(self) -> Builder:
        """The builder's versions, asked by the first variant measured (two at once may both ask), so
        a build that reuses every result never starts the CLI (buildkit.describe)."""
        return buildkit.describe()


def measure_all(settings: Settings) -> Session:
    """Measure every variant. Every failure is logged and the others still measured (and cached);
    then the call fails, unless serving (`mkdocs serve`), where the failures are kept in
    `Session.failures` for the pages to show."""
    started = time.monotonic()
    declared = variants.load(settings)
    refresh = plan.refresh_wanted(declared, settings.refresh)
    with _engine(settings) as ctx:
        first = _measured_round(ctx, declared, refresh, wait=False)
        # Holding none of ours now, wait for what another build was measuring (no circle); measure what it did not.
        later = _measured_round(ctx, first.deferred, refresh, wait=True) if first.deferred else None
        outcomes = first.outcomes | (later.outcomes if later else {})
        reused = first.reused | (later.reused if later else set())
        startup_s = first.startup_s + (later.startup_s if later else 0.0)
        told: set[str] = set()  # a base's build log is printed once, not again for each variant built on it
        failures = {v.id: _reported(v, outcomes[v.id], told) for v in declared if schedule.failed(outcomes[v.id])}
        if ctx.store is None or (failures and not settings.serving):
            one = len(failures) == 1
            raise ProjectError(f"{share(len(failures), len(declared), 'variant')} failed: {', '.join(failures)} "
                               "(explained above); nothing was published.",
                               hint=f"Fix {'it' if one else 'them'}, or under `mkdocs serve` see "
                                    f"{'the failure' if one else 'each failure'} on its page.")
        provisioned = _bases(ctx, variants.bases_named(declared))
        shown = [Shown(v, m, v.id in reused, settings.tag_of(v.id))
                 for v in declared if isinstance(m := outcomes[v.id], Measurement)]
        compared = diffs.of_session(ctx.client, declared, shown, settings)
        fresh = sum(not s.reused for s in shown)
        ctx.retagged = not failures and fresh > 0  # only a build untags
        store = ctx.registry
        registry_facts = store.facts()  # may ask the registry (and so the engine): before closing
        facts = store.engine._replace(**builder_of(s.measured for s in shown)._asdict(), platform=settings.platform)
    seconds = time.monotonic() - started
    log.info(f"{counted(len(shown), 'variant')} ready in {seconds:.1f}s ({fresh} measured, "
             f"{len(shown) - fresh} reused from the cache, {counted(store.pushes, 'push', 'pushes')})")
    return Session(engine=facts, registry=registry_facts, bases=provisioned, declared=declared, results=shown,
                   failures=failures, pushes=store.pushes, seconds=seconds, startup_s=startup_s, diffs=compared,
                   generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


@contextmanager
def _engine(settings: Settings) -> Iterator[BuildContext]:
    """Connected, this run said to be alive, leftovers swept, and the engine held against our own
    deletions (nothing of ours deletes from under the builds) until the block ends; then, if it
    ended well, the images it made stale removed (a failed build leaves them: its untagged variant
    images go with the next build that measures one, the stand-ins it replaced with `clean`)."""
    files.writable(settings.cache_dir, settings.shared_cache_dir)
    client = connection.connect(settings)
    # The engine's facts (its version and store are in every cache key) are asked meanwhile.
    asking = ThreadPoolExecutor(1, thread_name_prefix="engine-facts")
    try:
        facts = asking.submit(connection.facts, client)
        with lock.running(settings.run_locks):
            _sweep(client, settings)
            with lock.held(settings.engine_lock, exclusive=False):
                cache = ResultCache(settings.cached("results"), locks=settings.key_locks)
                cache.remove_unheld_locks()
                provisioner = bases.Provisioner(client, bases.load_recipes(settings), settings)
                yield (ctx := BuildContext(settings, client, provisioner, cache, facts))
            # Deleting takes the engine lock exclusively, which this build's own shared hold would
            # deny: so only now, once the build has let go of it.
            stale = cleanup.prune_after_build(client, stand_ins=ctx.provisioner.replaced, variants=ctx.retagged,
                                              engine_lock=settings.engine_lock)
            if stale:
                log.info(f"removed {counted(stale, 'image')} this build made stale (untagged variants, "
                         "replaced stand-ins)")
    finally:
        asking.shutdown(wait=True)
        client.close()


class _Round(NamedTuple):
    outcomes: dict[str, Measurement | ProjectError]  # by variant id
    reused: set[str]                                 # the ids the cache answered
    deferred: list[Variant]                          # whose keys another build was measuring
    startup_s: float                                 # spent timing new images' start-up, one at a time


def _measured_round(ctx: BuildContext, declared: list[Variant], refresh: set[str], *, wait: bool) -> _Round:
    """Bases, plan, build and finish in one schedule, then each new image's start-up timed and
    its measurement stored, each key's lock held until then."""
    with ExitStack() as held:
        planner = plan.Planner(ctx.client, ctx.cache, refresh=refresh, held=held, settings=ctx.settings)
        outcomes = _scheduled(ctx, variants.bases_named(declared), declared, planner, wait=wait)
        measured = {v.id: outcomes[f"plan {v.id}"] for v in declared if schedule.failed(outcomes[f"plan {v.id}"])}
        startup_s = 0.0
        for job in planner.jobs(declared):
            outcome = job.cached or outcomes[f"finish {job.variant.id}"]
            if job.cached is None and not schedule.failed(outcome):
                timing = time.monotonic()
                try:  # one image at a time, with nothing else running: see startup.py
                    outcome = startup.timed(ctx.client, outcome, job.variant, engine=ctx.registry.engine,
                                            settings=ctx.settings)
                    ctx.cache.put(job.key, outcome)
                except ProjectError as exc:
                    outcome = exc
                startup_s += time.monotonic() - timing
            if not schedule.failed(outcome):
                for other in job.variants[1:]:  # the same image, under each id's tag
                    images.tag(ctx.client, outcome.image_id, ctx.settings.tag_of(other.id))
            measured |= dict.fromkeys((v.id for v in job.variants), outcome)
    reused = {v.id for key in planner.cached for v in planner.variants_of[key]}
    deferred = [v for key in sorted(planner.deferred) for v in planner.variants_of[key]]
    return _Round(measured, reused, deferred, startup_s)


def _scheduled(ctx: BuildContext, wanted: list[str], declared: list[Variant], planner: plan.Planner, *,
               wait: bool) -> dict[str, schedule.Outcome]:
    """One schedule: the bases not yet provisioned, each sized as soon as it and the registry are
    there; each variant planned once its bases are ready, built, then finished."""
    settings, provisioner = ctx.settings, ctx.provisioner
    steps = provisioner.steps([registry.REFERENCE, *wanted])
    for name in list(steps):
        ref = name.removeprefix(bases.step_of(""))
        if ref != registry.REFERENCE:
            steps[f"size {ref}"] = schedule.Step(lambda ref=ref: _sized(ctx, ref), pool="push",
                                                 needs=(name, bases.step_of(registry.REFERENCE)))
    waits = plan.first_stages(declared, layer_cache=settings.layer_cache)
    to_build: set[str] = set()
    built: dict[str, Built] = {}

    def planned(v: Variant) -> None:
        key = plan.key_of(v, provisioner, ctx.registry.engine, ctx.registry.image_id)
        if planner.claim(v, key, wait=wait):
            to_build.add(v.id)

    def build(v: Variant) -> None:
        if v.id in to_build:
            built[v.id] = build_variant(ctx.client, v, settings=settings)

    def finish(v: Variant) -> Measurement | None:
        return finish_variant(ctx.client, v, built[v.id], store=ctx.registry, builder=ctx.builder,
                              settings=settings) if v.id in built else None

    for n, v in enumerate(declared):
        base_steps = tuple(bases.step_of(r) for r in (registry.REFERENCE, *v.bases) if bases.step_of(r) in steps)
        steps[f"plan {v.id}"] = schedule.Step(lambda v=v: planned(v), pool="plan", needs=base_steps, rank=(n,))
        pioneer = (f"build {waits[v.id]}",) if v.id in waits else ()
        steps[f"build {v.id}"] = schedule.Step(lambda v=v: build(v), pool="build", needs=(f"plan {v.id}",),
                                               after=pioneer, rank=(n,))
        steps[f"finish {v.id}"] = schedule.Step(lambda v=v: finish(v), pool="finish", needs=(f"build {v.id}",),
                                                rank=(n,))

    def ready(name: str, outcome: schedule.Outcome) -> None:
        if name == bases.step_of(registry.REFERENCE) and not schedule.failed(outcome):
            ctx.store = registry.OnDemand(ctx.client, outcome.image_id, settings=settings, engine=ctx.facts.result())
        elif name.startswith("size ") and not schedule.failed(outcome):
            ctx.sizes[name.removeprefix("size ")] = outcome

    # Two finish at once: reading a large image's files takes seconds, most of them the engine's
    # export, and the small ones behind it need not wait (a re-measure with the layer cache warm:
    # 85 s with one, 75 s with two).
    pools = {"base": settings.base_workers, "push": 1, "plan": 1, "build": settings.build_workers, "finish": 2}
    outcomes = schedule.run(steps, pools, ready=ready, interrupted=lambda: interrupt.abandon(ctx.client))
    for v in declared:  # a variant whose bases failed says which: all of them, so one build shows every fix
        failure = outcomes[f"plan {v.id}"]
        refs = [need.removeprefix(bases.step_of("")) for need in steps[f"plan {v.id}"].needs
                if schedule.failed(outcomes[need])]
        if refs and outcomes[bases.step_of(refs[0])] is failure:
            outcomes[f"plan {v.id}"] = _base_failure(v, [(ref, outcomes[bases.step_of(ref)]) for ref in refs])
    return outcomes


def _base_failure(v: Variant, failed: list[tuple[str, ProjectError]]) -> ProjectError:
    """A variant's failure for the bases it needs that failed, each named before its own words."""
    said: list[str] = []
    hints: list[str] = []
    for ref, failure in failed:
        # a base's own failure starts with its name; the engine's words about it may not
        said.append(failure.message if failure.message.startswith((ref, f"stand-in {ref}"))
                    else f"{ref}: {failure.message}")
        if failure.hint and failure.hint not in hints:
            hints.append(failure.hint)
    ours = [ref for ref, _ in failed if ref != registry.REFERENCE]
    if ours:
        names_it = "the value" if v.from_matrix else f"the line of {v.dockerfile_rel}"
        hints.append(f"Or change {names_it} that {'names it' if len(ours) == 1 else 'names each'}.")
    # every variant needs the registry's image, and no line of theirs names it
    needs = ["the local registry's image, " + s if ref == registry.REFERENCE else s
             for (ref, _), s in zip(failed, said, strict=True)]
    joined = needs[0] if len(needs) == 1 else "; and needs ".join(n.removesuffix(".") for n in needs) + "."
    message = f"{v.origin or v.id}: needs {joined}"
    # a base's build failure keeps its log's tail, which its hint points at
    built = next((failure for _, failure in failed if isinstance(failure, BuildError)), None)
    if built is not None:
        return BuildError(message, hint=" ".join(hints), log_tail=built.log_tail)
    return BaseImageError(message, hint=" ".join(hints))


def _sized(ctx: BuildContext, ref: str) -> image_size.Sized:
    base = ctx.provisioner.ensure(ref)
    return ctx.registry.base_sizes(ref, base.image_id, store_bytes=base.store_bytes or 0)


def _bases(ctx: BuildContext, wanted: list[str]) -> list[BaseImage]:
    """The wanted bases that are there (and what they are built on), sized, each stand-in held
    against upstream (fidelity.py: an unfaithful one fails the build here)."""
    found = [ctx.provisioner.ensure(ref) for ref in ctx.provisioner.with_parents(wanted)
             if ctx.provisioner.provisioned(ref)]
    sized = [b._replace(size_bytes=s.size_bytes, transfer_bytes=s.transfer_bytes, store_bytes=s.store_bytes,
                        **own_files.read(ctx.client, b.image_id, ctx.settings)._asdict())
             for b in found if (s := ctx.sizes.get(b.reference))]
    return fidelity.checked(ctx.client, sized, ctx.provisioner.recipes, ctx.settings)


def provision(settings: Settings, wanted: list[str]) -> tuple[list[BaseImage], registry.OnDemand]:
    """Every wanted base (and what it is built on) present, sized and held against upstream, as a
    doc build does it, with no variant: `python -m macros bases`."""
    with _engine(settings) as ctx, ExitStack() as held:
        planner = plan.Planner(ctx.client, ctx.cache, refresh=set(), held=held, settings=settings)
        outcomes = _scheduled(ctx, wanted, [], planner, wait=False)
        failure = next((o for o in outcomes.values() if schedule.failed(o)), None)
        if failure is not None:
            raise failure
        return _bases(ctx, wanted), ctx.registry


def _sweep(client: docker.DockerClient, settings: Settings) -> None:
    """Remove what earlier runs left when they did not finish, and what earlier versions kept in
    the cache that none reads now, and say so."""
    removed = cleanup.remove_leftovers(client, runs=settings.run_locks)
    if any(removed.values()):
        log.info(f"removed {counted(removed['containers'], 'container')}, "
                 f"{counted(removed['cgroups'], 'cgroup folder')} and {counted(removed['folders'], 'build folder')} "
                 "that earlier runs left when they did not finish")
    retired = files.remove_all(settings.retired())
    if retired:
        log.info(f"removed from {settings.cache_dir} what earlier versions kept there and none reads now: "
                 f"{', '.join(path.name for path in retired)}")


def _reported(v: Variant, exc: ProjectError, told: set[str]) -> str:
    """Log a variant's failure, and the tail of its build log unless `told` has it; the message is
    kept for the pages."""
    log.error(str(exc))
    if isinstance(exc, BuildError) and exc.log_tail and exc.log_tail not in told:
        told.add(exc.log_tail)
        log.error(f"{v.id}: tail of the build log:\n{exc.log_tail}")
    return str(exc)
