"""The article's parts, in reading order: what a variant's `part` may name. Its own module so
that the pages can be made without importing the variants file's reader (and Docker's parser)."""
from __future__ import annotations

PARTS = {"base": "Part one: the base image", "binary": "Part two: the binary", "floor": "The floor (not Go)",
         "releases": "Then and now: Go releases", "checks": "Part three: does it still work?"}
STAIRCASE = ("base", "binary", "floor")  # the parts the main results table and chart show
