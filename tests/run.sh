#!/usr/bin/env bash
# Install what the tests need and run every test: lint; the notebooks (quick mode, under nbval),
# doctests, recipes and backend-free tests on the newest TensorFlow; the model code's unit tests
# on JAX and on PyTorch (newest versions) and on TensorFlow with the versions Google Colab ships
# (constraints/colab.txt, the oldest the package supports), in a venv holding the package as a
# user gets it (sdist and wheel built and checked, the wheel installed and imported).
#
# Each thing runs once per backend: doctests, the backend-free tests (packaging, notebooks'
# shape and outputs, README figures, architecture), the bad-input tables, the notebooks and the
# tests marked `slow` (training for seconds) run on TensorFlow only, and the tests marked
# `versioned` (tests/conftest.py) run on TensorFlow once, on Colab's versions: the newest
# versions run them on JAX and PyTorch, and run every notebook on TensorFlow. Every pytest step
# runs on both cores (pytest-xdist, -n 2), one step after another; Colab's venv installs in the
# background while .venv installs, and the wheel is built, checked and installed into it while
# the tests run.
#
# Tests never download. The corpora come from LMKERAS_DATA_DIR; when it is unset, this script
# first fetches them once (sha256-checked) into .data/ and points LMKERAS_DATA_DIR there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# PyTorch for the backend tests, CPU build. CI's package mirror serves this version as the CPU
# wheel; elsewhere install the CPU wheel first (README, "Picking a backend"), and this is a no-op.
TORCH=${TORCH:-torch==2.13.0}
# pytest workers per step: CI's machine has 2 cores.
WORKERS=${WORKERS:-2}
# Each worker gets its share of the cores for TensorFlow's and PyTorch's thread pools (intra-op
# threads, OpenMP), instead of both workers sizing theirs to the whole machine. Measured on the
# 2-core CI machine (2026-12-03, one thread each against the defaults): TensorFlow, 4 files of
# tests/models, 222 s against 266 s (inter-op threads also 1 then); PyTorch, tests/models and
# sampling, 61 s against 104 s; JAX gained nothing (172 s against 161 s) and keeps its defaults.
# Inter-op threads stay at TensorFlow's default: one alone can deadlock ops that wait on others.
THREADS=$(($(nproc) / WORKERS > 0 ? $(nproc) / WORKERS : 1))
SHARE=(env TF_NUM_INTRAOP_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS")
export LMKERAS_QUICK=1 TF_CPP_MIN_LOG_LEVEL=3 PIP_DISABLE_PIP_VERSION_CHECK=1
step() { printf '\n=== %s (%ss)\n' "$1" "$SECONDS"; }
# The model code (layers, models, sampling, training, saving, KerasHub glue): what the backend
# changes, and the one recipe test written for every backend (a tiny translator trained and
# translating). Everything else (the recipes, which only compose the model code; text, data,
# datasets, metrics, notebooks' shape and outputs, the notebooks themselves, packaging,
# distribution's child processes, doctests, `slow` tests) runs once, on TensorFlow. Heaviest
# folders first, so the two workers finish together.
MODEL_CODE=(
  tests/models tests/test_sampling.py tests/test_saving.py tests/layers tests/test_training.py
  tests/recipes/test_translation_backends.py tests/test_hub.py tests/test_backend.py
)
# Every pytest step: both cores, and each file on one worker (a notebook's cells run in order in
# one kernel; a module's fixtures are built once, not once per worker).
XDIST=(-n "$WORKERS" --dist loadfile)
# The bad-input tables (tests/**/*_bad_inputs.py: the package's own argument checks, which run
# before any backend work) run once, on TensorFlow, not again in the other backends' steps.
ONCE=(--ignore-glob='*_bad_inputs.py')

step "install: .venv with the package, its test tools and PyTorch; .venv-colab beside it"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
[ -x .venv-colab/bin/python ] || "$PYTHON" -m venv .venv-colab
# uv installs these venvs about four times faster than pip (.venv: 49 s against about 220 s
# here, 2026-12-03). It does not read pip's configuration (indexes, local wheels, constraints:
# the CI machines serve PyTorch's CPU wheel that way), so tests/uv_flags.py passes it on. Where
# uv cannot be installed, or fails, pip installs instead.
UV_ENV=() UV_ARGS=()
if .venv/bin/python -m pip install -q uv >.venv/uv-install.log 2>&1 &&
  flags=$("$PYTHON" tests/uv_flags.py); then
  while IFS= read -r flag; do
    if [[ $flag == SSL_CERT_FILE=* ]]; then UV_ENV+=("$flag"); else UV_ARGS+=("$flag"); fi
  done <<<"$flags"
  # pip's resolver picks the newest release across all indexes; uv's default stops at the
  # first index that has the package.
  UV_ARGS+=(--index-strategy unsafe-best-match --compile-bytecode)
else
  echo "uv could not be installed (.venv/uv-install.log): pip installs instead" >&2
fi
# install VENV ARGS...: `pip install -q ARGS...` into VENV, through uv when it is there.
install() {
  local venv=$1 args=()
  shift
  for arg in "$@"; do args+=("${arg/#--force-reinstall/--reinstall}"); done
  if [ -x .venv/bin/uv ] && [ ${#UV_ARGS[@]} -gt 0 ]; then
    env "${UV_ENV[@]}" .venv/bin/uv pip install -q -p "$venv/bin/python" "${UV_ARGS[@]}" \
      "${args[@]}" && return
    echo "uv could not install into $venv: pip installs instead" >&2
  fi
  "$venv/bin/python" -m pip install -q "$@"
}
# In the background while .venv installs: Colab's versions of the package's dependencies and
# test tools, into .venv-colab (the wheel itself comes once it is built, below).
(
  "$PYTHON" -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["test"]))' >.venv-colab/deps.txt &&
    install .venv-colab -c constraints/colab.txt -r .venv-colab/deps.txt
) >.venv-colab.log 2>&1 &
colab_deps=$!
# Both byte-compile what they install (pip by default, uv with --compile-bytecode). Keep it:
# where PYTHONDONTWRITEBYTECODE is set (as on the course's machines), a venv installed without
# it makes every test process compile TensorFlow's modules again (CI took 2,184 s with pip's
# --no-compile and the bad-input tables run once, against 1,423 s before either, 2026-12-02).
install .venv -e ".[test]" "$TORCH"

# In the background while the tests run: the package as a user gets it. The sdist and the wheel
# are built and checked, and the wheel is installed, with Colab's versions (constraints/colab.txt),
# into .venv-colab, then imported from outside the repository. The same environment then runs the
# unit tests on Colab's versions: one install serves both checks.
(
  rm -rf dist && mkdir dist
  .venv/bin/python -m build --outdir dist . >dist/build.log 2>&1 || { cat dist/build.log; exit 1; }
  .venv/bin/twine check --strict dist/*.whl dist/*.tar.gz
  wheel=$(ls dist/lmkeras-*.whl)
  # After the early install (not a child of this subshell, so no `wait`); were it to fail,
  # this install would still install whatever is missing.
  while kill -0 "$colab_deps" 2>/dev/null; do sleep 2; done
  install .venv-colab -c constraints/colab.txt "$wheel[test]"
  # This build's files even when the version number did not change since the last run:
  install .venv-colab --force-reinstall --no-deps "$wheel"
  cd / && "$OLDPWD/.venv-colab/bin/python" -c "import lmkeras, sys; \
assert lmkeras.__file__.startswith(sys.prefix), lmkeras.__file__; \
print('wheel', lmkeras.__version__, 'installed and imported from', sys.prefix)"
) >>.venv-colab.log 2>&1 &
colab_install=$!

if [ -z "${LMKERAS_DATA_DIR:-}" ]; then
  step "data: fetching the corpora into .data/ (once)"
  .venv/bin/python -m lmkeras.data download .data
  export LMKERAS_DATA_DIR="$PWD/.data"
fi

step "lint: ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

# One run for the notebooks, the unit tests and the doctests, so both workers stay busy to the
# end. In quick mode no notebook reads another's files, and each writes its own under runs/.
step "notebooks (quick mode, nbval), recipes, slow tests, doctests, the rest: newest TensorFlow"
# --durations: the slowest tests and notebook cells, printed for whoever next cuts CI's time.
# The JAX child processes of test_distribution and notebook 13 run a few steps of tiny
# programs: XLA's optimisation passes cost them more than they save (29 s against 20 s, here).
"${SHARE[@]}" KERAS_BACKEND=tensorflow JAX_DISABLE_MOST_OPTIMIZATIONS=1 .venv/bin/python -m pytest \
  -q "${XDIST[@]}" --durations=25 -m "slow or not versioned" --nbval-lax --nbval-current-env \
  notebooks tests lmkeras

# JAX compiles each jitted step and each eager op with XLA, and the same small programs recur
# from test to test (the same tiny models, shapes and ops): both workers share one compilation
# cache, new each run, so each program compiles once. The tests' programs are tiny and run once,
# so XLA's optimisation passes cost more than they save: JAX_DISABLE_MOST_OPTIMIZATIONS skips
# them (tests/models: 191 s against 231 s with LLVM at -O0 and about 300 s by default, here).
step "unit tests of the model code on JAX (not the slow ones)"
rm -rf .venv/jax-cache
KERAS_BACKEND=jax JAX_COMPILATION_CACHE_DIR="$PWD/.venv/jax-cache" JAX_DISABLE_MOST_OPTIMIZATIONS=1 \
  JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=0 \
  .venv/bin/python -m pytest -q "${XDIST[@]}" --durations=15 -m "not slow" "${ONCE[@]}" \
  "${MODEL_CODE[@]}"

step "unit tests of the model code on PyTorch (not the slow ones)"
"${SHARE[@]}" KERAS_BACKEND=torch .venv/bin/python -m pytest -q "${XDIST[@]}" -m "not slow" "${ONCE[@]}" "${MODEL_CODE[@]}"

step "the wheel and Colab's versions: built, checked, installed; versioned unit tests (not slow)"
if ! wait "$colab_install"; then
  cat .venv-colab.log
  exit 1
fi
grep -E "^(Checking|wheel)" .venv-colab.log
.venv-colab/bin/python -c "import keras, tensorflow; print('keras', keras.__version__, 'tensorflow', tensorflow.__version__)"
"${SHARE[@]}" KERAS_BACKEND=tensorflow .venv-colab/bin/python -m pytest -q "${XDIST[@]}" \
  -m "versioned and not slow" tests

step "all green"
