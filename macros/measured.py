"""What one doc build measured, as plain records: the engine, the registry, the bases and every
variant's Result, with their JSON form. No Docker SDK here: the pages and the warm path (warm.py)
use these without importing it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .results import Result, write_json


# The small records are NamedTuples: see Layer in results.py.
class EngineFacts(NamedTuple):
    """The engine that measured, as its API describes itself."""
    endpoint: str
    version: str
    api_version: str
    storage_driver: str
    os: str
    arch: str
    kernel: str


class RegistryFacts(NamedTuple):
    address: str
    image_id: str
    version: str


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

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


@dataclass(frozen=True)
class Session:
    engine: EngineFacts
    registry: RegistryFacts
    bases: list[BaseImage]
    results: list[Result]
    generated_at: str
    failures: dict[str, str] = field(default_factory=dict)  # variant id -> message (serve mode only)
    pushes: int = 0        # images this build pushed to the registry to size them
    seconds: float = 0.0   # how long measuring took, bases included
    warm_check: str = ""   # a warm build's check beside it: "held", or what had changed (warm.py)
    warm_wait_s: float = 0.0  # how long the build waited for that check before writing pages

    def result(self, variant_id: str) -> Result:
        for r in self.results:
            if r.id == variant_id:
                return r
        raise KeyError(variant_id)

    def write_json(self, path: Path) -> None:
        build = {"measured": [r.id for r in self.results if not r.reused],
                 "reused": [r.id for r in self.results if r.reused], "failed": list(self.failures),
                 "pushes": self.pushes, "seconds": round(self.seconds, 3), "warm_check": self.warm_check,
                 "warm_wait_s": round(self.warm_wait_s, 3)}
        write_json(path, engine=self.engine._asdict(), registry=self.registry._asdict(),
                   bases=[b.as_dict() for b in self.bases], results=self.results, generated_at=self.generated_at,
                   build=build)

    def as_dict(self) -> dict[str, Any]:
        return {"engine": self.engine._asdict(), "registry": self.registry._asdict(),
                "bases": [b.as_dict() for b in self.bases], "results": [r.as_dict() for r in self.results],
                "generated_at": self.generated_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        return cls(engine=EngineFacts(**data["engine"]), registry=RegistryFacts(**data["registry"]),
                   bases=[BaseImage(**b) for b in data["bases"]],
                   results=[Result.from_dict(r) for r in data["results"]], generated_at=data["generated_at"])
