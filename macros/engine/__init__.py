"""The only code that talks to Docker, through the Engine API (the `docker` package), by concern:

- `records`: plain records (run outcomes, sandbox limits); imports no SDK;
- `connection`: connecting, the engine's facts, and the one place where Docker and transport
  failures become our errors (`translated`);
- `labels`: the labels on everything we create, and the filters that find it again;
- `context`: build contexts, packed as the docker CLI packs them;
- `images`: build, inspect, tag, pull, push, history, reading a file out of an image;
- `build_limits`: a build step's time and memory limits, and what a step past either says;
- `runs`: sandboxed runs with their streams read live;
- `memory`: a container's peak memory, from the cgroup parent it runs under;
- `lock`: file locks between our builds and our deletions, and one per live process of ours;
- `service`: our long-running service container (the registry);
- `cleanup`: removing what this project (or one build of it) created, and nothing else.

It never reads the engine's disk (the engine may be remote, `DOCKER_HOST`), never produces
Markdown, and imports nothing from mkdocs. This package's own import is free: import the module
you need.
"""
