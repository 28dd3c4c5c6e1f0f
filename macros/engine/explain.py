"""What BuildKit's words for a failed step leave unsaid, said after them: each function here takes
the failed step and those words, and returns what to add to the message ("" when it has nothing)
or a hint."""
from __future__ import annotations

import re
import shlex
import urllib.error
import urllib.request

from .context import Context

# BuildKit's words for a step that mounts a secret or an SSH agent the build was not given. The
# doc build gives neither: a variant is built from its Dockerfile and its context alone, the same on
# every machine, and "unset ssh forward key default" would not say that.
_NOT_GIVEN = re.compile(r"secret \S+: not found|unset ssh forward key")
NOT_GIVEN_HINT = ("The doc build gives its builds no secrets and no SSH agent, so that a variant builds from its "
                  "Dockerfile and its context alone, the same on every machine: take the step's "
                  "`--mount=type=secret` or `--mount=type=ssh` out, and put what it needs in the context.")


def not_given(said: str) -> str | None:
    """The hint for a step that needed a secret or an SSH agent, else None."""
    return NOT_GIVEN_HINT if _NOT_GIVEN.search(said) else None


# BuildKit's words for a COPY or ADD source the context does not send: `"/go.mod": not found`.
_NOT_SENT = re.compile(r'"/?([^"]+)": not found')


def _instruction(step: str) -> str:
    return step.split("] ", 1)[-1]  # "[build 2/4] COPY go.mod ./" -> "COPY go.mod ./"


def not_sent(step: str, said: str, context: Context) -> str:
    """Why a source of a COPY or ADD from the context was not found: an ignore file that keeps out
    a file the folder has (the builder's words cannot say that), or a folder without it. A source
    from another stage or image (`--from=`) is not the context's to explain."""
    instruction = _instruction(step)
    found = _NOT_SENT.search(said)
    if (not instruction.startswith(("COPY ", "ADD ")) or "--from=" in instruction or found is None
            or any(c in found.group(1) for c in "*?[")):
        return ""
    name, folder = found.group(1), f"{context.root.name}/"
    if (context.root / name).exists():
        return f" ({name} is in {folder}, but {context.keeps_out()} keeps it out of the build context)"
    return f" (the build context, {folder}, has no {name})"


def _answer(url: str, timeout_s: float) -> str:
    """How the URL answers a GET from this machine: "200 OK", "404 Not Found", or "" when it does not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # the body is never read
            return f"{response.status} {response.reason}"
    except urllib.error.HTTPError as exc:
        return f"{exc.code} {exc.reason}"
    except (OSError, ValueError):
        return ""


def checksum_mismatch(step: str, said: str, *, timeout_s: float = 5) -> str:
    """What an `ADD --checksum=... <url>` that failed with "digest mismatch" downloaded. BuildKit
    (0.13) hashes whatever the server answers, an error page or nothing at all for a 404 alike, and
    names that digest as if it were the file's: the URL's answer, asked again from here, tells a
    wrong URL from a wrong pin."""
    instruction = _instruction(step)
    if "digest mismatch" not in said or not instruction.startswith("ADD ") or "--checksum=" not in instruction:
        return ""
    try:
        words = shlex.split(instruction)[1:]
    except ValueError:
        return ""
    urls = [w for w in words[:-1] if w.startswith(("http://", "https://"))]
    answer = _answer(urls[0], timeout_s) if len(urls) == 1 else ""
    if not answer:
        return ""
    if answer[0] in "45":
        return (f" ({urls[0]} answers {answer} here: with --checksum, BuildKit hashes the error's answer as if "
                "it were the file, so the first digest is not the file's; check the URL)")
    return f" ({urls[0]} answers {answer} here: the file it serves is not the one --checksum pins)"
