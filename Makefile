# The course's commands. `make lab` sets up and opens the course; `make test` runs every test.
# `make setup PYTHON=python3.12` (or a path, e.g. ~/.pyenv/versions/3.13.0/bin/python3) picks the
# Python the course's environment is made from: CPython 3.11.5 to 3.13.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements/lock.txt
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
HOST   ?= 127.0.0.1
PORT   ?= 8888
BROWSER_FLAG ?= $(if $(DISPLAY),,--no-browser)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=
# Python writes its bytecode caches (__pycache__/*.pyc) for what make runs, even where the shell
# sets PYTHONDONTWRITEBYTECODE: without them every process compiles what it imports again
# (importing Keras and TensorFlow took 7.7 s here, against 3.1 s with the caches), and the
# tests start about 50 kernels and workers that import them
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup check-python trust lab test test-package check-backend test-keras test-browser html bench clean

setup: $(STAMP) $(LAB_OVERRIDES) trust

# the Python named by PYTHON= must exist and be 3.11.5 to 3.13 (the pins in $(LOCK) need it)
check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: no Python called '$(PYTHON)'." \
	  "Name one with: make setup PYTHON=python3.12 (CPython 3.11.5 to 3.13)"; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info; ok = (3, 11, 5) <= v[:3] < (3, 14); \
	  ok or print(f"make: $(PYTHON) is Python {v.major}.{v.minor}.{v.micro}; the course needs" \
	  " CPython 3.11.5 to 3.13. Name another with: make setup PYTHON=python3.12"); sys.exit(not ok)'

# Installs the exact versions of $(LOCK) (see requirements/lock.py). A venv left without the
# stamp (an install that failed or was interrupted) is removed first, and a failed install
# removes the venv, so the next `make setup PYTHON=...` starts clean. --no-compile: pip would
# byte-compile all ~10,000 modules one by one (~23 s of CPU); Python compiles, once, only those
# that are imported (and writes their caches: see `unexport` above).
$(STAMP): pyproject.toml $(LOCK)
	@if [ -d $(VENV) ] && [ ! -f $(STAMP) ]; then \
	  echo "removing $(VENV): its last install did not finish"; rm -rf $(VENV); fi
	@if [ ! -x $(BIN)/python ]; then \
	  $(MAKE) --no-print-directory check-python PYTHON='$(PYTHON)' && \
	  echo "$(PYTHON) -m venv $(VENV)" && \
	  { $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; }; fi
	$(BIN)/python -m pip install --upgrade pip && \
	  $(BIN)/python -m pip install -c $(LOCK) -e '.[all]' --no-compile \
	  || { echo "make: the install failed; removing $(VENV) so that the next make starts clean"; \
	       rm -rf $(VENV); exit 1; }
	touch $(STAMP)

# the course's JupyterLab settings (no news pop-up, no update check), in the venv's app settings
$(LAB_OVERRIDES): jupyter/overrides.json $(STAMP)
	mkdir -p $(dir $@) && cp jupyter/overrides.json $@

