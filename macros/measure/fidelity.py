"""Every stand-in base held against the upstream image it is named after, at every build.

The packages a base records are read through the engine once per image ID (dpkg's status, or
status.d's records) and kept in the cache; its accounts are in the base's record already
(measure/own_files.py), as are its user, working folder, command and environment (its
configuration). The comparison with dockerfiles/bases/upstream.yml is pure (model/fidelity.py)
and runs every time, so a changed upstream.yml or tolerance is judged at once. A stand-in that
fails fails the build, with every problem of every base in one message.
"""
from __future__ import annotations

import json

import docker

from ..engine import images
from ..errors import BaseImageError, ConfigError
from ..model import files, upstream
from ..model.fidelity import Fidelity, compare
from ..model.records import BaseImage
from ..model.settings import Settings
from . import contents
from .recipes import Recipe


def checked(client: docker.DockerClient, found: list[BaseImage], recipes: dict[str, Recipe],
            settings: Settings) -> list[BaseImage]:
    """`found`, each stand-in with its fidelity; raises BaseImageError when any is unfaithful."""
    published = upstream.load(settings.upstream_file, memo=settings.cached("validated"))
    out: list[BaseImage] = []
    problems: list[str] = []
    for base in found:
        recipe = recipes.get(base.reference)
        if base.source != "stand-in" or recipe is None:
            out.append(base)  # pulled or found: the image itself, nothing to hold it against
            continue
        fidelity = _fidelity(client, base, recipe, published, settings)
        problems += fidelity.problems(reference=base.reference, size_bytes=base.size_bytes)
        out.append(base._replace(fidelity=fidelity))
    if problems:
        many = len(problems) > 1
        raise BaseImageError(
            f"{'these stand-ins are not the images they are' if many else 'a stand-in is not the image it is'} "
            "named after, as upstream publishes it:\n  " + "\n  ".join(problems),
            hint=f"Make the recipe follow its upstream definition again (its `follows:` in {settings.bases_file}), "
            f"or, if upstream changed, update {settings.upstream_file} from the source it names; a size "
            "that cannot be matched here takes a `tolerance:` with why.")
    return out


def _fidelity(client: docker.DockerClient, base: BaseImage, recipe: Recipe,
              published: dict[str, upstream.Upstream], settings: Settings) -> Fidelity:
    name = recipe.upstream or base.reference
    entry = published.get(name)
    if recipe.upstream and entry is None:
        raise ConfigError(f"{settings.bases_file}: {base.reference}: upstream {name!r} has no entry in "
                          f"{settings.upstream_file}", hint="Add it there, with its source, or correct the name.")
    packages = _packages(client, base.image_id, settings) if entry and entry.packages else None
    tolerance = recipe.tolerance
    return compare(entry, packages=packages, size_bytes=base.size_bytes, transfer_bytes=base.transfer_bytes,
                   follows=recipe.follows, gaps=recipe.gaps,
                   tolerance_percent=tolerance.percent if tolerance else settings.base_tolerance_percent,
                   tolerance_why=tolerance.why if tolerance else "",
                   accounts=base.accounts, user=base.user, working_dir=base.working_dir,
                   cmd=base.cmd, env=base.env)


def _packages(client: docker.DockerClient, image_id: str, settings: Settings) -> frozenset[str] | None:
    """The names of the packages the image records, read once per image ID."""
    memo = settings.cached("packages") / f"{image_id.removeprefix('sha256:')}.json"
    known = files.read_json(memo)
    if isinstance(known, list):
        return frozenset(known)
    names = None
    for db in contents.PACKAGE_DATABASES:
        found = images.read_files(client, image_id, "/" + db.path.rstrip("/"))  # named as the archive names them
        if found:
            names = db.names(found)
            break
    if names is not None:
        files.write_atomic(memo, json.dumps(sorted(names)))
    return names
