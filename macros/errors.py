"""The one family of errors the project raises on purpose.

Each carries a message for a person: what went wrong, where, and (in `hint`) what to do about it.
They are raised where the fault happens and turned into output in exactly one place per entry point
(`cli.main` for the command line, `pages.state.failed` for mkdocs).
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class ProjectError(Exception):
    """A fault a user can act on. `str()` gives the full message, hint included."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  --> {self.hint}" if self.hint else self.message


class EngineError(ProjectError):
    """The Docker engine cannot be reached, or stopped answering."""


class EngineRefused(EngineError):
    """The engine answered, with an API error: the call, the status and its message are in the text."""

    def __init__(self, message: str, *, hint: str = "", status: int | None = None, detail: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status, self.detail = status, detail


class PullError(ProjectError):
    """A registry could not give an image (unreachable, unknown, or the pull timed out)."""


class ConfigError(ProjectError):
    """A variants file, a bases file or a Dockerfile is not what it should be."""


class BaseImageError(ProjectError):
    """A base image could not be found, pulled or built from its recipe."""


class BuildError(ProjectError):
    """`docker build` of a variant or a stand-in failed."""

    def __init__(self, message: str, *, hint: str = "", log_tail: str = "", failed_step: str = "") -> None:
        super().__init__(message, hint=hint)
        self.log_tail = log_tail
        self.failed_step = failed_step  # the step whose command failed; "" when none did (refused, stopped)


class VerificationError(ProjectError):
    """A variant ran, but not the way its entry in the variants file says it should."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest of `choices`, or "" when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class RegistryError(ProjectError):
    """The local registry did not start, or a push to it failed."""


class SizeError(ProjectError):
    """An image's size could not be counted from its layers, or disagrees with the engine's own
    figure where the two must be equal (overlay2)."""


class PageError(ProjectError):
    """A page asks a macro for something that cannot be answered: a variant, part or base that
    does not exist, or arguments the macro does not take."""


class VariantFailed(ProjectError):
    """A page shows a variant that failed in this build (`mkdocs serve` only): a box, not numbers."""

    def __init__(self, variant_id: str, message: str) -> None:
        super().__init__(message)
        self.variant_id = variant_id
