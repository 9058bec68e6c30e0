# IVIG living review: set up, build the book, run the tests.
#   make check   the engine, data and docstring tests, without the book (about a minute)
#   make book    build the site into _build/html (warnings are errors)
#   make test    the whole suite: lint, tests/, every chapter against its golden copy, the built site
#   make lint    ruff (lint and import order)
#   make check-quotes PAPER=paper.txt   every quote of data/reported_facts.csv is in the paper's text
#   make golden  re-execute the chapters and rewrite tests/golden/*.ipynb (then read the diff)
SHELL  := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
STAMP  := $(VENV)/.installed
BUILD  := _build
CACHE  := $(BUILD)/.jupyter_cache
INPUTS := $(BUILD)/.inputs.sha256
SOURCES := $(BUILD)/.sources.sha256
JB_FLAGS    ?= -W -n --keep-going
# Chapters executed at once by `make book`, pytest-xdist workers in `make check` / `make test`.
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python's bytecode caches (__pycache__/, git-ignored) are written even where the environment turns
# them off: otherwise every chapter kernel and every test worker compiles metarmc and the tests afresh.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help venv install check lint check-quotes book html inputs-check test test-times golden site-check linkcheck \
        clean distclean

help:
	@echo "make install   create $(VENV) and install requirements.txt and metarmc (-e)"
	@echo "make check     the engine, data and docstring tests, without the book (JOBS=$(JOBS) workers)"
	@echo "make lint      ruff check: lint and import order (configured in pyproject.toml)"
	@echo "make check-quotes PAPER=paper.txt  the quotes of data/reported_facts.csv are in the paper (plain text)"
	@echo "make book      build the book into $(BUILD)/html (warnings are errors)"
	@echo "make test      make lint and make book, then every test: tests/, each book/*.md chapter against tests/golden/, the site"
	@echo "make test-times  make test with the time each part takes (build, nbval, unit, site)"
	@echo "make golden    re-execute the chapters into tests/golden/ (then: git diff tests/golden)"
	@echo "make site-check  every page in headless Chromium, offline, at 1300 and 400 px; screenshots of pages 01, 13, 05 in $(BUILD)/screenshots"
	@echo "make linkcheck   check the external links (needs the internet; not part of make test)"
	@echo "make clean     remove $(BUILD) and test caches (keeps $(VENV)); distclean removes it too"

# Reinstall only when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --progress-bar off -r requirements.txt
	$(PY) -m pip install --progress-bar off -e .
	@# build matplotlib's font cache now, so its one-off notice never lands in a chapter's output
	$(PY) -c "import matplotlib.font_manager" >/dev/null
	@touch $@

venv install: $(STAMP)

# The suite without the book: no chapter is executed and the site is not needed (-m "not book").
check: $(STAMP)
	$(PY) -m pytest tests metarmc -m "not book" -n $(JOBS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# The paper's text is not in the repository (copyright): pass a plain-text copy.
check-quotes: $(STAMP)
	@test -n "$(PAPER)" || { echo "check-quotes: give the paper as plain text: make check-quotes PAPER=paper.txt"; exit 2; }
	$(PY) tools/check_quotes.py "$(PAPER)"

# jupyter-cache keys on a chapter's code only: when data/, metarmc/, the pins or the execution
# settings change, drop the execution cache and the Sphinx environment so every chapter is run
# and read again (tools/inputs_hash.py says what is covered).
inputs-check:
	@mkdir -p $(BUILD)
	@if ! $(PY) tools/inputs_hash.py --check $(INPUTS) 2>/dev/null; then \
	  echo "inputs-check: data/, metarmc/, the pins or _config.yml changed (or first build): clearing $(CACHE)"; \
	  rm -rf $(CACHE) $(BUILD)/.doctrees; \
	  $(PY) tools/inputs_hash.py --write $(INPUTS); \
	fi

# Nothing to do when no file of the repository has changed since the last successful build
# ($(SOURCES), hashed before that build started); otherwise `make html`.
book: $(STAMP)
	@if $(PY) tools/inputs_hash.py --everything --check $(SOURCES) 2>/dev/null && test -f $(BUILD)/html/index.html; then \
	  echo "book: no file changed since the last build: open $(BUILD)/html/index.html"; \
	else \
	  rm -f $(SOURCES) && $(PY) tools/inputs_hash.py --everything --write $(SOURCES).next && \
	  $(MAKE) --no-print-directory html && mv $(SOURCES).next $(SOURCES); \
	fi

# The chapters not in the execution cache run first, JOBS at a time (tools/execute_book.py);
# Sphinx then reads every chapter's outputs from the cache.
html: $(STAMP)
	@$(MAKE) --no-print-directory inputs-check
	$(PY) tools/execute_book.py --cache $(CACHE) --jobs $(JOBS)
	$(JB) build . --builder html $(JB_FLAGS)
	@echo "book: open $(BUILD)/html/index.html"

# What a bare `pytest` runs (pyproject.toml), on the site just built, JOBS workers.
test: lint book
	@$(PY) -c "import matplotlib.font_manager" >/dev/null
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

test-times: $(STAMP)
	$(PY) benchmarks/time_make_test.py --jobs $(JOBS)

# What tests/test_site.py checks in `make test`, as a report; also saves screenshots.
site-check: book
	$(PY) tools/browser_check.py --site $(BUILD)/html --screenshots $(BUILD)/screenshots

# External links (references, DOIs) need the internet: a report, never part of `make test`.
# Built apart (its own output and execution cache) so it never touches $(BUILD)/html.
linkcheck: $(STAMP)
	$(JB) build . --builder linkcheck --path-output $(BUILD)/linkcheck
	@echo "linkcheck: report in $(BUILD)/linkcheck/_build/html/output.txt"

golden: $(STAMP)
	$(PY) tools/regen_golden.py
	@git diff --stat -- tests/golden 2>/dev/null || true
	@echo "golden: now read 'git diff tests/golden': every changed output is a changed result"

clean:
	rm -rf $(BUILD) .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
