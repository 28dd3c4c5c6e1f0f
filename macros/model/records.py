"""The facts around one doc build's measurements, as plain records: the engine, the registry,
and where each base image came from. No Docker SDK here: the pages use these without importing it.
"""
from __future__ import annotations

from typing import Any, NamedTuple


# The small records are NamedTuples: see Layer in model/measurement.py.
class EngineFacts(NamedTuple):
    """The engine that measured, as its API describes itself."""
    endpoint: str
    version: str
    api_version: str
    storage_driver: str
    os: str
    arch: str
    kernel: str
    cgroup_driver: str = ""   # "cgroupfs" or "systemd": whether a container's peak memory can be read here
    cgroup_version: str = ""  # "1" or "2"


class RegistryFacts(NamedTuple):
    address: str
    image_id: str
    version: str


class Support(NamedTuple):
    """One upstream support window of what a base image carries, as bases.yml declares it."""
    what: str        # e.g. "Debian 11 LTS"
    ends: str        # ISO date, "2026-08-31"
    source: str      # the page that states it


class BaseImage(NamedTuple):
    """Provenance of one base image, as shown on the site and written to results.json."""
    reference: str
    image_id: str
    size_bytes: int
    source: str  # "pulled" | "stand-in" | "present"
    repo_digest: str = ""
    recipe_hash: str = ""
    created: str = ""
    compressed_bytes: int | None = None  # its transfer size, as our registry stores it
    support: tuple[Support, ...] = ()    # declared in bases.yml; () when nothing is declared

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "support": [s._asdict() for s in self.support]}
