"""Dockerfiles read with Docker's own parser (the `dockerfile` package wraps BuildKit's Go parser),
once per file: the base images the FROM lines name (build arguments resolved) and those files are
copied or mounted from, and the image's own ARG lines held to the values it is built with (its
history shows them as written)."""
from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dockerfile as official

from ..errors import ConfigError

# Not "the line it names": some of the parser's words name none ("unterminated heredoc").
PARSER_HINT = "Fix the Dockerfile as the parser's words say; `docker build` would stop there too."
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<default>:?[-+][^}]*)?\}"
                       r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Parsed:
    text: str                 # the file as built
    bases: tuple[str, ...]    # images it is built from, in order: those named in FROM, then those a COPY
    #                           --from or a RUN --mount from= reads files of; not scratch, not its stages
    final_base: str           # the image the last stage starts from (following stage names), or scratch
    args: frozenset[str] = frozenset()  # the build arguments its ARG lines declare, in any stage


def read(path: Path, *, build_args: Mapping[str, str] | None = None) -> Parsed:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as a UTF-8 Dockerfile ({exc})") from None
    return parse(text, source=str(path), build_args=build_args or {})


def parse(text: str, *, source: str, build_args: Mapping[str, str]) -> Parsed:
    try:
        commands = official.parse_string(text)
    except official.GoParseError as exc:
        raise ConfigError(f"{source}: Docker's parser rejects it: {str(exc).strip()}",
                          hint=PARSER_HINT) from None
    global_args: dict[str, str | None] = {}
    bases: list[str] = []
    # Per stage: the image it starts from (stage names followed), the earlier stage it starts from
    # (None: an image), and its ARG lines, which stay in the history of an image built on it
    starts: list[str] = []
    parents: list[int | None] = []
    stage_args: list[list[official.Command]] = []
    named: dict[str, int] = {}  # stage name -> its index
    read_from: list[str] = []   # what COPY --from and RUN --mount from= name: a stage (name, number) or an image
    declared = {spec.partition("=")[0] for command in commands if command.cmd.upper() == "ARG"
                for spec in command.value}
    for command in commands:
        if command.cmd.upper() == "ARG" and not starts:  # ARG before the first FROM
            for spec in command.value:
                name, eq, default = spec.partition("=")
                global_args[name] = build_args.get(name, default if eq else None)
        elif command.cmd.upper() == "ARG":
            stage_args[-1].append(command)
        elif command.cmd.upper() == "FROM":
            words = [w for w in command.value]
            if not words:
                raise ConfigError(f"{source}: line {command.start_line}: FROM names no image")
            ref = _expand(words[0], global_args, source=source, line=command.start_line)
            earlier = named.get(ref.lower())
            if ref.lower() != "scratch" and earlier is None and ref not in bases:
                bases.append(ref)
            starts.append(starts[earlier] if earlier is not None else ref)
            parents.append(earlier)
            stage_args.append([])
            if len(words) >= 3 and words[1].upper() == "AS":
                named[words[2].lower()] = len(starts) - 1
        elif starts:
            read_from.extend(_files_from(command))
    if not starts:
        raise ConfigError(f"{source}: has no FROM instruction",
                          hint="Every Dockerfile starts from a base: add `FROM <image>` (or `FROM scratch`).")
    stage: int | None = len(starts) - 1
    while stage is not None:
        for command in stage_args[stage]:
            _shown_as_built(command, build_args, source=source)
        stage = parents[stage]
    # BuildKit takes --from as written (a variable there fails the build, in its words)
    images = [ref for ref in read_from
              if ref.lower() not in named and not ref.isdigit() and ref.lower() != "scratch" and "$" not in ref]
    return Parsed(text=text, bases=tuple(dict.fromkeys([*bases, *images])), final_base=starts[-1],
                  args=frozenset(declared))


def _files_from(command: official.Command) -> list[str]:
    """What a COPY --from or a RUN --mount ...,from=... names (ADD takes no --from)."""
    found = []
    for flag in command.flags:
        name, _, value = flag.lstrip("-").partition("=")
        if command.cmd.upper() == "COPY" and name.lower() == "from":
            found.append(value)
        elif command.cmd.upper() == "RUN" and name.lower() == "mount":
            options = dict(option.partition("=")[::2] for option in value.split(","))
            if options.get("from"):
                found.append(options["from"])
    return found


def _shown_as_built(command: official.Command, build_args: Mapping[str, str], *, source: str) -> None:
    """An ARG line of the image's own stages is kept in its history as written (the layer tables
    show it), so a default there must be the value the image is built with."""
    for spec in command.value:
        name, eq, written = spec.partition("=")
        try:
            default = " ".join(shlex.split(written))
        except ValueError:  # unbalanced quotes: BuildKit's parser would have said so first
            default = written
        if eq and name in build_args and build_args[name] != default:
            raise ConfigError(
                f"{source}: line {command.start_line}: `{command.original.strip()}` stays in the image's history "
                f"as written, but the image is built with {name}={build_args[name]!r}: its layer table would show "
                "a value it was not built with",
                hint=f"Drop the default (`ARG {name}`) and give {name} its value under 'build_args' wherever "
                     "this Dockerfile is built.")


def _expand(ref: str, args: Mapping[str, str | None], *, source: str, line: int) -> str:
    """Substitute $NAME / ${NAME} / ${NAME:-default} from the ARGs declared before the first FROM."""
    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        default = match.group("default") or ""
        known = args.get(name)
        if default.lstrip(":").startswith("-") and not known:
            return default.lstrip(":")[1:]
        if default.lstrip(":").startswith("+"):
            return default.lstrip(":")[1:] if known else ""
        if name not in args:
            raise ConfigError(f"{source}: line {line}: FROM {ref} uses ${name}, which no ARG before the first FROM "
                              "declares", hint=f"Declare `ARG {name}=<default>` above the first FROM.")
        if known is None:
            raise ConfigError(f"{source}: line {line}: FROM {ref} uses ${name}, which has no value",
                              hint=f"Give it a default (`ARG {name}=...`) or a value under 'build_args'.")
        return known
    return _VARIABLE.sub(value, ref)
