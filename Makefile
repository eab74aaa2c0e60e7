# The course's commands. `make lab` sets up and opens the course; `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8888
BROWSER_FLAG ?= $(if $(DISPLAY),,--no-browser)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=

.PHONY: setup lab test test-package test-browser html bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[all]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=$(HOST) --port=$(PORT) $(BROWSER_FLAG) $(ROOT_FLAG)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-package: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser $(PYTEST_ARGS)

# every chapter in JupyterLab in the system Chromium (part of `make test` too)
test-browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

# the static HTML edition of the executed chapters, in _site/ (open _site/index.html)
html: $(STAMP)
	$(BIN)/python tools/build_html.py --out _site

# times each notebook in a fresh kernel; stores benchmarks/notebook_times.json for the index
bench: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py

clean:
	rm -rf $(VENV) build *.egg-info _site artifacts
