"""Labels on every object the project creates, so it can find and clean its own and only its own."""
from __future__ import annotations

import socket
import uuid

PREFIX = "io.smallest-go"
MANAGED = f"{PREFIX}.managed"          # "true" on every image and container we create
ROLE = f"{PREFIX}.role"                # "base-stand-in" | "variant" | "probe"
REFERENCE = f"{PREFIX}.reference"      # the FROM reference a stand-in answers for
RECIPE_HASH = f"{PREFIX}.recipe-hash"  # digest of a stand-in's recipe (and its parents')
VARIANT = f"{PREFIX}.variant"          # the variant id of a variant image or run container
RUN = f"{PREFIX}.run"                  # the process (one build, one command) that made a container
NAMESPACE = f"{PREFIX}.namespace"      # the tag namespace of the build that made a container
HOST = f"{PREFIX}.host"                # the machine that process ran on (its run lock is there)

# Names this process: an interrupt removes the containers of this run, and no one else's (two
# builds at once are a supported case).
RUN_ID = uuid.uuid4().hex[:16]
HOST_NAME = socket.gethostname()


def ours(role: str, **extra: str) -> dict[str, str]:
    """The label set for a new object of the given role."""
    return {MANAGED: "true", ROLE: role, **extra}


def variant_image(variant_id: str) -> dict[str, str]:
    """The labels of a variant image: its id alone, so that the image's config (and so its ID)
    depends on nothing else of ours. It is ours by that key."""
    return {VARIANT: variant_id}


def filter_variant_images() -> dict[str, list[str]]:
    return {"label": [VARIANT]}


def filter_ours(role: str | None = None) -> dict[str, list[str]]:
    """A filter for the Engine API's list calls that matches only our objects."""
    wanted = [f"{MANAGED}=true"] + ([f"{ROLE}={role}"] if role else [])
    return {"label": wanted}


def probe(variant_id: str, namespace: str) -> dict[str, str]:
    """The labels of a run container: whose, which variant, which process, which namespace."""
    return reader(**{VARIANT: variant_id, NAMESPACE: namespace})


def reader(**extra: str) -> dict[str, str]:
    """The labels of every container a process of ours creates (to run an image, or to read its
    files): with the process's run and machine, so a later build can tell one that a crash or a
    dying engine left behind (its run no longer alive: engine/lock.py) from one in use."""
    return ours("probe", **{RUN: RUN_ID, HOST: HOST_NAME, **extra})


def filter_run(run_id: str = RUN_ID) -> dict[str, list[str]]:
    """A filter for the containers one run of the project created."""
    return {"label": [f"{MANAGED}=true", f"{RUN}={run_id}"]}


def filter_namespace(namespace: str) -> dict[str, list[str]]:
    """A filter for the run containers of one tag namespace."""
    return {"label": [f"{MANAGED}=true", f"{NAMESPACE}={namespace}"]}
