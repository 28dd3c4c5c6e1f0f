"""The checks program's output (checks-app/), read back: one line per check, "<check>: ok (...)"
or "<check>: <the Go error>". Pure."""
from __future__ import annotations

CHECKS = ("trust", "time zones", "identity", "not root")  # in the order the program prints them


def parsed(stdout: str) -> dict[str, bool] | None:
    """Each check and whether it passed; None unless the output is the checks program's."""
    found: dict[str, bool] = {}
    for line in stdout.splitlines():
        name, sep, said = line.partition(": ")
        if sep and name in CHECKS:
            found[name] = said.startswith("ok")
    return found if list(found) == list(CHECKS) else None


def passes_all(stdout: str) -> bool:
    result = parsed(stdout)
    return result is not None and all(result.values())
