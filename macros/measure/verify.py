"""Compare what a run did with what its variant declares: pure logic, but for `heard`, which is
handed the run to start (once more when it said nothing where it was declared to)."""
from __future__ import annotations

import json
from collections.abc import Callable

from ..engine.records import RunOutcome, Stream
from ..errors import VerificationError
from ..log import log
from ..model.variants import Expectation

_NO_SHELL = 'exec: "/bin/sh": stat /bin/sh: no such file'  # runc's words, through the engine


def heard(expect: Expectation, start: Callable[[], RunOutcome], *, what: str) -> RunOutcome:
    """A run of the image (`start`), run once more when it ended as declared but said nothing where
    it was declared to say something (`unheard`). A build here lost such a line once in several
    hundred runs (a variant's expected line on stderr read as '', exit code 0), and the cause is
    not known: the engine connects an attach to the container's streams before it answers it
    (moby's "Resolve race conditions in attach API call"), and the attach is made before the
    start (runs.py). A program that really says nothing fails on its second run as on its first."""
    outcome = start()
    if unheard(expect, outcome):
        log.info(f"{what}: the run exited with {outcome.exit_code} after {outcome.duration_s:.3f}s (process "
                 f"{outcome.process_s}s) and said nothing where it was declared to; running it once more")
        outcome = start()
    return outcome


def unheard(expect: Expectation, outcome: RunOutcome) -> bool:
    """Whether a run ended as declared, or failed as declared, yet said nothing on either stream
    where the expectation wants some text (a failure to start says why in the engine's words)."""
    wants_text = bool(expect.stdout or expect.stderr) if expect.fails_with is None else bool(expect.fails_with)
    ended_as_declared = outcome.exit_code == expect.exit_code if expect.fails_with is None else outcome.exit_code != 0
    return (wants_text and ended_as_declared and not outcome.start_error and not outcome.timed_out
            and outcome.stdout.total_bytes == 0 and outcome.stderr.total_bytes == 0)


def require(expect: Expectation, outcome: RunOutcome, *, what: str, detail: str = "") -> None:
    """Raise the error a person reads when a run does not match the expectation."""
    problem = mismatch(expect, outcome)
    if problem:
        raise VerificationError(
            f"{what}: {problem}{detail}",
            hint="Fix the Dockerfile, or declare what really happens under 'expect' in the variants file.",
        )


def mismatch(expect: Expectation, outcome: RunOutcome) -> str:
    """"" when the run matches the expectation; otherwise what differed, for a person to read."""
    if outcome.timed_out:
        cannot = (" (a run that does not finish is always a failure: a timeout cannot be declared as what a variant "
                  "does; give the program a way to end)") if expect.fails_with is not None else ""
        return f"the run did not finish within its timeout ({outcome.duration_s:.1f}s) and was killed{cannot}"
    if expect.fails_with is not None:
        if not outcome.start_error and outcome.exit_code == 0:
            return f"expected a failure containing {expect.fails_with!r}, but it ran and exited 0"
        said = "\n".join(filter(None, (outcome.start_error, outcome.stdout.text, outcome.stderr.text)))
        if expect.fails_with not in said:
            return f"expected a failure containing {expect.fails_with!r}, got {said.strip()[:300]!r}"
        return ""
    if outcome.start_error:
        # the engine's words name /bin/sh, not the Dockerfile line that asked for it
        shell = (" (a CMD or ENTRYPOINT in shell form, `CMD /main`, runs through /bin/sh, which this image does not "
                 "have: write it in exec form, `CMD [\"/main\"]`)") if _NO_SHELL in outcome.start_error else ""
        return f"expected exit code {expect.exit_code}, but it could not start: {outcome.start_error}{shell}"
    problems = []
    if outcome.exit_code != expect.exit_code:
        problems.append(f"it exited with code {outcome.exit_code}, where the variants file declares {expect.exit_code}")
    for name, want, got in (("stdout", expect.stdout, outcome.stdout), ("stderr", expect.stderr, outcome.stderr)):
        if want is not None and got.not_text_at is not None:  # U+FFFD stands for any such byte: not checkable
            problems.append(f"{name} is not UTF-8 text (its byte {got.not_text_at} is not), and the variants file "
                            f"can only declare text: it printed {got.text[:300]!r}, where U+FFFD stands for each "
                            "byte that is not text; make the program print text there")
        elif want is not None and got.text != want:
            problems.append(_stream_difference(name, want, got))
    return "; ".join(problems)


def _stream_difference(name: str, declared: str, printed: Stream) -> str:
    """The first line at which a stream differs from its declared text, and the run's whole text
    written as the variants file declares it: a program's output may be long, and most of it the
    same (a new check adds one line to the checks program's), so the line says where to look and
    the entry is what to paste when the change was meant."""
    got, want = printed.text.splitlines(keepends=True), declared.splitlines(keepends=True)
    at = next((n for n, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))

    def line(lines: list[str]) -> str:
        return repr(lines[at])[:300] if at < len(lines) else "nothing" if at == 0 else "no more lines"

    where = f"{name} differs at line {at + 1}: the run printed {line(got)}, where the variants file declares " \
            f"{line(want)}"
    if printed.truncated:
        return f"{where} (the run wrote {printed.total_bytes:,} bytes there, more than is kept)"
    return f"{where}; what the run printed, as the variants file declares it: {name}: " \
           f"{json.dumps(printed.text, ensure_ascii=False)}"
