# crm-analysis: `make demo` executes the notebooks and builds the site, `make test` runs the suite.
# Both bootstrap a local .venv on first use and are safe to repeat.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SITE   := site
# Sphinx from docs/ into site/; -E reads every page afresh (so -W sees every warning).
SPHINX := $(BIN)/python -m sphinx -E -q -b html -d build/doctrees docs $(SITE)
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Two workers on a 2-core machine; each notebook stays on one worker.
XDIST  := -n 2 --dist loadfile
# glibc keeps freed memory in each process (tests, notebook kernels): the model fits'
# array passes stop faulting pages in, about twice as fast (crm_analysis/_allocator.py).
export MALLOC_MMAP_THRESHOLD_ := 33554432
export MALLOC_TRIM_THRESHOLD_ := 134217728

.PHONY: demo test install notebooks site lint clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Execute every notebook (MyST-NB, during the build) and build the offline site in site/.
demo: $(STAMP)
	$(SPHINX) -D nb_execution_mode=force -D nb_execution_raise_on_error=1
	@echo "Site ready: $(SITE)/index.html"

## Build site/ from the committed notebook outputs (no kernel), warnings as errors.
site: $(STAMP)
	$(SPHINX) -W --keep-going
	@echo "Site ready: $(SITE)/index.html"

## Lint, then library tests, docstring examples, notebooks (nbval) and the site (built with -W
## and opened in headless Chromium by tests/test_site.py) in one run.
test: $(STAMP)
	$(BIN)/ruff check crm_analysis tests docs bench
	$(BIN)/python -m pytest $(XDIST) $(NBVAL) --doctest-modules tests notebooks crm_analysis

## Re-execute the committed notebooks in place (run before committing them).
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900 \
	    notebooks/[0-9][0-9]_*.ipynb

lint: $(STAMP)
	$(BIN)/ruff check crm_analysis tests docs bench

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(SITE) .pytest_cache build *.egg-info docs/api/generated docs/notebooks
