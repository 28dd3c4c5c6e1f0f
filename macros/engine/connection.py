"""Connecting to the engine, its facts, and the one place Docker failures become our errors.

Three kinds, told apart here and nowhere else:
- unreachable: the transport failed (no socket, refused, timed out, connection lost);
- refused: the engine answered with an API error (the call, the HTTP status, its message);
- not found: the engine has no such object (callers that expect absence ask for None instead).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import docker
import requests
import urllib3
from docker.constants import MINIMUM_DOCKER_API_VERSION
from docker.errors import APIError, DockerException, NotFound

from ..errors import EngineError, EngineRefused
from ..model.records import EngineFacts
from ..model.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
# What a lost connection looks like, depending on where in a request or a stream it happens. An
# APIError is also a DockerException: `translated` catches it first, as a refusal.
TRANSPORT_ERRORS = (DockerException, requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError)

_REASONS = (  # what the transport's long message means, in a few words
    ("Connection refused", "connection refused"),
    ("No such file or directory", "no socket there"),
    ("Read timed out", "no answer in time"),
    ("timed out", "no answer in time"),
    ("Name or service not known", "unknown host"),
    ("Permission denied", "permission denied on the socket"),
)
_START_HINT = ("Start one with `bash scripts/ensure-engine.sh` (as root on Debian/Ubuntu), start Docker Desktop, "
               "or point DOCKER_HOST at a running engine.")
LOST_HINT = "Check that dockerd is still running (its log says why it stopped), then build again."
# The engine's words when its own disk (its data root) is full, and what to do.
DISK_FULL = "no space left on device"
DISK_FULL_HINT = ("The engine's disk is full: free space where it keeps images (`docker info --format "
                  "'{{.DockerRootDir}}'`; `docker system df` shows what takes it), or remove what this project "
                  "keeps there with `python -m macros clean --all`, then build again.")


def full_disk_hint(error: str, otherwise: str) -> str:
    return DISK_FULL_HINT if DISK_FULL in error.lower() else otherwise


SYSTEM_SOCKET = "unix:///var/run/docker.sock"


class Named(NamedTuple):
    url: str      # where the engine answers
    context: str  # the docker CLI context that named it; "" when DOCKER_HOST did


def named() -> Named:
    """The engine every call goes to, in the docker CLI's own order: DOCKER_HOST, else the context
    DOCKER_CONTEXT names, else the one `docker context use` chose (Docker Desktop, Colima and
    rootless Docker each make one), else `default`, the system socket."""
    if host := os.environ.get("DOCKER_HOST"):
        return Named(host, "")
    context = os.environ.get("DOCKER_CONTEXT") or _chosen_context()
    return Named(_context_host(context), context)


def endpoint() -> str:
    return named().url


def _cli_config() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def _chosen_context() -> str:
    try:
        chosen = json.loads((_cli_config() / "config.json").read_text()).get("currentContext")
    except (OSError, ValueError, AttributeError):
        chosen = None
    return str(chosen or "default")


def _context_host(name: str) -> str:
    """The engine a context names, read where `docker context create` stores it (docker's own
    context reader looks for that folder beside a config.json, which the CLI does not always write)."""
    if name == "default":
        return SYSTEM_SOCKET
    key = hashlib.sha256(name.encode()).hexdigest()
    try:
        meta = json.loads((_cli_config() / "contexts" / "meta" / key / "meta.json").read_text())
        host = str(meta["Endpoints"]["docker"]["Host"])
    except (OSError, ValueError, KeyError, TypeError):
        raise EngineError(f"the docker CLI's context {name!r} (DOCKER_CONTEXT, or `docker context use`) does not exist "
                          "or names no Docker engine", hint="Choose another with `docker context use`, or point "
                          "DOCKER_HOST at a running engine.") from None
    if (_cli_config() / "contexts" / "tls" / key).exists():
        raise EngineError(f"the docker CLI's context {name!r} reaches its engine ({host}) with TLS certificates, which "
                          "this project does not read from a context", hint="Set DOCKER_HOST, DOCKER_TLS_VERIFY and "
                          "DOCKER_CERT_PATH for that engine instead.")
    return host


def new_client(*, timeout: float, version: str | None = None) -> docker.DockerClient:
    """A client of the engine `named()` (`docker.from_env` reads DOCKER_HOST, with its TLS
    variables, and no context)."""
    engine = named()
    if engine.url.startswith("ssh://"):
        raise EngineError(
            f"the engine at {engine.url} is reached over ssh, which this project does not do: it talks to the "
            "engine's socket itself, and reads each image's size from the registry it runs beside the engine, "
            "published on that machine's 127.0.0.1",
            hint="Build on that machine, or forward its socket and the registry's port and point DOCKER_HOST at "
                 "the socket: `ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock -L 5000:127.0.0.1:5000 "
                 "user@host` (5000: the registry's port, or SMALLEST_GO_REGISTRY_PORT's), then "
                 "DOCKER_HOST=unix:///tmp/docker.sock.")
    if not engine.context:
        return docker.from_env(version=version, timeout=timeout)
    return docker.DockerClient(base_url=engine.url, version=version, timeout=timeout)


def short(exc: BaseException) -> str:
    """The useful part of an SDK or transport exception, in one line."""
    if isinstance(exc, APIError) and exc.explanation:
        return str(exc.explanation).strip()[:300]
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__


def unreachable(exc: BaseException) -> EngineError:
    detail = short(exc)
    detail = next((words for pattern, words in _REASONS if pattern in detail), detail)
    engine = named()
    by = f"; the docker CLI's context {engine.context} names it" if engine.context not in ("", "default") else ""
    return EngineError(f"No Docker engine answers at {engine.url} ({detail}){by}.", hint=_START_HINT)


@contextmanager
def translated(action: str, *, connected: bool = True) -> Iterator[None]:
    """Turn what the SDK raises while doing `action` into one of our errors.

    `connected`: the engine answered before (every call after `connect`), so a transport failure
    means it stopped answering, not that there is none."""
    try:
        yield
    except NotFound as exc:
        raise EngineError(f"the engine has nothing to {action}: {short(exc)}") from None
    except APIError as exc:
        raise EngineRefused(
            f"the engine at {endpoint()} refused to {action}: HTTP {exc.status_code}: {short(exc)}",
            hint=full_disk_hint(short(exc), "The engine's message above says why; its log may say more."),
            status=exc.status_code, detail=short(exc),
        ) from None
    except TRANSPORT_ERRORS as exc:
        if not connected:
            raise unreachable(exc) from None
        raise EngineError(f"the engine at {endpoint()} stopped answering while asked to {action} ({short(exc)}).",
                          hint=LOST_HINT) from None


def translating(action: str) -> Callable[[F], F]:
    """`translated` as a decorator."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            with translated(action):
                return fn(*args, **kwargs)
        return call  # type: ignore[return-value]
    return wrap


