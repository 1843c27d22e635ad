# The two commands a person types on a fresh machine: `make demo` and `make test`.
# Each runs `setup` first; setup is idempotent and returns at once when nothing changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.setup-stamp

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

# torch first and pinned: the CPU wheel lies on this machine's disk, and a bare `torch`
# requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/flamingo demo --output out/demo

test: setup
	$(VENV)/bin/pytest -q

bench: setup
	$(PIP) install -q -e '.[bench]'
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: setup
	$(VENV)/bin/ruff check schemas crawlers filters pipeline flamingo dags bench tests

clean:
	rm -rf $(VENV) out .pytest_cache