# the shipped notebooks are the course's own outputs: trust them (no "not trusted" warning)
trust: $(STAMP)
	$(BIN)/jupyter trust notebooks/*.ipynb >/dev/null

lab: $(STAMP) $(LAB_OVERRIDES) trust
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=$(HOST) --port=$(PORT) $(BROWSER_FLAG) $(ROOT_FLAG)

# Everything, each notebook executed once, in three steps that each use every core and run one
# after the other (run side by side, the package tests and the browser suite took 583 s here
# on 2 cores; one after the other about 80 s + 361 s: on 2 cores they only slow each other):
#  1. the package tests and Keras cross-checks, one pytest-xdist worker per core;
#  2. the browser suite (tests/browser: each chapter opened in JupyterLab, checked as stored,
#     Run All, then each explorer moved; one JupyterLab server, Chromium and page per worker, one
#     worker more than there are cores (a worker waits on its page part of the time), at most
#     4, the longest chapter first), which records each chapter as Run All left it in
#     $(RECORDINGS);
#  3. nbval, comparing those recorded outputs with the stored ones (--nbval-replay, see
#     tools/nbval_replay.py: nbval's own comparison and sanitisers, on a run in the environment
#     nbval uses) instead of executing every notebook a second time (in one process: replaying
#     takes 3 s); a notebook with no recording (no Chromium, or its browser test failed before
#     recording) is executed by nbval, then on one worker per core.
# Each step prints its slowest tests; any of the three failing fails `make test`.
XDIST := -n auto --dist loadfile --no-loadscope-reorder
BROWSER_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n + 1 < 4 ? n + 1 : 4 )))
BROWSER_XDIST := -n $(BROWSER_WORKERS) --dist load --maxschedchunk=1
RECORDINGS := artifacts/executed
test: $(STAMP)
	@rm -rf $(RECORDINGS); \
	echo "----- 1/3 the package tests and Keras cross-checks -----"; \
	$(BIN)/python -m pytest tests $(XDIST) --ignore=tests/browser --durations=15 $(PYTEST_ARGS); \
	s1=$$?; echo; echo "----- 2/3 the browser suite: every chapter in JupyterLab -----"; \
	$(BIN)/python -m pytest tests/browser $(BROWSER_XDIST) --durations=5 $(PYTEST_ARGS); \
	s2=$$?; echo; echo "----- 3/3 nbval: the notebooks' outputs against the stored ones -----"; \
	rec=$$(ls $(RECORDINGS)/*.ipynb 2>/dev/null | wc -l); nbs=$$(ls notebooks/[0-9][0-9]_*.ipynb | wc -l); \
	echo "recorded by the browser suite: $$rec of $$nbs notebooks"; \
	if [ "$$rec" -eq "$$nbs" ]; then par="-p no:xdist"; else par="$(XDIST)"; fi; \
	$(BIN)/python -m pytest notebooks $$par --nbval-replay $(RECORDINGS) --durations=5 \
	  $(PYTEST_ARGS); \
	s3=$$?; echo "exit statuses (package, browser, nbval): $$s1 $$s2 $$s3"; \
	test $$s1 -eq 0 && test $$s2 -eq 0 && test $$s3 -eq 0

test-package: $(STAMP)
	$(BIN)/python -m pytest tests $(XDIST) --ignore=tests/browser --durations=10 $(PYTEST_ARGS)

# the Keras cross-checks under another Keras backend: make test-keras BACKEND=jax (or torch,
# tensorflow); installs that backend's extra (pyproject.toml) with the lock's versions first
BACKEND ?= tensorflow
check-backend:
	@case '$(BACKEND)' in tensorflow|jax|torch) ;; *) echo "make: BACKEND must be" \
	  "tensorflow, jax or torch, got '$(BACKEND)'"; exit 1;; esac

test-keras: check-backend $(STAMP)
	$(if $(filter-out tensorflow,$(BACKEND)),$(BIN)/python -m pip install -c $(LOCK) -e '.[$(BACKEND)]')
	KERAS_BACKEND=$(BACKEND) $(BIN)/python -m pytest tests -m keras $(XDIST) --ignore=tests/browser $(PYTEST_ARGS)

# every chapter in JupyterLab in the system Chromium (part of `make test` too)
test-browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser $(BROWSER_XDIST) $(PYTEST_ARGS)

# the static HTML edition of the executed chapters, in _site/ (open _site/index.html)
html: $(STAMP)
	$(BIN)/python tools/build_html.py --out _site

# times each notebook in a fresh kernel; stores benchmarks/notebook_times.json for the index
bench: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py

clean:
	rm -rf $(VENV) build *.egg-info _site artifacts

# scores your own copy of one or more chapters in a fresh kernel, with the notebooks' checkers:
# make grade NB=notebooks/mine/01_perceptron.ipynb (several: NB="a.ipynb b.ipynb");
# GRADE_ARGS=--solutions grades the model answers instead of yours. Exit status 0 whatever the
# score (a missing or unreadable notebook: 2); `python -m companion.grade` itself exits 1 when
# an exercise does not pass yet
NB ?=
GRADE_ARGS ?=
.PHONY: grade
grade: $(STAMP)
	@test -n '$(NB)' || { echo "make: name the notebook(s) to grade, e.g." \
	  "make grade NB=notebooks/mine/01_perceptron.ipynb"; exit 1; }
	@$(BIN)/python -m companion.grade $(GRADE_ARGS) $(NB) || test $$? -eq 1   # 1: not all pass yet
