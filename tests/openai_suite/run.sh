#!/usr/bin/env bash
# openai-python's own test suite, plain and under otel-carbon's instrumentation, compared test by test.
#
# Downloads the source distribution of the openai version installed in the venv (it ships tests/),
# installs the suite's test dependencies from PyPI, runs the suite twice (plain, then with
# otel_carbon_suite_plugin.py instrumenting openai before the tests import it) and fails if any
# test's outcome differs. tests/api_resources is left out of both runs: those tests need Stainless's
# Prism mock server on 127.0.0.1:4010 (a Node tool, not on PyPI).
#
#   bash tests/openai_suite/run.sh                 # own venv in .venv-test/openai-suite
#   OPENAI_SUITE_VENV=.venv bash tests/openai_suite/run.sh   # reuse a venv with otel-carbon installed
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/openai_suite
venv="${OPENAI_SUITE_VENV:-${OTEL_CARBON_TEST_VENVS:-.venv-test}/openai-suite}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet ".[test]"
fi
# The suite's dev dependencies (its pyproject's [dependency-groups] dev, less the linters and type stubs)
# and the optional extras its tests import.
"$venv/bin/python" -m pip install --quiet pytest-asyncio pytest-xdist inline-snapshot rich trio Pillow griffe \
    dirty-equals "openai[realtime,aiohttp,bedrock,vertex]==$("$venv/bin/python" -c 'import openai; print(openai.__version__)')"
version=$("$venv/bin/python" -c 'import openai; print(openai.__version__)')
work="${OPENAI_SUITE_WORK:-$venv/openai-$version-sdist}"
if [ ! -d "$work/tests" ]; then
    rm -rf "$work" && mkdir -p "$work"
    "$venv/bin/python" -m pip download --quiet --no-binary :all: --no-deps "openai==$version" -d "$work"
    tar xzf "$work/openai-$version.tar.gz" -C "$work" --strip-components=1
fi
plugin_dir=$(cd "$here" && pwd)
reports=$(cd "$work" && pwd)
run_suite() {  # $1: report name; the rest: extra pytest arguments
    local name=$1
    shift
    # Exit status ignored: the comparison decides. -p no:cacheprovider keeps the sdist untouched.
    (cd "$work" && PYTHONPATH="$plugin_dir" "$OLDPWD/$venv/bin/python" -m pytest -q -p no:cacheprovider \
        -n "${OPENAI_SUITE_WORKERS:-2}" --durations=0 --ignore=tests/api_resources \
        --junitxml="$reports/$name.xml" "$@" >"$reports/$name.log" 2>&1) || true
    tail -n 3 "$reports/$name.log"
}
echo "=== openai-python $version test suite, plain"
time run_suite plain tests
echo "=== openai-python $version test suite, instrumented by otel-carbon"
time run_suite instrumented -p otel_carbon_suite_plugin tests
if "$venv/bin/python" "$here/compare_outcomes.py" "$reports/plain.xml" "$reports/instrumented.xml" \
    --write-node-ids "$reports/differing.txt" --suite-root "$reports"; then
    exit 0
fi
# Tests with timing deadlines fail now and then on a loaded machine: run the differing ones again,
# alone and serially, in both modes; only a difference that repeats fails the script.
mapfile -t differing <"$reports/differing.txt"
echo "=== running the ${#differing[@]} differing tests again, plain and instrumented"
OPENAI_SUITE_WORKERS=0 run_suite plain-again "${differing[@]}"
OPENAI_SUITE_WORKERS=0 run_suite instrumented-again -p otel_carbon_suite_plugin "${differing[@]}"
"$venv/bin/python" "$here/compare_outcomes.py" "$reports/plain-again.xml" "$reports/instrumented-again.xml"
