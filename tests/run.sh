#!/usr/bin/env bash
# Install what the tests need and run every test: lint; the unit tests and doctests on
# TensorFlow, the model code's unit tests again on JAX and on PyTorch; the notebooks in quick
# mode under nbval; the package as a user gets it (sdist and wheel built and checked, the wheel
# installed into its own venv and imported); and the unit tests against the versions Google
# Colab ships (constraints/colab.txt), in that venv.
#
# Each thing runs once: doctests, the backend-free tests (packaging, notebooks' shape and
# outputs, README figures, architecture) and the tests marked `slow` (training for seconds) run
# on TensorFlow only. The wheel's venv installs in the background while the tests run.
#
# Tests never download. The corpora come from LMKERAS_DATA_DIR; when it is unset, this script
# first fetches them once (sha256-checked) into .data/ and points LMKERAS_DATA_DIR there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# PyTorch for the backend tests, CPU build. CI's package mirror serves this version as the CPU
# wheel; elsewhere install the CPU wheel first (README, "Picking a backend"), and this is a no-op.
TORCH=${TORCH:-torch==2.13.0}
export LMKERAS_QUICK=1 TF_CPP_MIN_LOG_LEVEL=3 PIP_DISABLE_PIP_VERSION_CHECK=1
step() { printf '\n=== %s (%ss)\n' "$1" "$SECONDS"; }
# The model code (layers, models, recipes, sampling, training, saving, KerasHub glue): what
# the backend changes. Everything else (text, data, datasets, metrics, notebooks' shape and
# outputs, packaging, distribution's child processes, doctests, `slow` tests) runs once, on
# TensorFlow.
MODEL_CODE=(
  tests/layers tests/models tests/recipes tests/test_sampling.py tests/test_training.py
  tests/test_saving.py tests/test_hub.py
)
# Colab's versions also change the data loaders (keras.utils.get_file) and the tokenizers.
COLAB=("${MODEL_CODE[@]}" tests/datasets tests/test_data.py tests/test_text.py tests/test_bpe.py)

step "install: .venv with the package, its test tools and PyTorch"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e ".[test]" "$TORCH"

# In the background while the tests run: the package as a user gets it. The sdist and the wheel
# are built and checked, and the wheel is installed, with Colab's versions (constraints/colab.txt),
# into .venv-colab (new in a fresh clone), then imported from outside the repository. The same
# environment then runs the unit tests on Colab's versions: one install serves both checks.
(
  rm -rf dist && mkdir dist
  .venv/bin/python -m build --outdir dist . >dist/build.log 2>&1 || { cat dist/build.log; exit 1; }
  .venv/bin/twine check --strict dist/*.whl dist/*.tar.gz
  wheel=$(ls dist/lmkeras-*.whl)
  [ -x .venv-colab/bin/python ] || "$PYTHON" -m venv .venv-colab
  .venv-colab/bin/python -m pip install -q -c constraints/colab.txt "$wheel[test]"
  # This build's files even when the version number did not change since the last run:
  .venv-colab/bin/python -m pip install -q --force-reinstall --no-deps "$wheel"
  cd / && "$OLDPWD/.venv-colab/bin/python" -c "import lmkeras, sys; \
assert lmkeras.__file__.startswith(sys.prefix), lmkeras.__file__; \
print('wheel', lmkeras.__version__, 'installed and imported from', sys.prefix)"
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

step "unit tests, doctests and backend-free tests: TensorFlow backend"
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q

# The JAX and PyTorch runs go in the background beside the notebooks (separate processes, no
# shared files: the notebooks write runs/, the tests temporary folders), so both cores work.
step "unit tests of the model code on JAX, then on PyTorch (not the slow ones), in the background"
(
  KERAS_BACKEND=jax .venv/bin/python -m pytest -q -m "not slow" "${MODEL_CODE[@]}"
  KERAS_BACKEND=torch .venv/bin/python -m pytest -q -m "not slow" "${MODEL_CODE[@]}"
) >.backends.log 2>&1 &
backends=$!

step "notebooks: quick mode under nbval"
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -q --nbval-lax --nbval-current-env \
  -p no:cacheprovider notebooks

step "unit tests of the model code on JAX and PyTorch: results"
if ! wait "$backends"; then
  cat .backends.log
  exit 1
fi
grep -E "(passed|failed)" .backends.log

step "the wheel and Colab's versions: built, checked, installed; unit tests (not the slow ones)"
if ! wait "$colab_install"; then
  cat .venv-colab.log
  exit 1
fi
grep -E "^(Checking|wheel)" .venv-colab.log
.venv-colab/bin/python -c "import keras, tensorflow; print('keras', keras.__version__, 'tensorflow', tensorflow.__version__)"
KERAS_BACKEND=tensorflow .venv-colab/bin/python -m pytest -q -m "not slow" "${COLAB[@]}"

step "all green"
