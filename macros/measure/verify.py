"""Compare what a run did with what its variant declares. Pure logic."""
from __future__ import annotations

from ..engine.records import RunOutcome
from ..errors import VerificationError
from ..model.variants import Expectation


def require(expect: Expectation, outcome: RunOutcome, *, what: str, detail: str = "") -> None:
    """Raise the error a person reads when a run does not match the expectation."""
    problem = mismatch(expect, outcome)
    if problem:
        raise VerificationError(
            f"{what}: expected it to {expect.describe()}; but {problem}{detail}",
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
        return f"expected exit code {expect.exit_code}, but it could not start: {outcome.start_error}"
    problems = []
    if outcome.exit_code != expect.exit_code:
        problems.append(f"exit code {outcome.exit_code} (expected {expect.exit_code})")
    for name, want, got in (("stdout", expect.stdout, outcome.stdout.text),
                            ("stderr", expect.stderr, outcome.stderr.text)):
        if want is not None and got != want:
            problems.append(f"{name} {got[:300]!r} (expected {want!r})")
    return "; ".join(problems)
