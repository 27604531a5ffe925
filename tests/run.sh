#!/usr/bin/env bash
# Install what the tests need and run every test: lint, unit tests and doctests on the
# TensorFlow and JAX backends, the notebooks in quick mode under nbval, and the unit tests again
# against the versions Google Colab ships (constraints/colab.txt).
#
# Tests never download. The corpora come from LMKERAS_DATA_DIR; when it is unset, this script
# first fetches them once (sha256-checked) into .data/ and points LMKERAS_DATA_DIR there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export LMKERAS_QUICK=1 TF_CPP_MIN_LOG_LEVEL=2 PIP_DISABLE_PIP_VERSION_CHECK=1
step() { printf '\n=== %s (%ss)\n' "$1" "$SECONDS"; }

step "install: .venv with the package and its test tools"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e ".[test]"

# The Colab environment installs in the background while the main suite runs.
(
  [ -x .venv-colab/bin/python ] || "$PYTHON" -m venv .venv-colab
  .venv-colab/bin/python -m pip install -q -c constraints/colab.txt -e ".[test]"
) >.venv-colab.log 2>&1 &
colab_install=$!

if [ -z "${LMKERAS_DATA_DIR:-}" ]; then
  step "data: fetching the corpora into .data/ (once)"
  .venv/bin/python -m lmkeras.data download .data
  export LMKERAS_DATA_DIR="$PWD/.data"
fi

step "lint: ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "unit tests and doctests: TensorFlow backend"
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q

step "unit tests and doctests: JAX backend"
KERAS_BACKEND=jax .venv/bin/python -m pytest -q

step "notebooks: quick mode under nbval"
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q --nbval-lax --nbval-current-env \
  -p no:cacheprovider notebooks

step "unit tests and doctests: Colab's versions (constraints/colab.txt)"
if ! wait "$colab_install"; then
  cat .venv-colab.log
  exit 1
fi
.venv-colab/bin/python -c "import keras, tensorflow; print('keras', keras.__version__, 'tensorflow', tensorflow.__version__)"
KERAS_BACKEND=tensorflow .venv-colab/bin/python -m pytest -q

step "all green"
