"""Plain records the engine code returns about runs. No Docker SDK here, so pure logic can use them.
The engine's own facts (EngineFacts) are part of a session's record: see model/records.py."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    """One output stream of a run: its first bytes as text, and how many bytes it had in all."""
    text: str
    total_bytes: int
    truncated: bool
    not_text_at: int | None = None  # the offset of its first byte that is not UTF-8, which `text` shows as U+FFFD


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int | None
    stdout: Stream
    stderr: Stream
    start_error: str  # the engine's message when the container could not start; "" otherwise
    timed_out: bool
    duration_s: float               # from the start call until the engine reported the exit
    process_s: float | None = None  # the engine's record of the process: StartedAt to FinishedAt


@dataclass(frozen=True)
class Sandbox:
    """Limits for a verification run: no network, read-only, no privileges, bounded resources
    (the values come from Settings and the variant)."""
    timeout_s: float
    memory: str
    pids: int
    capture_bytes: int
    environment: tuple[str, ...] = ()   # "NAME=value" strings, beside the image's own
    cgroup_parent: str | None = None    # a parent whose memory peak outlives the container: memory.py
