#!/usr/bin/env bash
# Sets up and runs the whole test suite: the newest releases (openai 3.x, SDK latest) installed from
# a wheel build, the oldest supported releases (SDK 1.36, openai 2.0) and the first SDK with the
# on-ending hook (1.40, openai 2.x) installed editable. Each leg gets its own virtualenv.
#
#   bash tests/run.sh            all legs
#   bash tests/run.sh newest     one leg (newest | oldest | on-ending)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENVS="${OTEL_CARBON_TEST_VENVS:-.venv-test}"
legs=("${@:-newest oldest on-ending}")
read -r -a legs <<<"${legs[*]}"

run_leg() {
    local leg=$1 venv="$VENVS/$1"
    echo "=== test leg: $leg"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    case "$leg" in
        newest) "$venv/bin/python" -m pip install --quiet ".[test]" ;;
        oldest | on-ending) "$venv/bin/python" -m pip install --quiet -c "tests/constraints/$leg.txt" -e ".[test]" ;;
        *) echo "unknown leg: $leg" >&2; return 2 ;;
    esac
    "$venv/bin/python" -m pip list 2>/dev/null | grep -E '^(openai|opentelemetry-sdk|wrapt) ' | tr -s ' ' | paste -sd ';' -
    if [ "$leg" = newest ]; then
        "$venv/bin/ruff" check . && "$venv/bin/ruff" format --check .
    fi
    "$venv/bin/pytest" -q
}

for leg in "${legs[@]}"; do
    run_leg "$leg"
done
