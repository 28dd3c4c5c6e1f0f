"""The only code that talks to Docker, through the Engine API (the `docker` package), by concern:

- `records`: plain records (engine facts, run outcomes, sandbox limits); imports no SDK;
- `connection`: connecting, the engine's facts, and the one place where Docker and transport
  failures become our errors (`translated`);
- `images`: build, inspect, tag, pull, history, export, reading a file out of an image;
- `runs`: sandboxed runs with their streams read live;
- `cleanup`: removing what this project (or one build of it) created, and nothing else.

It never reads the engine's disk (the engine may be remote, `DOCKER_HOST`) and never produces
Markdown. This package's own import is free: import the module you need.
"""
