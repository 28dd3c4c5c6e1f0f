"""Building images with BuildKit, through the docker CLI's buildx plugin: the one place the CLI is
called. The Engine API's build endpoint is the classic builder (the `docker` package speaks no
other), so a build runs `docker buildx build` on the engine's own builder (the docker driver: the
image lands in the engine's image store, where everything else reads it through the API), whichever
builder the CLI has selected. The CLI is told the engine the `docker` package talks to: DOCKER_HOST,
else the CLI's own context.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

from ..errors import BuildError, EngineError
from ..model.records import Builder
from . import explain
from .build_limits import BuildLimits, Guard
from .connection import named
from .context import Context
from .frontend import frontend
from .images import inspect_image
from .labels import RUN_ID

Log = Callable[[str], None]
BUILDX = ("docker", "buildx")
# A folder of a run's in the temporary folder (a build's, a stand-in's context: run_folder), named
# by the run (labels.RUN_ID) that made it: a run that does not finish leaves it, and is known by it
# (interrupt.py, cleanup.py).
FOLDER_PREFIX = "smallest-go-build-"
INSTALL_HINT = ("Install the docker CLI and its buildx plugin (Debian/Ubuntu: `bash scripts/ensure-engine.sh` as "
                "root installs docker-cli and docker-buildx; Docker Desktop has both), then build again.")

def is_step(name: str) -> bool:
    """Whether a vertex is a step of the Dockerfile ("[build 2/4] RUN ..."), not the builder's own."""
    return name.startswith("[") and not name.startswith(("[internal]", "[auth]"))


class Progress:
    """BuildKit's plain progress, read line by line: each vertex ("#5 [build 2/4] RUN ...") and
    whether it ran, was cached, failed or was cancelled."""

    _LINE = re.compile(r"^#(\d+) (.*)$")
    _END = re.compile(r"^(DONE (\d+(?:\.\d+)?)s|CACHED|(CANCELED)|ERROR: (.*))$")  # output lines start with a time

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.running: list[str] = []  # in the order they started
        self.failed = ""   # the vertex that failed, and the error it gave
        self.error = ""
        self.cancelled = ""  # the first vertex cancelled (by the time limit)
        self.solve_error = ""  # the build's last word ("ERROR: failed to solve: ...")

    def saw(self, line: str) -> tuple[str, str] | None:
        """Take one line; a vertex that has just ended gives its name and how it ended, in words:
        its seconds ("4.3s"), "cached", "failed" or "cancelled"."""
        if line.startswith("ERROR: "):
            self.solve_error = line[len("ERROR: "):].strip()
            return None
        match = self._LINE.match(line)
        if not match:
            return None
        number, rest = match.groups()
        if number not in self.names:
            self.names[number] = rest
            self.running.append(number)
            return None
        end = self._END.match(rest)
        if end is None:
            return None
        if number in self.running:
            self.running.remove(number)
        if end.group(3) and not self.cancelled:
            self.cancelled = self.names[number]
        if end.group(4) is not None and not self.failed:
            self.failed, self.error = self.names[number], end.group(4).strip()
        how = f"{float(end.group(2)):.1f}s" if end.group(2) else "cancelled" if end.group(3) else \
            "failed" if end.group(4) is not None else "cached"
        return self.names[number], how

    @property
    def ran(self) -> bool:
        """Whether a step of the Dockerfile started (the Dockerfile was read and accepted)."""
        return any(map(is_step, self.names.values()))

    def step(self) -> str:
        """The step a failure or a stop happened at: the one that failed or was cancelled, else
        the latest still running."""
        name = self.failed or self.cancelled or (self.names[self.running[-1]] if self.running else "")
        return name if len(name) <= 140 else name[:139] + "…"  # cut, and seen to be: not a typo of the line


def build(client: docker.DockerClient, *, context: Context, what: str, platform: str, image_labels: dict[str, str],
          buildargs: dict[str, str] | None = None, nocache: bool = False, tail_lines: int,
          log: Log, limits: BuildLimits | None = None, on_step: Callable[[str, str], None] | None = None,
          ) -> dict[str, Any]:
    """Build `context` with BuildKit for `platform`; stream each progress line to `log` (and each
    Dockerfile step that ends to `on_step`); bound it by `limits` (build_limits.py). Returns the
    image's inspect record. The image is left untagged, for the caller to name once the build has
    succeeded; BuildKit commits no image for a step, so a failed build leaves no image and no
    container behind."""
    served = frontend(context.dockerfile_text, what)
    tail: deque[str] = deque(maxlen=tail_lines)
    progress = Progress()
    guard = Guard(client, limits or BuildLimits())
    for said in (served.note, guard.unenforced):
        if said:
            tail.append(said)
            log(said)
    with run_folder() as tmp:
        metadata, dockerfile = Path(tmp) / "metadata.json", Path(tmp) / "Dockerfile"
        # A file of ours, not `--file -`: buildx 0.13 copies standard input to a /tmp/dockerfile*
        # folder of its own and never removes it (one left per build).
        dockerfile.write_text(served.text)
        if context.ignore_file is not None:  # beside it, as its own: BuildKit reads the file the digest read
            shutil.copyfile(context.ignore_file, dockerfile.with_name("Dockerfile.dockerignore"))
        argv = [*BUILDX, "build", "--progress=plain", "--provenance=false", "--metadata-file", str(metadata),
                "--file", str(dockerfile), "--platform", platform, *(["--no-cache"] if nocache else []),
                *(["--cgroup-parent", guard.cap.parent] if guard.cap else []),
                *(arg for k, v in sorted(image_labels.items()) for arg in ("--label", f"{k}={v}")),
                *(arg for k, v in sorted((buildargs or {}).items()) for arg in ("--build-arg", f"{k}={v}")),
                str(context.root)]
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=cli_env(),
                                       stderr=subprocess.STDOUT, text=True, errors="replace")
        except OSError as exc:
            guard.close()
            raise EngineError(f"{what}: the docker CLI cannot be started ({exc.strerror})", hint=INSTALL_HINT) from None
        try:
            guard.watch(process)
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.rstrip("\n")
                if not line.strip():
                    continue
                tail.append(line)
                log(line)
                if (ended := progress.saw(line)) and on_step and is_step(ended[0]):
                    on_step(*ended)
            code = process.wait()
            made = _made(metadata) if code == 0 else []
            if not made:  # asked before the cap goes: what the kernel knows of its memory is in it
                raise _failure(what, progress, guard, "\n".join(tail), syntax_line=served.line,
                               context=context)
        finally:
            if process.poll() is None:  # interrupted: as Ctrl-C would, so that BuildKit cancels the step
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            guard.close()
    for image_id in made:
        if (record := inspect_image(client, image_id)) is not None:
            return record
    raise BuildError(f"{what}: the builder reported image {made[0]}, which the engine does not have",
                     log_tail="\n".join(tail))


