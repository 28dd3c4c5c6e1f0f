# Two entry points: `make site` and `make test`. Each does all the set-up it needs on a fresh
# Debian machine: virtual environment, pinned dependencies, a running engine, the base images.
VENV   := .venv
PY     := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1

STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: site test serve engine browser prepare bases compile clean record guard

# uv installs the same pins as pip would, with bytecode compiled as pip does: in a fresh virtual
# environment here 8 s instead of pip's 32 s.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv pip install --python $(PY) --quiet --compile-bytecode -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

engine:
	bash scripts/ensure-engine.sh

# The browser test's Chromium: Debian's headless shell, the build Playwright itself runs headless
# (its own download cannot work here). Against the full browser on every page: the same findings,
# the same screenshots (at phone width the header's shadow a few grey levels apart), 13-19% faster.
CHROMIUM := /usr/lib/chromium/chromium-headless-shell
browser:
	test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell; }

# pip compiles what it installs, but an editable install leaves macros/ to the interpreter, and
# where PYTHONDONTWRITEBYTECODE is set every doc build would compile it again.
compile: $(STAMP)
	$(PY) -m compileall -q macros

# Installing the engine (apt) and the Python packages (pip) do not wait on each other: side by side.
prepare:
	@$(MAKE) --no-print-directory -j2 engine $(STAMP)

bases: prepare compile
	$(PY) -m macros bases

# The doc build provisions the bases itself, on one schedule with the variants: a variant is
# built as soon as its own bases are ready. (The tests want every base first: `make bases`.)
site: prepare compile
	$(VENV)/bin/mkdocs build --strict

test: bases browser
	$(VENV)/bin/ruff check macros tests scripts
	$(VENV)/bin/actionlint .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --persona pedantic .github/workflows/
	$(PY) -m pytest

# After `make site`: append its results to docs/data/history.jsonl / compare them with the last record.
record: $(STAMP)
	$(PY) -m macros record

guard: $(STAMP)
	$(PY) -m macros guard

serve: prepare compile
	$(VENV)/bin/mkdocs serve

clean: $(STAMP)
	$(PY) -m macros clean
