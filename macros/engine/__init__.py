"""The only code that talks to Docker: through the Engine API (the `docker` package), and for
builds through the docker CLI's buildx plugin (BuildKit has no other client for Python), by concern:

- `records`: plain records (run outcomes, sandbox limits); imports no SDK;
- `connection`: connecting, the engine's facts, and the one place where Docker and transport
  failures become our errors (`translated`);
- `labels`: the labels on everything we create, and the filters that find it again;
- `context`: build contexts: the files the builder receives, and their digest;
- `buildkit`: building an image with BuildKit (`docker buildx build`), the one place the CLI runs;
- `explain`: what BuildKit's words for a failed step leave unsaid (an ignore file, a missing
  secret, a URL that answers with an error), said after them;
- `frontend`: the Dockerfile frontend a `# syntax=` line asks for, served by the engine's own;
- `images`: inspect, tag, pull, push, history, reading a file out of an image;
- `build_limits`: a build's time and memory limits, and what a build stopped by either says;
- `runs`: sandboxed runs with their streams read live;
- `memory`: a container's peak memory, and a build's memory cap, from the cgroup parent each runs under;
- `lock`: file locks between our builds and our deletions, and one per live process of ours;
- `service`: our long-running service container (the registry);
- `cleanup`: removing what this project (or one build of it) created, and nothing else.

It never reads the engine's disk (the engine may be remote, `DOCKER_HOST`), never produces
Markdown, and imports nothing from mkdocs. This package's own import is free: import the module
you need.
"""
