"""One dependency schedule: named steps, each started as soon as the steps it needs are done.

A step runs on the pool it names, and a pool never runs more steps than its size: the schedule
itself picks the next one, by rank, so nothing waits in a pool's queue behind a later step. A
step whose need failed fails with that same error, without running; what does not depend on the
failure goes on. A doc build puts its bases and its variants in one schedule (doc_build.py), so a
variant is planned and built as soon as its own bases are ready, not once all of them are.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..errors import ProjectError

Outcome = Any  # what a step returned, or the ProjectError it (or a step it needs) failed with


@dataclass(frozen=True)
class Step:
    run: Callable[[], Any]
    pool: str
    needs: tuple[str, ...] = ()     # must have succeeded: their failure is this step's
    after: tuple[str, ...] = ()     # must have ended, however: they make something this step reuses
    rank: tuple[int, ...] = ()      # the smaller starts first, among the steps of a pool


def failed(outcome: Outcome) -> bool:
    return isinstance(outcome, ProjectError)


def run(steps: dict[str, Step], pools: dict[str, int], *, ready: Callable[[str, Outcome], None] | None = None,
        interrupted: Callable[[], None] | None = None) -> dict[str, Outcome]:
    """Every step's outcome, by name. `ready` hears of each outcome, on this thread, before any
    step that needs it starts. An error that is not a ProjectError (a fault of ours) is raised
    once the running steps have ended. On Ctrl-C, `interrupted` is called before waiting for
    them (steps on other threads cannot be interrupted: it may end the process)."""
    unknown = {need for step in steps.values() for need in (*step.needs, *step.after)} - set(steps)
    if unknown:
        raise ValueError(f"steps wait on steps that are not scheduled: {', '.join(sorted(unknown))}")
    outcomes: dict[str, Outcome] = {}
    waiting = dict(steps)
    busy = dict.fromkeys(pools, 0)
    running: dict[Future[Any], str] = {}
    executors = {pool: ThreadPoolExecutor(max_workers=size, thread_name_prefix=pool) for pool, size in pools.items()}
    try:
        while waiting or running:
            for name in _startable(waiting, outcomes):
                step = waiting[name]
                blocked = next((outcomes[n] for n in step.needs if failed(outcomes[n])), None)
                if blocked is not None:
                    del waiting[name]
                    _settle(outcomes, name, blocked, ready)
                elif busy[step.pool] < pools[step.pool]:
                    del waiting[name]
                    busy[step.pool] += 1
                    running[executors[step.pool].submit(step.run)] = name
            if not running:
                if any(_startable(waiting, outcomes)):
                    continue  # failures just passed on make more steps decided
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                busy[steps[name].pool] -= 1
                try:
                    outcome = future.result()
                except ProjectError as exc:
                    outcome = exc
                _settle(outcomes, name, outcome, ready)
    except KeyboardInterrupt:
        if interrupted is not None:
            interrupted()
        raise
    finally:
        for executor in executors.values():
            executor.shutdown(wait=True)
    return outcomes


def _startable(waiting: dict[str, Step], outcomes: dict[str, Outcome]) -> Iterable[str]:
    ready = [name for name, step in waiting.items() if all(n in outcomes for n in (*step.needs, *step.after))]
    return sorted(ready, key=lambda name: waiting[name].rank)


def _settle(outcomes: dict[str, Outcome], name: str, outcome: Outcome,
            ready: Callable[[str, Outcome], None] | None) -> None:
    outcomes[name] = outcome
    if ready is not None:
        ready(name, outcome)
