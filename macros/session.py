"""One doc build's worth of measurements: the engine, the bases, and every variant's Result."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import bases, engine, pipeline, variants
from .bases import BaseImage
from .log import log
from .paths import VARIANTS_FILE
from .results import Result


@dataclass(frozen=True)
class Session:
    engine: engine.EngineFacts
    bases: list[BaseImage]
    results: list[Result]
    generated_at: str

    def result(self, variant_id: str) -> Result:
        for r in self.results:
            if r.id == variant_id:
                return r
        known = ", ".join(r.id for r in self.results)
        raise KeyError(f"no variant {variant_id!r} (known: {known})")

    def engine_dict(self) -> dict[str, str]:
        return asdict(self.engine)


def measure_all(*, variants_file: Path = VARIANTS_FILE) -> Session:
    """Provision the bases, then build, run, verify and measure every variant, in file order."""
    started = time.monotonic()
    declared = variants.load(variants_file)
    client = engine.connect()
    try:
        facts = engine.facts(client)
        refs: list[str] = []
        for v in declared:
            refs += [r for r in bases.base_references(v.dockerfile) if r not in refs]
        provisioned = bases.Provisioner(client, bases.load_recipes()).ensure_all(refs)
        results = [pipeline.measure_variant(client, v) for v in declared]
    finally:
        client.close()
    log.info(f"measured {len(results)} variants in {time.monotonic() - started:.1f}s")
    return Session(engine=facts, bases=provisioned, results=results,
                   generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