def run_folder() -> tempfile.TemporaryDirectory[str]:
    """A folder of this run's in the temporary folder (a build's, a stand-in's context): named by
    the run, so that an interrupt removes it and the next build removes it if the run died."""
    return tempfile.TemporaryDirectory(prefix=f"{FOLDER_PREFIX}{RUN_ID}-")


def folders_left() -> dict[str, list[Path]]:
    """The build folders in the temporary folder, by the run that made them."""
    found: dict[str, list[Path]] = {}
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        found.setdefault(folder.name.removeprefix(FOLDER_PREFIX).split("-")[0], []).append(folder)
    return found


def _made(metadata: Path) -> list[str]:
    """The digests the builder says it made, in the order an engine names an image by them: the
    manifest's (the containerd image store's image ID), then the config's (the classic store's)."""
    try:
        said = json.loads(metadata.read_text())
    except (OSError, ValueError):
        return []
    found = (said.get(key) for key in ("containerimage.digest", "containerimage.config.digest"))
    return [str(d) for d in found if d]


def cli_env() -> dict[str, str]:
    """The CLI's environment, pointed at the engine the API talks to (connection.named: the same
    DOCKER_HOST or context) and at that engine's own builder, the docker-driver builder named
    after the context (`default` when DOCKER_HOST names the engine). A builder the author chose
    (`docker buildx create --use`, which guides teach for multi-platform builds: a BuildKit
    container of its own) would build with another BuildKit, outside the engine's image store and
    the memory cap's cgroup."""
    context = named().context
    return {**os.environ, **({"DOCKER_CONTEXT": context, "BUILDX_BUILDER": context} if context else
                             {"BUILDX_BUILDER": "default"})}


def _failure(what: str, progress: Progress, guard: Guard, tail: str, *,
             syntax_line: str, context: Context) -> BuildError | EngineError:
    if "is not a docker command" in tail or "unknown command: docker buildx" in tail:
        return EngineError(f"{what}: the docker CLI has no buildx plugin, BuildKit's client", hint=INSTALL_HINT)
    if guard.expired or progress.failed or progress.ran:
        message, hint = guard.failure(what, progress.step(), progress.error or progress.solve_error or "cancelled",
                                      failed=bool(progress.failed))
        if progress.failed:
            hint = explain.not_given(message) or hint
            message += explain.not_sent(progress.failed, message, context) + explain.checksum_mismatch(
                progress.failed, message)
        return BuildError(message, hint=hint, log_tail=tail, failed_step="" if guard.expired else progress.failed)
    # no step ran: the Dockerfile itself was refused (a parse error), or the builder could not start
    said = progress.solve_error or (tail.splitlines()[-1] if tail else "no output")
    # The frontend its syntax line asked for may know flags the built-in one does not (frontend.py).
    why = (f" ({syntax_line} is served by the engine's built-in frontend, which knows this engine's stable "
           "syntax only: not a -labs tag's extra flags, such as COPY --exclude and --parents, nor a newer "
           "release's)") if syntax_line else ""
    return BuildError(f"{what}: the builder refused the Dockerfile: {said}{why}",
                      hint="Fix the Dockerfile; the builder's words say where (docs/contributing.md says what "
                           "BuildKit syntax is supported).", log_tail=tail)


def describe() -> Builder:
    """The builder's own words on itself: the buildx version and the BuildKit version the
    engine's builder reports ("" for what cannot be asked). The two are asked at once: each takes
    the CLI a few hundredths of a second of CPU."""
    asked: list[subprocess.Popen[str] | None] = []
    for args in (("version",), ("inspect",)):
        try:
            asked.append(subprocess.Popen([*BUILDX, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                          text=True, env=cli_env()))
        except OSError:
            asked.append(None)
    version, inspected = (_answer(process) for process in asked)
    found = re.search(r"^\s*BuildKit version:\s*(\S+)", inspected, re.M)
    words = version.split()
    return Builder(buildx=words[1] if len(words) > 1 else "", buildkit=found.group(1) if found else "")


def _answer(process: subprocess.Popen[str] | None) -> str:
    if process is None:
        return ""
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return ""
    return out if process.returncode == 0 else ""
