"""A registry's manifests, read: which entry of an index is the measured platform's image. Pure.

An engine on the containerd image store pushes an index around an image's manifest, with an
attestation beside it (its platform "unknown"), and with other platforms' manifests when it holds
them under one tag (a build stage's `FROM --platform=$BUILDPLATFORM` on an arm64 engine adds
arm64 to an amd64 base; seen on 26.1.5: a tag of linux/386 and linux/amd64 pushed as an index of
four entries). The classic store pushes the manifest alone.
"""
from __future__ import annotations

from typing import Any

MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json")
INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json")


class OtherPlatform(ValueError):
    """The registry holds the image, but not for the measured platform."""


def named(described: dict[str, Any]) -> str:
    """The platform an index entry's `platform`, or an image config, names: "linux/amd64"."""
    return f"{described.get('os')}/{described.get('architecture')}"


def of_platform(manifests: list[dict[str, Any]], platform: str) -> str:
    """Of an index's entries, the image manifest of `platform` (an attestation entry names the
    platform "unknown"): the digest to read."""
    def entry(m: dict[str, Any]) -> str:
        return named(m.get("platform") or {})

    found = [m for m in manifests
             if entry(m) == platform and str(m.get("mediaType", MANIFEST_TYPES[1])) in MANIFEST_TYPES]
    if not found:
        raise OtherPlatform(f"the engine pushed {len(manifests)} manifests ({', '.join(map(entry, manifests))}), "
                            f"none of them {platform}, the platform every image here is measured for")
    return str(found[0]["digest"])


def require_platform(config: dict[str, Any], platform: str) -> None:
    """An image config of `platform`, or OtherPlatform."""
    if named(config) != platform:
        raise OtherPlatform(f"the image is for {named(config)}; every image here is measured for {platform}")