def connect(settings: Settings) -> docker.DockerClient:
    """A client whose engine has answered within `settings.ping_timeout_s` seconds, speaking the
    engine's own API version; past the handshake, calls may wait long for a silent build step."""
    with translated("tell its version", connected=False):
        probe = new_client(version=MINIMUM_DOCKER_API_VERSION, timeout=settings.ping_timeout_s)
        try:
            record = probe.version(api_version=False)
        finally:
            probe.close()
        return new_client(version=str(record["ApiVersion"]), timeout=settings.stream_timeout_s)


def facts(client: docker.DockerClient) -> EngineFacts:
    with translated("describe itself"):
        version = client.version()
        info = client.info()
    return EngineFacts(
        endpoint=endpoint(),
        version=str(version.get("Version", "")),
        api_version=str(version.get("ApiVersion", "")),
        storage_driver=str(info.get("Driver", "")),
        os=str(info.get("OperatingSystem", "")),
        arch=str(version.get("Arch", "")),
        kernel=str(info.get("KernelVersion", "")),
        cgroup_driver=str(info.get("CgroupDriver", "")),
        cgroup_version=str(info.get("CgroupVersion", "")),
        image_store=image_store(info),
    )


def image_store(info: dict[str, Any]) -> str:
    """"containerd" when the engine keeps images in containerd (its info names the snapshotter as
    the driver type), else "classic"."""
    status = {str(pair[0]): str(pair[1]) for pair in info.get("DriverStatus") or [] if len(pair) == 2}
    return "containerd" if status.get("driver-type") == "io.containerd.snapshotter.v1" else "classic"
