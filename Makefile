# crm-analysis: `make demo` builds the notebook site, `make test` runs the suite.
# Both bootstrap a local .venv on first use and are safe to repeat.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SITE   := site
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Two workers on a 2-core machine; each notebook stays on one worker.
XDIST  := -n 2 --dist loadfile

.PHONY: demo test install notebooks lint clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Execute every notebook and render the browsable HTML site in site/.
demo: $(STAMP)
	$(BIN)/python scripts/build_site.py --out $(SITE)

## Lint, then library tests, docstring examples and notebooks (nbval) in one run.
test: $(STAMP)
	$(BIN)/ruff check crm_analysis tests scripts bench
	$(BIN)/python -m pytest $(XDIST) $(NBVAL) --doctest-modules tests notebooks crm_analysis

## Re-execute the committed notebooks in place (run before committing them).
notebooks: $(STAMP)
	$(BIN)/python scripts/build_site.py --in-place

lint: $(STAMP)
	$(BIN)/ruff check crm_analysis tests scripts bench

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(SITE) .pytest_cache build *.egg-info
