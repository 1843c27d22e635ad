# The two commands a person types on a fresh machine: `make demo` and `make test`.
# Each runs `setup` first; setup is idempotent and returns at once when nothing changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.setup-stamp

.PHONY: setup demo test bench lint clean airflow-venv browser venv313 test313

setup: $(STAMP) browser

# torch first and pinned: the CPU wheel lies on this machine's disk, and a bare `torch`
# requirement would pull a multi-GB CUDA build. Then every extra but airflow and bench.
# `pip install -e` also compiles the Cython helpers in crawlers/html/ (setup.py) in place.
# img2dataset (the resizer parity test's peer) without its dependencies: it pins webdataset<0.3,
# and its resizer needs only OpenCV and albumentations (the dev extra).
$(STAMP): pyproject.toml Makefile setup.py $(wildcard crawlers/html/*.pyx)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[model,demo,dev]'
	$(PIP) install -q --no-deps img2dataset==1.47.0
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
# Then a quick data-side suite on Python 3.13 in its own venv (CI keeps 3.11 for the full suite).
# The Airflow venv installs beside the main one (it does not touch the tree; pip mostly waits on
# downloads); the 3.13 venv after it, as both editable installs write into the tree.
test:
	$(MAKE) --no-print-directory -j2 setup airflow-venv
	$(MAKE) --no-print-directory venv313
	FLAMINGO_REQUIRE_AIRFLOW=1 FLAMINGO_REQUIRE_COMPILED=1 $(VENV)/bin/pytest -q
	$(MAKE) --no-print-directory test313

bench: setup
	$(PIP) install -q -e '.[bench]'
	$(PIP) install -q --no-deps img2dataset==1.47.0 open-flamingo==2.0.1 einops-exts==0.0.4
	for b in bench/*.py; do m=$$(basename $$b .py); echo "== $$b"; $(PY) -m bench.$$m || exit 1; done

# Airflow lives in its own venv: dags/ must load without Beam, and Airflow's ~130 packages stay
# out of the build venv (install measured 4m42s on a loaded 2-core box, once; then a no-op).
AIRFLOW_VENV := .venv-airflow
airflow-venv: $(AIRFLOW_VENV)/.setup-stamp

# With the Beam and Google providers, whose operator lets Airflow track and cancel a Dataflow job
# (dags/beam_task.py); the DAGs fall back to a BashOperator where they are not installed.
$(AIRFLOW_VENV)/.setup-stamp: Makefile
	test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install -q --no-compile 'apache-airflow>=3.0,<4' 'apache-airflow-providers-apache-beam>=6.1' \
		'apache-airflow-providers-google>=10.0'
	touch $@

# Python 3.13: the package without the model side (no torch wheel for it here) plus the dev extra;
# editable, so its own compiled helpers (cp313) sit beside the 3.11 ones in crawlers/html/.
PY313 ?= $(firstword $(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13))
VENV313 := .venv313
venv313: $(VENV313)/.setup-stamp

$(VENV313)/.setup-stamp: pyproject.toml Makefile setup.py $(wildcard crawlers/html/*.pyx)
	@test -n "$(PY313)" || { echo "no python3.13 found: set PY313=/path/to/python3.13"; exit 1; }
	test -x $(VENV313)/bin/python || $(PY313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install -q --upgrade pip
	$(VENV313)/bin/python -m pip install -q -e '.[dev]'
	touch $@

# The data side on 3.13, the quick part: contracts, crawlers, filters, Beam I/O and steps, the CLI,
# and the pairs and m3w jobs end to end (tests/ marks nothing: these folders import no torch).
DATA_TESTS_313 := tests/schemas tests/crawlers tests/filters tests/pipeline/io tests/pipeline/steps \
	tests/pipeline/test_cli.py tests/pipeline/jobs/test_pairs.py tests/pipeline/jobs/test_m3w.py tests/test_layout.py
test313: venv313
	FLAMINGO_REQUIRE_COMPILED=1 $(VENV313)/bin/pytest -q -p no:cacheprovider $(DATA_TESTS_313)

LINTED := schemas crawlers filters pipeline flamingo demo dags bench tests
lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) $(VENV313) out .pytest_cache
