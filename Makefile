# IVIG living review: set up, build the book, run the tests.
#   make book    build the site into _build/html (warnings are errors)
#   make test    the whole suite: tests/ and every chapter checked against its golden copy
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
JB_FLAGS    ?= -W -n --keep-going
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv install book inputs-check test golden site-check linkcheck clean distclean

help:
	@echo "make install   create $(VENV) and install requirements.txt and metarmc (-e)"
	@echo "make book      build the book into $(BUILD)/html (warnings are errors)"
	@echo "make test      run tests/ and check every book/*.md chapter against tests/golden/"
	@echo "make golden    re-execute the chapters into tests/golden/ (then: git diff tests/golden)"
	@echo "make site-check  open every page in headless Chromium, offline; screenshots in $(BUILD)/screenshots"
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

# jupyter-cache keys on a chapter's code only: when data/, metarmc/ or the book change, drop the
# execution cache and the Sphinx environment so every chapter is re-run and re-read.
inputs-check:
	@mkdir -p $(BUILD)
	@if ! $(PY) tools/inputs_hash.py --check $(INPUTS) 2>/dev/null; then \
	  echo "inputs-check: data/, metarmc/ or the book changed (or first build): clearing $(CACHE)"; \
	  rm -rf $(CACHE) $(BUILD)/.doctrees; \
	  $(PY) tools/inputs_hash.py --write $(INPUTS); \
	fi

book: $(STAMP)
	@$(MAKE) --no-print-directory inputs-check
	$(JB) build . --builder html $(JB_FLAGS)
	@echo "book: open $(BUILD)/html/index.html"

test: book
	@$(PY) -c "import matplotlib.font_manager" >/dev/null
	$(PY) -m pytest tests book metarmc --doctest-modules --nbval --nbval-sanitize-with tests/golden/sanitize.cfg $(PYTEST_ARGS)

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
