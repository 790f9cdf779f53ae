"""collector-config/prometheus/rules.yml: valid, unit-tested rule by rule, thresholds on bucket edges."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from otel_carbon.processor.metrics import EMISSIONS_BUCKETS_G

PROMETHEUS_DIR = Path(__file__).parents[2] / "collector-config" / "prometheus"
RULES = PROMETHEUS_DIR / "rules.yml"
RULES_TEST = PROMETHEUS_DIR / "rules_test.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package prometheus; tests/run.sh installs it as root)"
)


def rule_names(kind: str) -> list[str]:
    return re.findall(rf"^\s*- {kind}: (\S+)$", RULES.read_text(), flags=re.MULTILINE)


def threshold(name: str) -> float:
    match = re.search(rf"- record: otel_carbon:threshold:{name}\n\s+expr: vector\(([0-9.]+)\)", RULES.read_text())
    assert match, name
    return float(match.group(1))


@needs_promtool
def test_rules_pass_promtool_check() -> None:
    result = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_rules_pass_their_unit_tests() -> None:
    result = subprocess.run(
        [PROMTOOL, "test", "rules", RULES_TEST.name],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", rule_names("record"))
def test_every_recording_rule_is_unit_tested(name: str) -> None:
    assert re.search(rf"expr: [^\n]*{re.escape(name)}\b", RULES_TEST.read_text()), name


@pytest.mark.parametrize("name", rule_names("alert"))
def test_every_alert_is_unit_tested_firing_and_silent(name: str) -> None:
    text = RULES_TEST.read_text()
    case = rf"alertname: {name},?\s+eval_time: [^\s,]+,?\s+exp_alerts:"
    silent = re.findall(case + r" \[\]", text)
    firing = re.findall(case + r"\s+- exp_labels", text)
    assert silent and firing, name


@pytest.mark.parametrize("name", ["emissions_per_call_mean_grams", "emissions_per_call_p95_grams"])
def test_per_call_thresholds_sit_on_emissions_bucket_edges(name: str) -> None:
    assert threshold(name) in EMISSIONS_BUCKETS_G
