"""What the engine said about one variant's image: the measurement, and nothing declared.

The variant as declared (title, Dockerfile, expectation, ...) is `variants.Variant`; the words and
formatted figures a page shows are made from both at render time. The result cache stores
measurements only, and its schema is derived from the fields below (`SHAPE`), so a new field
changes every cache key by itself.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any, NamedTuple


# Small immutable records are NamedTuples, not frozen dataclasses: every doc build defines them, and
# here a frozen dataclass takes about 0.45 ms to define, a NamedTuple about 0.09 ms.
class Layer(NamedTuple):
    created_by: str
    size_bytes: int


class Contents(NamedTuple):
    """What the image's filesystem holds, as `docker export` shows it (the engine's own empty
    placeholders left out)."""
    files: int                      # regular files
    shell: bool                     # /bin/sh leads to a file
    package_manager: str            # "apt", "apk", ...; "" when there is none
    packages: int                   # installed, from dpkg's status or distroless's status.d
    setuid_files: tuple[str, ...]   # regular files with the set-uid or set-gid bit


@dataclass(frozen=True)
class Measurement:
    image_id: str
    size_bytes: int             # the bytes of files its layers add or change (layer_files.py): the same on any engine
    compressed_bytes: int       # transfer size: compressed layers + config, as the registry's manifest lists them
    store_bytes: int            # the engine's own figure (inspect's Size); overlay2 adds files copied up unchanged
    registry_ref: str           # where the measured image is stored: <registry>/<repository>@<digest>
    layer_count: int
    layers: tuple[Layer, ...]   # image history, oldest first: the instruction and its layer's files
    binary_bytes: int
    go_version: str
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_bytes: int           # each stream's whole length; only the first bytes are kept
    stderr_bytes: int
    stdout_truncated: bool
    stderr_truncated: bool
    start_error: str            # the engine's message when the container could not start
    build_s: float
    run_s: float
    # Start-up: medians over `start_runs` sandboxed runs (None for an image declared not to start).
    # start_s: from the start call until the engine reports the exit, as a client waits for it;
    # process_s: the engine's own record of the process, from its StartedAt to its FinishedAt.
    start_s: float | None
    process_s: float | None
    start_runs: int
    # The container's peak memory over the start-up runs, from its cgroup (engine/memory.py); None
    # where the engine's cgroups cannot be read from here.
    peak_memory_bytes: int | None
    # How many extra environment variables a further run had and still did as declared (0: not run)
    large_environment_vars: int
    measured_at: str            # ISO 8601, UTC
    contents: Contents
    build_log: str              # published as a file beside the variant's page, not in results.json

    def as_dict(self) -> dict[str, Any]:
        # what dataclasses.asdict gives, without its deep copy of every value
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["layers"] = [layer._asdict() for layer in self.layers]
        data["contents"] = {**self.contents._asdict(), "setuid_files": list(self.contents.setuid_files)}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Raises KeyError or TypeError when `data` is not of this shape."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["layers"] = tuple(Layer(**layer) for layer in values["layers"])
        values["contents"] = Contents(**{**values["contents"],
                                         "setuid_files": tuple(values["contents"]["setuid_files"])})
        return cls(**values)


def shape_of(record: type[Any]) -> str:
    """A digest of a stored record's fields and types (and of Layer's, which it holds): the cache's
    schema, so it is never bumped by hand."""
    described = [(f.name, str(f.type)) for f in fields(record)] + [
        ("Layer", str(Layer.__annotations__)), ("Contents", str(Contents.__annotations__))]
    return hashlib.sha256(repr(described).encode()).hexdigest()[:16]


SHAPE = shape_of(Measurement)
