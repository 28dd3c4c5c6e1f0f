"""Start-up time of a verified image (the median of several sandboxed runs, one image at a time)
and its peak memory over those runs.

It runs after every build and push of the doc build has finished, so that no build or compression
competes with the runs for the machine's cores. Each run is checked against the expectation again:
an image that behaves differently on a later run is a failure, not a time.
"""
from __future__ import annotations

import statistics
from dataclasses import replace

import docker

from ..engine import memory, records, runs
from ..log import log
from ..model.measurement import Measurement
from ..model.records import EngineFacts
from ..model.settings import Settings
from ..model.variants import Variant
from . import verify
from .variant import sandbox


def timed(client: docker.DockerClient, measured: Measurement, variant: Variant, *, engine: EngineFacts,
          settings: Settings) -> Measurement:
    """`measured` with its start-up medians and peak memory (neither for an image declared not to
    start)."""
    if variant.expect.fails_with is not None:
        return measured
    times = settings.start_runs
    outcomes: list[records.RunOutcome] = []
    metered = memory.meter(engine, settings.namespace)
    limits = replace(sandbox(settings, variant), cgroup_parent=metered.parent if metered else None)
    try:
        # One container, started `times` times: what is timed (start call to exit) is the same as
        # with a new container each time, and the creations and removals between the runs are saved.
        with runs.sandboxed(client, measured.image_id, variant=variant.id, namespace=settings.namespace,
                            sandbox=limits) as start:
            for n in range(1, times + 1):
                outcome = verify.heard(variant.expect, start, what=variant.id)
                verify.require(variant.expect, outcome, what=variant.what,
                               detail=f" (in start-up run {n} of {times}, after the verification run matched)")
                outcomes.append(outcome)
        peak = metered.peak_bytes() if metered else None
    finally:
        if metered:
            metered.remove()
    lifetimes = [o.process_s for o in outcomes if o.process_s is not None]
    start_s = round(statistics.median(o.duration_s for o in outcomes), 4)
    peak_note = f", peak memory {peak:,} bytes" if peak is not None else ", peak memory not readable here"
    log.info(f"{variant.id}: start-up {start_s:.3f}s, median of {times} runs{peak_note}")
    return replace(measured, start_runs=len(outcomes), start_s=start_s,
                   process_s=round(statistics.median(lifetimes), 4) if lifetimes else None,
                   peak_memory_bytes=peak)
