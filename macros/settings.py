"""One typed settings object: the environment and mkdocs' command, read once and passed down.

Every default is written here and nowhere else.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILES = REPO / "dockerfiles"
DEFAULT_CONTEXT = "go-app"      # a variant's build context, relative to the repository
DEFAULT_BINARY = "/main"        # where a variant's program lives in its image
DEFAULT_TIMEOUT_S = 30.0        # a verification run's limit
# Start-up runs per image, after the verification run. Here, medians of 5 runs of one image
# spread as widely as medians of 7 did (floor: 93-104 ms either way, 21 runs cut into batches),
# and each run costs about 0.1 s of a cold build in which nothing else may run.
START_RUNS = 5
REFRESH_ALL = "all"

# The environment variables the project reads, each once, here.
VARIANTS_ENV = "SMALLEST_GO_VARIANTS"          # another variants file (the tests' throwaway variants)
CACHE_ENV = "SMALLEST_GO_CACHE"                # another cache folder (git-ignored .cache/ by default)
REFRESH_ENV = "SMALLEST_GO_REFRESH"            # "all", or variant ids separated by commas
NO_BUILD_CACHE_ENV = "SMALLEST_GO_NO_BUILD_CACHE"  # "1": no layer cache (the benchmark's other cold case)


@dataclass(frozen=True)
class Settings:
    variants_file: Path = DOCKERFILES / "variants.yml"
    bases_file: Path = DOCKERFILES / "bases" / "bases.yml"
    cache_dir: Path = REPO / ".cache"
    refresh: frozenset[str] = field(default_factory=frozenset)  # as written: ids, or REFRESH_ALL
    layer_cache: bool = True
    serving: bool = False  # under `mkdocs serve`: a failed variant shows an error box instead of failing

    @property
    def downloads(self) -> Path:
        return self.cache_dir / "downloads"

    @property
    def schema_memo(self) -> Path:
        """Where the files that passed their JSON Schema are remembered (by their bytes)."""
        return self.cache_dir / "validated"

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None, *, serving: bool = False) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            variants_file=Path(env[VARIANTS_ENV]) if env.get(VARIANTS_ENV) else defaults.variants_file,
            cache_dir=Path(env[CACHE_ENV]) if env.get(CACHE_ENV) else defaults.cache_dir,
            refresh=frozenset(part.strip() for part in env.get(REFRESH_ENV, "").split(",") if part.strip()),
            layer_cache=env.get(NO_BUILD_CACHE_ENV) != "1",
            serving=serving,
        )


DEFAULTS = Settings()

# What mkdocs said it is doing (`on_startup(command=...)`, seen by hooks/command.py),
# kept for the doc build's Settings; the command line never sets it.
_command: list[str] = []


def mkdocs_command(command: str) -> None:
    _command[:] = [command]


def serving() -> bool:
    return _command == ["serve"]
