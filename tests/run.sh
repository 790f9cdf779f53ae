#!/usr/bin/env bash
# Sets up and runs the whole test suite: the newest releases (openai 3.x, SDK latest) installed from
# a wheel build, the oldest supported releases (SDK 1.36, openai 2.0) and the first SDK with the
# on-ending hook (1.40, openai 2.x) installed editable. Each leg gets its own virtualenv.
#
#   bash tests/run.sh            all legs
#   bash tests/run.sh newest     one leg (newest | oldest | on-ending)
#   bash tests/run.sh openai-suite   opt-in, not in the default legs (about 10 min on a loaded 2-core
#                                    machine): openai-python's own suite plain and instrumented, compared
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENVS="${OTEL_CARBON_TEST_VENVS:-.venv-test}"
legs=("${@:-newest oldest on-ending}")
read -r -a legs <<<"${legs[*]}"

# Prometheus 2.42 and promtool (Debian package `prometheus`) for tests/ops: the rules' unit tests and
# the live dashboard test. Installed once, as root; without them those tests are skipped. The
# package's service must not start (it would listen on 0.0.0.0:9090): a policy-rc.d denies service
# starts during the install (containers usually have one already), and on a systemd host the unit
# the package enables is disabled again. --no-install-recommends skips prometheus-node-exporter.
ensure_prometheus() {
    if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "=== prometheus/promtool missing and not root with apt-get: tests/ops Prometheus tests will be skipped" >&2
        return 0
    fi
    echo "=== installing Debian's prometheus (promtool) for tests/ops"
    local policy=/usr/sbin/policy-rc.d added=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
    fi
    local status=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } || status=$?
    if [ -n "$added" ]; then rm -f "$policy"; fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    fi
    return "$status"
}
ensure_prometheus

run_leg() {
    local leg=$1 venv="$VENVS/$1"
    if [ "$leg" = openai-suite ]; then
        echo "=== openai-python's test suite under the instrumentation"
        OPENAI_SUITE_VENV="$venv" bash tests/openai_suite/run.sh
        return
    fi
    echo "=== test leg: $leg"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    case "$leg" in
        newest) "$venv/bin/python" -m pip install --quiet ".[test]" ;;
        oldest | on-ending) "$venv/bin/python" -m pip install --quiet -c "tests/constraints/$leg.txt" -e ".[test]" ;;
        *) echo "unknown leg: $leg" >&2; return 2 ;;
    esac
    "$venv/bin/python" -m pip list 2>/dev/null | grep -E '^(openai|opentelemetry-sdk|wrapt) ' | tr -s ' ' | paste -sd ';' -
    local slow=
    if [ "$leg" = newest ]; then
        "$venv/bin/ruff" check .
        "$venv/bin/ruff" format --check .
        slow=1 # the 20-s outage delivery test runs in this leg only
    fi
    OTEL_CARBON_SLOW_TESTS="$slow" "$venv/bin/pytest" -q
}

for leg in "${legs[@]}"; do
    run_leg "$leg"
done
