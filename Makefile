# The two commands a person types on a fresh machine: `make demo` and `make test`.
# Each runs `setup` first; setup is idempotent and returns at once when nothing changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.setup-stamp

.PHONY: setup demo test bench lint clean airflow-venv browser

setup: $(STAMP) browser

# torch first and pinned: the CPU wheel lies on this machine's disk, and a bare `torch`
# requirement would pull a multi-GB CUDA build.
# `pip install -e` also compiles the Cython helpers in crawlers/html/ (setup.py) in place.
$(STAMP): pyproject.toml Makefile setup.py $(wildcard crawlers/html/*.pyx)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# Debian's chromium opens the reports in the tests (tests/browser.py). Where apt-get cannot install
# it (not root, no package index), say so once; those tests then skip with the same reason.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	  (DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1) || \
	  echo "chromium could not be installed (apt-get install chromium needs root); the browser tests will skip"

demo: setup
	$(VENV)/bin/flamingo demo --output out/demo

# The DAG tests load dags/ with Airflow's DagBag, so `test` builds the Airflow venv too and
# FLAMINGO_REQUIRE_AIRFLOW makes a missing one a failure rather than a skip; likewise
# FLAMINGO_REQUIRE_COMPILED for the compiled extractor (tests/crawlers/html/conftest.py).
test: setup airflow-venv
	FLAMINGO_REQUIRE_AIRFLOW=1 FLAMINGO_REQUIRE_COMPILED=1 $(VENV)/bin/pytest -q

bench: setup
	$(PIP) install -q -e '.[bench]'
	$(PIP) install -q --no-deps open-flamingo==2.0.1 einops-exts==0.0.4
	for b in bench/*.py; do m=$$(basename $$b .py); echo "== $$b"; $(PY) -m bench.$$m || exit 1; done

# Airflow lives in its own venv: dags/ must load without Beam, and Airflow's ~130 packages stay
# out of the build venv (install measured 4m42s on a loaded 2-core box, once; then a no-op).
AIRFLOW_VENV := .venv-airflow
airflow-venv: $(AIRFLOW_VENV)/.setup-stamp

$(AIRFLOW_VENV)/.setup-stamp: Makefile
	test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install -q 'apache-airflow>=3.0,<4'
	touch $@

LINTED := schemas crawlers filters pipeline flamingo demo dags bench tests
lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) out .pytest_cache
