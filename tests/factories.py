"""Records for the pure-logic tests: a Measurement, a declared Variant beside it (Shown), and the
accounts of an image that runs as nonroot, as upstream.yml and an image's /etc/passwd say them."""
from __future__ import annotations

import types
import typing
from dataclasses import fields
from typing import Any

from macros.model.dockerfile import parse
from macros.model.measurement import Contents, Layer, Measurement
from macros.model.records import Account
from macros.model.session import Shown
from macros.model.settings import REPO
from macros.model.variants import Expectation, Variant

MEASURED = {f.name for f in fields(Measurement)}
ROOT, NONROOT = Account("root", 0, "/root"), Account("nonroot", 65532, "/home/nonroot")


def runs_as_nonroot(source: str) -> str:
    """upstream.yml's lines for an image that declares root and nonroot and runs as nonroot in its
    home, as distroless's :nonroot does; `source` in YAML flow style."""
    return (f"  accounts: {{users: [{{name: root, uid: 0}}, {{name: nonroot, uid: 65532}}], source: {source}}}\n"
            f"  user: {{runs_as: nonroot, working_dir: /home/nonroot, source: {source}}}\n")


def _empty(kind: Any) -> Any:
    """The empty value of a field's type: a field the defaults below do not name still gets one."""
    if isinstance(kind, types.UnionType):
        return None
    if typing.get_origin(kind) is tuple:
        return ()
    if hasattr(kind, "_fields"):  # a NamedTuple record
        return kind(**{name: _empty(t) for name, t in typing.get_type_hints(kind).items()})
    return kind()


def measurement(**kw: Any) -> Measurement:
    base: dict[str, Any] = dict(
        image_id="sha256:" + "a" * 64, size_bytes=3_368_770, transfer_bytes=1_410_000,
        registry_ref="127.0.0.1:5000/smallest-go/x@sha256:" + "b" * 64, layer_count=1,
        layers=(Layer("/bin/sh -c #(nop) COPY file:abc in / ", 10),), binary_bytes=1, go_version="go1.21.13",
        exit_code=0, stdout="", stderr="<script>alert(1)</script>\n", stdout_bytes=0, stderr_bytes=25,
        stdout_truncated=False, stderr_truncated=False, start_error="", build_s=1.0, run_s=0.1,
        start_s=0.1, process_s=0.002, start_runs=7, peak_memory_bytes=4_000_000, large_environment_vars=1000,
        measured_at="2026-01-01T00:00:00+00:00", buildx="0.13.1", buildkit="v0.13.2",
        contents=Contents(files=1, shell=False, package_manager="", packages=0, setuid_files=()),
        build_log="Step 1/1 : FROM scratch\n")
    hints = typing.get_type_hints(Measurement)
    merged = {**{name: _empty(kind) for name, kind in hints.items()}, **base, **kw}
    if "store_bytes" not in kw:
        merged["store_bytes"] = merged["size_bytes"]  # as overlay2 reports it
    return Measurement(**merged)


def variant(*, dockerfile_text: str = "FROM scratch\n", dockerfile: str = "dockerfiles/Dockerfile.x",
            **kw: Any) -> Variant:
    base: dict[str, Any] = dict(id="x", title="X <b>", description="d", dockerfile=REPO / dockerfile,
                                context=REPO / "go-app", expect=Expectation(exit_code=0), binary="/main",
                                timeout_s=30.0, build_timeout_s=300.0, build_memory_mib=2048, part="base")
    bases = kw.pop("bases", None)
    parsed = parse(dockerfile_text, source=dockerfile, build_args={})
    if bases is not None:
        parsed = parsed.__class__(text=parsed.text, bases=tuple(bases), final_base=bases[-1] if bases else "scratch")
    return Variant(**{**base, **kw}, parsed=parsed)


def shown(*, reused: bool = False, **kw: Any) -> Shown:
    """Keyword arguments go to whichever record has a field of that name."""
    measured = {k: v for k, v in kw.items() if k in MEASURED}
    declared = {k: v for k, v in kw.items() if k not in MEASURED}
    v = variant(**declared)
    return Shown(v, measurement(**measured), reused, f"smallest-go/{v.id}:latest")



