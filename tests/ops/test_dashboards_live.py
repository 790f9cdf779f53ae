"""The Grafana dashboard and the Prometheus rules against a live Prometheus scraping a real workload.

The test is the data: ``workload.py`` (a subprocess) sends GenAI spans through the otel-carbon
processor and serves the metrics on 127.0.0.1; Prometheus (the Debian 2.42 binary, on 127.0.0.1,
a temporary data dir) scrapes it every second and evaluates ``rules.yml`` every second. Yesterday's
traffic of the heavy model is backfilled with ``promtool tsdb create-blocks-from openmetrics`` so
the day-over-day alert has something to compare with. The rules are loaded from a copy whose only
change is every ``for:`` set to 0s, so alerts fire within seconds rather than 10-30 minutes.

Every panel query (Grafana variables substituted) and every rule expression must return data, and
the alerts must fire for the over-threshold workload only. The dashboard's structure is checked
without Prometheus.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
DASHBOARD_PATH = ROOT / "collector-config" / "grafana" / "otel-carbon-sustainability.json"
RULES_PATH = ROOT / "collector-config" / "prometheus" / "rules.yml"
WORKLOAD = Path(__file__).with_name("workload.py")
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
JOB = "otel-carbon-workload"
HEAVY_MODEL = "gpt-4o"
RARE_MODEL = "o1"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# What Grafana would put in place of its variables for a dashboard looking at the last hour.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$job": ".*"}
EXPECTED_ALERTS: dict[str, dict[str, str]] = {
    "OtelCarbonModelEmissionsPerCallHigh": {"otel_carbon_model": HEAVY_MODEL},
    "OtelCarbonAgentEmissionsPerCallHigh": {"gen_ai_agent_name": "researcher"},
    "OtelCarbonModelEmissionsPerCallP95High": {"otel_carbon_model": HEAVY_MODEL},
    "OtelCarbonDailyEmissionsBudgetExceeded": {},
    "OtelCarbonEmissionsPerCallDayOverDayRegression": {"otel_carbon_model": HEAVY_MODEL},
}
WORKLOAD_SECONDS = 45
STARTUP_TIMEOUT = 15.0
ALERTS_TIMEOUT = 35.0

DASHBOARD: dict[str, Any] = json.loads(DASHBOARD_PATH.read_text())
PANELS: list[dict[str, Any]] = DASHBOARD["panels"]
PANEL_QUERIES = [
    pytest.param(target["expr"], id=f"{panel['id']}-{panel['title']}-{target['refId']}")
    for panel in PANELS
    for target in panel["targets"]
]
RULE_NAMES = re.findall(r"^\s*- (?:record|alert): (\S+)$", RULES_PATH.read_text(), flags=re.MULTILINE)

needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="prometheus/promtool not installed (Debian package prometheus; tests/run.sh installs it as root)",
)


def grafana_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unsubstituted Grafana variable in {expr}"
    return expr


# --- Dashboard structure (no Prometheus needed) ---------------------------------------------


def test_every_panel_and_query_uses_the_datasource_variable() -> None:
    offenders = [panel["title"] for panel in PANELS if panel.get("datasource") != DATASOURCE]
    offenders += [
        f"{panel['title']}/{target['refId']}"
        for panel in PANELS
        for target in panel["targets"]
        if target.get("datasource") != DATASOURCE
    ]
    assert offenders == []


def test_datasource_variable_selects_a_prometheus_source() -> None:
    variables = {variable["name"]: variable for variable in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["job"]["datasource"] == DATASOURCE


def test_panel_ids_are_unique() -> None:
    ids = [panel["id"] for panel in PANELS]
    assert len(ids) == len(set(ids))


def test_panels_fit_the_24_column_grid() -> None:
    for panel in PANELS:
        grid = panel["gridPos"]
        assert set(grid) == {"h", "w", "x", "y"}, panel["title"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


def test_panels_do_not_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in PANELS:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_equivalents_cite_their_sources() -> None:
    equivalents = [panel for panel in PANELS if "equivalent" in panel["title"].lower()]
    assert len(equivalents) == 2
    assert all("EPA" in panel["description"] for panel in equivalents)


@needs_prometheus
def test_every_panel_query_parses(tmp_path: Path) -> None:
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for number, param in enumerate(PANEL_QUERIES):
        rules += [
            f"      - record: dashboard:query_{number}",
            f"        expr: {json.dumps(grafana_to_promql(param.values[0]))}",
        ]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text("\n".join(rules) + "\n")
    result = subprocess.run([str(PROMTOOL), "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- Live Prometheus --------------------------------------------------------------------------


@dataclass
class Live:
    url: str
    stand_ins: list[str]
    log: Path

    def api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return self.api("/api/v1/query", query=expr)["result"]

    def firing(self) -> list[dict[str, str]]:
        return [alert["labels"] for alert in self.api("/api/v1/alerts")["alerts"] if alert["state"] == "firing"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def write_yesterday(path: Path, now: float) -> None:
    """The heavy model at 1 g per call, one call every 15 s, in the hour before this time yesterday."""
    labels = (
        f'job="{JOB}",instance="yesterday",otel_carbon_component="llm",gen_ai_provider_name="openai",'
        f'otel_carbon_model="{HEAVY_MODEL}",otel_carbon_region="WORLD",gen_ai_agent_name="researcher"'
    )
    lines = ["# TYPE otel_carbon_emissions_grams histogram"]
    yesterday = int(now) - 86400
    for calls, timestamp in enumerate(range(yesterday - 65 * 60, yesterday - 60, 15), start=1):
        lines += [
            f'otel_carbon_emissions_grams_bucket{{{labels},le="1.0"}} {calls} {timestamp}',
            f'otel_carbon_emissions_grams_bucket{{{labels},le="+Inf"}} {calls} {timestamp}',
            f"otel_carbon_emissions_grams_count{{{labels}}} {calls} {timestamp}",
            f"otel_carbon_emissions_grams_sum{{{labels}}} {float(calls)} {timestamp}",
        ]
    path.write_text("\n".join([*lines, "# EOF"]) + "\n")


def start_workload(log: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(WORKLOAD), str(WORKLOAD_SECONDS)], stdout=subprocess.PIPE, stderr=stderr, env=env
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
    line = process.stdout.readline() if ready else b""
    if not line:
        stop(process)
        pytest.fail(f"workload did not start: {log.read_text()[-2000:]}")
    return process, json.loads(line)


def wait_until_ready(live: Live, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{live.url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"Prometheus did not become ready: {live.log.read_text()[-2000:]}")


def wait_for_alerts(live: Live) -> None:
    deadline = time.monotonic() + ALERTS_TIMEOUT
    while time.monotonic() < deadline:
        if set(EXPECTED_ALERTS) <= {labels["alertname"] for labels in live.firing()}:
            return
        time.sleep(0.5)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if PROMETHEUS is None or PROMTOOL is None:
        pytest.skip("prometheus/promtool not installed (Debian package prometheus; tests/run.sh installs it as root)")
    directory = tmp_path_factory.mktemp("prometheus")
    data = directory / "data"
    write_yesterday(directory / "yesterday.om", time.time())
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(directory / "yesterday.om"), str(data)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    rules = directory / "rules.yml"
    rules.write_text(re.sub(r"^(\s+for: )\S+$", r"\g<1>0s", RULES_PATH.read_text(), flags=re.MULTILINE))
    workload, ready = start_workload(directory / "workload.log")
    prometheus: subprocess.Popen[bytes] | None = None
    try:
        config = directory / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
            f"rule_files: [{json.dumps(str(rules))}]\n"
            "scrape_configs:\n"
            f"  - job_name: {JOB}\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{ready['port']}']}}]\n"
        )
        log = directory / "prometheus.log"
        port = free_port()
        with log.open("wb") as stderr:
            prometheus = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={data}",
                    "--storage.tsdb.retention.time=3d",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        result = Live(f"http://127.0.0.1:{port}", ready["stand_ins"], log)
        if result.stand_ins:
            warnings.warn(f"the processor does not export {result.stand_ins} yet; the workload stood in", stacklevel=1)
        wait_until_ready(result, prometheus)
        wait_for_alerts(result)
        yield result
    finally:
        if prometheus is not None:
            stop(prometheus)
        stop(workload)


@needs_prometheus
@pytest.mark.parametrize("expr", PANEL_QUERIES)
def test_panel_query_returns_data(live: Live, expr: str) -> None:
    result = live.query(grafana_to_promql(expr))
    assert any(math.isfinite(float(sample["value"][1])) for sample in result), result


@needs_prometheus
def test_job_variable_lists_the_workload(live: Live) -> None:
    assert JOB in live.api("/api/v1/label/job/values", **{"match[]": "otel_carbon_emissions_grams_count"})


@needs_prometheus
@pytest.mark.parametrize("name", RULE_NAMES)
def test_rule_expression_returns_data(live: Live, name: str) -> None:
    loaded = {rule["name"]: rule["query"] for group in live.api("/api/v1/rules")["groups"] for rule in group["rules"]}
    result = live.query(loaded[name])
    assert any(math.isfinite(float(sample["value"][1])) for sample in result), result


@needs_prometheus
@pytest.mark.parametrize("alertname", sorted(EXPECTED_ALERTS))
def test_alert_fires_for_the_over_threshold_workload(live: Live, alertname: str) -> None:
    labels = [alert for alert in live.firing() if alert["alertname"] == alertname]
    assert labels, live.firing()
    assert all(alert.get(key) == value for alert in labels for key, value in EXPECTED_ALERTS[alertname].items())


@needs_prometheus
def test_models_under_the_threshold_do_not_alert(live: Live) -> None:
    models = {alert["otel_carbon_model"] for alert in live.firing() if "otel_carbon_model" in alert}
    assert models == {HEAVY_MODEL}


@needs_prometheus
def test_traffic_guard_keeps_a_rarely_used_over_threshold_model_silent(live: Live) -> None:
    query = (
        f'job_model:otel_carbon_emissions_grams_per_call:mean15m{{otel_carbon_model="{RARE_MODEL}"}}'
        " > on () group_left () otel_carbon:threshold:emissions_per_call_mean_grams"
    )
    deadline = time.monotonic() + 15  # the rare calls come two seconds apart: wait for a rate to exist
    while not (over := live.query(query)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert over, "the rare model should be over the per-call threshold"
    assert not [alert for alert in live.firing() if alert.get("otel_carbon_model") == RARE_MODEL]
    assert not [alert for alert in live.firing() if alert.get("gen_ai_agent_name") == "scout"]
