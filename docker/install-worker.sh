#!/bin/sh
# Install flamingo-data from its sdist the way a Beam worker does for `--setup_file` (Beam's
# container boot runs `pip install workflow.tar.gz`, build isolation on, no extras), then check
# the install: the compiled helpers import, the CLI answers, and no torch came with it.
#
#   sh docker/install-worker.sh dist/flamingo_data-0.1.0.tar.gz    # PYTHON=... picks the interpreter
#
# The Dockerfile beside this script runs it to bake the package into an --sdk_container_image, and
# tests/test_packaging.py runs it into a clean venv, so the image and the test install alike.
set -eu
PYTHON="${PYTHON:-python}"
"$PYTHON" -m pip install --disable-pip-version-check "$1"
"$PYTHON" -c "import crawlers.html._fastdom, crawlers.html._langid"
"$PYTHON" -m pipeline.cli --version
if "$PYTHON" -m pip show torch >/dev/null 2>&1; then
    echo "install-worker.sh: torch was installed: the data install must not pull it" >&2
    exit 1
fi
