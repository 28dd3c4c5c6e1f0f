"""What the engine said about one variant's image: the measurement, and nothing declared.

Each measured quantity is declared once, below: its name and type, and in its metadata (`About`)
what it holds and where it is shown. Everything else is derived from these declarations: the
measured part of results.schema.json (model/results_schema.py), the CSV's columns (session.py),
the history record (history.py), the results table and the variant page's facts (pages/formats.py).
The result cache's schema is derived from the names and types alone (`SHAPE`), so a new field
changes every cache key by itself. The variant as declared (title, Dockerfile, expectation, ...)
is `variants.Variant`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import Field, dataclass, field, fields
from typing import Any, NamedTuple

from .records import Builder


# Small immutable records are NamedTuples, not frozen dataclasses: every doc build defines them, and
# here a frozen dataclass takes about 0.45 ms to define, a NamedTuple about 0.09 ms.
class Layer(NamedTuple):
    created_by: str
    size_bytes: int


class Section(NamedTuple):
    """One section of an ELF binary: its name and the bytes it takes in the file."""
    name: str
    size_bytes: int


class Contents(NamedTuple):
    """What the image's filesystem holds, as `docker export` shows it (the engine's own empty
    placeholders left out)."""
    files: int
    shell: bool
    package_manager: str
    packages: int
    setuid_files: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "setuid_files": list(self.setuid_files)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contents:
        """Raises KeyError or TypeError when `data` is not of this shape."""
        return cls(**{**data, "setuid_files": tuple(data["setuid_files"])})


class View(NamedTuple):
    """One place a quantity is shown: its heading there, how it is formatted (a name in
    pages/formats.py), and for a record such as Contents, which of its members."""
    heading: str
    format: str
    member: str = ""


class About(NamedTuple):
    """What a measured field holds and where it goes besides results.json."""
    description: str                  # results.json's schema, and Methodology's list of fields
    facts: tuple[View, ...] = ()      # rows of the variant page's "Sizes and times", in this order
    columns: tuple[View, ...] = ()    # columns of the results table
    csv: bool = False                 # a column of results.csv
    history: bool = False             # kept in each record of docs/data/history.jsonl
    minimum: int | None = 0           # for an integer: its least value (None: any)
    members: tuple[tuple[str, str], ...] = ()  # for a record: each member's description


def measured(description: str, *, facts: tuple[tuple[str, ...], ...] = (),
             columns: tuple[tuple[str, ...], ...] = (), csv: bool = False, history: bool = False,
             minimum: int | None = 0, members: dict[str, str] | None = None) -> Any:
    """A Measurement field, declared with what it holds and where it is shown."""
    return field(metadata={"about": About(description, tuple(View(*v) for v in facts),
                                          tuple(View(*v) for v in columns), csv, history, minimum,
                                          tuple((members or {}).items()))})


@dataclass(frozen=True)
class Measurement:
    size_bytes: int = measured(
        "The bytes of the files each of the image's layers adds or changes (regular files, symbolic links' "
        "targets, a hard link once; a file a layer holds exactly as the layers below it had it is left out), "
        "summed over its layers: the same on every engine.",
        facts=(("Image size (the files its layers add or change)", "size"), ("Image size in bytes", "count")),
        columns=(("Size (files)", "size"), ("Bytes", "count")), csv=True, history=True)
    transfer_bytes: int = measured(
        "Transfer size: compressed layers plus config, as the local registry's manifest lists them (each "
        "engine compresses with its own gzip: a few bytes differ between engines).",
        facts=(("Transfer size (compressed, as the registry stores it)", "size"),),
        columns=(("Transfer (gzip)", "size"),), csv=True, history=True)
    store_bytes: int = measured(
        "What this engine's image store reports for the image (`docker image inspect`'s Size): on overlay2, "
        "the layers' files as overlay2 counts them (size_bytes plus any file a layer copied up unchanged); on "
        "the containerd image store, what it keeps (the compressed content, and with moby/moby#53426 the "
        "unpacked snapshots too).",
        facts=(("What this engine's image store reports (docker image inspect)", "engine-figure"),),
        columns=(("This engine's store", "engine-figure-size"),), csv=True)
    registry_ref: str = measured(
        "Where the measured image is stored: <registry>/<repository>@<manifest digest>.",
        facts=(("Stored in the registry as", "digest"),))
    layer_count: int = measured("Filesystem layers of the image.", facts=(("Filesystem layers", "count"),),
                                csv=True)
    layers: tuple[Layer, ...] = measured(
        "The image history, oldest first: the instruction and the bytes of files its layer holds (0: it made "
        "no layer).")
    binary_bytes: int = measured(
        "Bytes of the program file (0 when the variant declares none).",
        facts=(("Binary", "program-bytes"), ("Share of the image that is the binary", "share-of-image")),
        columns=(("Binary", "program-size"),), csv=True, history=True)
    go_version: str = measured(
        "The Go version the binary's build info records, or an empty string.",
        facts=(("Go version (from the binary's build info)", "go-version"),), csv=True, history=True)
    packer: str = measured(
        "The packer the binary names itself packed by, with its version, from the mark it leaves (\"UPX 4.24\"), "
        "or an empty string.",
        facts=(("Packed by (the binary's own mark)", "text"),), csv=True)
    sections: tuple[Section, ...] = measured(
        "The binary's ELF sections in file order, with the bytes each takes in the file (none for a file with "
        "no section table, as a UPX-packed binary has none).")
    # Start-up: medians over `start_runs` sandboxed runs (None for an image declared not to start).
    start_s: float | None = measured(
        "Median seconds from the start call to the exit over the start-up runs (null: declared not to start).",
        facts=(("Start-up, start call to exit (median)", "milliseconds-over-runs"),),
        columns=(("Start-up", "milliseconds"),), csv=True)
    process_s: float | None = measured(
        "Median lifetime of the process as the engine recorded it (null: not measured).",
        facts=(("The process alone, as the engine recorded it (median)", "lifetime-over-runs"),), csv=True)
    start_runs: int = measured("How many start-up runs the medians are over.")
    # From the container's cgroup (engine/memory.py); None where the engine's cgroups cannot be read.
    peak_memory_bytes: int | None = measured(
        "The container's peak memory over the start-up runs, in bytes, from the kernel's memory cgroup (runc's "
        "own set-up inside the container included; null: declared not to start, or the engine's cgroups could "
        "not be read where it was measured).",
        facts=(("Peak memory of the container (its cgroup, over the start-up runs)", "peak-memory"),))
    large_environment_vars: int = measured(
        "How many extra environment variables (8 bytes each) a further run had and still did as declared (0: "
        "declared not to start).",
        facts=(("A run with a large environment", "large-environment"),))
    build_s: float = measured("Seconds the build took.", facts=(("Build time", "seconds"),))
    # Asked of the builder once by the doc build that built the image, so a build that reuses every
    # result asks nothing, and a result from the cache names the builder that made it.
    buildkit: str = measured(
        "The BuildKit version the engine's builder reported when it built the image (`docker buildx inspect`; "
        "a distribution's build of the engine may report v0.0.0+unknown; empty: it would not say).",
        facts=(("Built by BuildKit", "text"),))
    buildx: str = measured(
        "The version of buildx, the docker CLI plugin that asked for the build (`docker buildx version`; empty: "
        "it would not say).",
        facts=(("Through buildx", "text"),))
    run_s: float = measured("Seconds the verification run took.")
    exit_code: int | None = measured("The verification run's exit code (null when it could not start).",
                                     minimum=None)
    stdout: str = measured("The verification run's standard output (its first 64 KiB).")
    stderr: str = measured("The verification run's standard error (its first 64 KiB).")
    stdout_bytes: int = measured("Every byte the run wrote to standard output.")
    stderr_bytes: int = measured("Every byte the run wrote to standard error.")
    stdout_truncated: bool = measured("Whether stdout was cut.")
    stderr_truncated: bool = measured("Whether stderr was cut.")
    start_error: str = measured("The engine's message when the container could not start, else empty.",
                                columns=(("Verified", "verified"),))
    contents: Contents = measured(  # noqa: RUF009 (a dataclasses.Field, as field() gives)
        "What the image's filesystem holds, as docker export of a created container shows it, less the "
        "engine's own empty placeholders (.dockerenv, /dev/console, /etc/hostname, /etc/hosts, "
        "/etc/resolv.conf).",
        facts=(("Regular files in the image", "count", "files"), ("A shell (/bin/sh)", "yes-no", "shell"),
               ("A package manager", "name-or-none", "package_manager"),
               ("Installed packages (dpkg's records)", "count", "packages"),
               ("Set-uid or set-gid files", "list-or-none", "setuid_files")),
        members={"files": "Regular files.", "shell": "Whether /bin/sh leads to a file.",
                 "package_manager": "apt, dpkg, apk, ...; empty when there is none.",
                 "packages": "Installed packages, from dpkg's status or distroless's status.d.",
                 "setuid_files": "Regular files with the set-uid or set-gid bit."})
    measured_at: str = measured("When it was measured (ISO 8601, UTC).", columns=(("Measured", "measured-on"),),
                                csv=True)
    image_id: str = measured("The measured image's ID (sha256:...).", facts=(("Image ID", "digest"),))
    build_log: str = field(metadata={"about": None})  # published as a file beside the variant's page

    def as_dict(self) -> dict[str, Any]:
        # what dataclasses.asdict gives, without its deep copy of every value
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["layers"] = [layer._asdict() for layer in self.layers]
        data["sections"] = [section._asdict() for section in self.sections]
        data["contents"] = self.contents.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Raises KeyError or TypeError when `data` is not of this shape."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["layers"] = tuple(Layer(**layer) for layer in values["layers"])
        values["sections"] = tuple(Section(**section) for section in values["sections"])
        values["contents"] = Contents.from_dict(values["contents"])
        return cls(**values)


def builder_of(measured: Iterable[Measurement]) -> Builder:
    """The builder that built these images: each version once, comma-separated in order, when they
    were not all built by the same one."""
    made = list(measured)
    return Builder(buildx=", ".join(sorted({m.buildx for m in made} - {""})),
                   buildkit=", ".join(sorted({m.buildkit for m in made} - {""})))


def published() -> list[tuple[Field[Any], About]]:
    """Every measured field results.json holds, with its declaration, in declared order."""
    return [(f, f.metadata["about"]) for f in fields(Measurement) if f.metadata["about"] is not None]


def shape_of(record: type[Any]) -> str:
    """A digest of a stored record's fields and types (and of Layer's, which it holds): the cache's
    schema, so it is never bumped by hand."""
    described = [(f.name, str(f.type)) for f in fields(record)] + [
        ("Layer", str(Layer.__annotations__)), ("Contents", str(Contents.__annotations__))]
    return hashlib.sha256(repr(described).encode()).hexdigest()[:16]


SHAPE = shape_of(Measurement)
