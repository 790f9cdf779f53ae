"""What can be checked of collector-config/*.yaml without a Collector binary (none installs here)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

CONFIG_DIR = Path(__file__).resolve().parents[2] / "collector-config"
CONFIGS = ("agent.yaml", "gateway.yaml", "scale-out.yaml")
SECTIONS = ("receivers", "processors", "exporters", "connectors")
SIGNALS = frozenset({"traces", "metrics", "logs"})

# Component types used here, with the signals each supports, as documented for otelcol-contrib v0.154.0
# (Jun 2026; component READMEs on pkg.go.dev, found through the docs search tool). All of them are in
# the contrib distribution. v0.154.0 is the first release with `load_balancing` (formerly `loadbalancing`);
# `otlp` (exporter), `prometheusremotewrite` and `deltatocumulative` also load in releases that renamed
# them to `otlp_grpc`, `prometheus_remote_write` and `delta_to_cumulative`, as deprecated aliases.
CONTRIB_COMPONENTS: dict[str, dict[str, frozenset[str]]] = {
    "receivers": {"otlp": SIGNALS},
    "processors": {"batch": SIGNALS, "deltatocumulative": frozenset({"metrics"})},
    "exporters": {
        "otlp": SIGNALS,
        "load_balancing": SIGNALS,
        "prometheusremotewrite": frozenset({"metrics"}),
    },
    "connectors": {},
}
PLACEHOLDER = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
README_VARIABLE_ROW = re.compile(r"^\|\s*`([A-Z_][A-Z0-9_]*)`\s*\|", re.MULTILINE)


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))


def _pipelines(config: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    return config["service"]["pipelines"]


def _references(config: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(pipeline, section, component id) for every component a pipeline names."""
    for pipeline, body in _pipelines(config).items():
        for role, names in body.items():
            for name in names:
                if role == "processors":
                    yield pipeline, "processors", name
                elif name in config.get("connectors", {}):
                    yield pipeline, "connectors", name
                else:
                    yield pipeline, role, name


def _otel_carbon_exporters(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in config["exporters"].items() if "OTEL_CARBON_" in yaml.safe_dump(body)}


def test_the_documented_configurations_are_all_here() -> None:
    assert sorted(path.name for path in CONFIG_DIR.glob("*.yaml")) == sorted(CONFIGS)


@pytest.mark.parametrize("name", CONFIGS)
def test_yaml_parses_into_a_collector_configuration(name: str) -> None:
    config = _load(name)
    assert set(config) <= {*SECTIONS, "extensions", "service"}
    assert _pipelines(config)
    for pipeline, body in _pipelines(config).items():
        assert pipeline.split("/")[0] in SIGNALS, pipeline
        assert body.get("receivers") and body.get("exporters"), pipeline
        assert set(body) <= {"receivers", "processors", "exporters"}, pipeline


@pytest.mark.parametrize("name", CONFIGS)
def test_every_component_a_pipeline_names_is_defined(name: str) -> None:
    config = _load(name)
    undefined = [(pipeline, component) for pipeline, section, component in _references(config)
                 if component not in (config.get(section) or {})]  # fmt: skip
    assert undefined == []


@pytest.mark.parametrize("name", CONFIGS)
def test_every_defined_component_is_used_by_a_pipeline(name: str) -> None:
    config = _load(name)
    used = {(section, component) for _, section, component in _references(config)}
    defined = {(section, component) for section in SECTIONS for component in config.get(section) or {}}
    assert defined - used == set()


@pytest.mark.parametrize("name", CONFIGS)
def test_every_component_type_is_in_contrib_and_supports_its_pipelines_signal(name: str) -> None:
    config = _load(name)
    for section in SECTIONS:
        for component in config.get(section) or {}:
            assert component.split("/")[0] in CONTRIB_COMPONENTS[section], f"{section}.{component}: not checked"
    for pipeline, section, component in _references(config):
        kind = component.split("/")[0]
        signal = pipeline.split("/")[0]
        assert signal in CONTRIB_COMPONENTS[section][kind], f"{component} cannot be in a {signal} pipeline"


@pytest.mark.parametrize("name", CONFIGS)
def test_every_env_placeholder_is_documented_in_the_readme(name: str) -> None:
    text = (CONFIG_DIR / name).read_text(encoding="utf-8")
    documented = set(README_VARIABLE_ROW.findall((CONFIG_DIR / "README.md").read_text(encoding="utf-8")))
    used = set(PLACEHOLDER.findall(text))
    assert used, "configurations take their endpoints from the environment"
    assert used - documented == set()
    # ${VAR} and $VAR without the env: provider are deprecated in the Collector (and easy to mistype).
    assert re.findall(r"\$(?!\{env:)", text) == []


@pytest.mark.parametrize("name", CONFIGS)
def test_no_secret_is_written_in_a_configuration(name: str) -> None:
    def header_values(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "headers":
                    yield from (str(item) for item in value.values())
                else:
                    yield from header_values(value)
        elif isinstance(node, list):
            for item in node:
                yield from header_values(item)

    for value in header_values(_load(name)):
        assert PLACEHOLDER.search(value), f"header value {value!r} is not taken from the environment"


@pytest.mark.parametrize("name", ["gateway.yaml", "scale-out.yaml"])
def test_the_exporter_to_otel_carbon_queues_retries_and_sends_the_token(name: str) -> None:
    exporters = _otel_carbon_exporters(_load(name))
    assert len(exporters) == 1
    (exporter,) = exporters.values()
    assert exporter["sending_queue"]["enabled"] is True
    assert exporter["retry_on_failure"]["enabled"] is True
    otlp = exporter.get("protocol", {}).get("otlp", exporter)
    assert otlp["headers"]["authorization"] == "Bearer ${env:OTEL_CARBON_TOKEN}"


@pytest.mark.parametrize("name", ["gateway.yaml", "scale-out.yaml"])
def test_traces_go_through_otel_carbon_and_come_back_on_another_receiver(name: str) -> None:
    config = _load(name)
    (to_carbon,) = _otel_carbon_exporters(config)
    pipelines = _pipelines(config)
    outbound = [body for body in pipelines.values() if to_carbon in body["exporters"]]
    assert len(outbound) == 1
    inbound_receivers = {
        receiver
        for pipeline, body in pipelines.items()
        if pipeline.startswith("traces") and body is not outbound[0]
        for receiver in body["receivers"]
    }
    assert inbound_receivers and inbound_receivers.isdisjoint(outbound[0]["receivers"])
    endpoints = [
        protocol["endpoint"] for receiver in config["receivers"].values() for protocol in receiver["protocols"].values()
    ]
    assert len(endpoints) == len(set(endpoints)), "two receivers on one port"


@pytest.mark.parametrize("name", ["gateway.yaml", "scale-out.yaml"])
def test_delta_metrics_become_cumulative_before_remote_write(name: str) -> None:
    for body in _pipelines(_load(name)).values():
        if "prometheusremotewrite" in body["exporters"]:
            assert "deltatocumulative" in body.get("processors", [])


def test_scale_out_routes_by_trace_id_to_replicas_found_through_dns() -> None:
    (exporter_id, exporter) = next(iter(_otel_carbon_exporters(_load("scale-out.yaml")).items()))
    assert exporter_id.split("/")[0] == "load_balancing"
    assert exporter["routing_key"] == "traceID"
    assert set(exporter["resolver"]) == {"dns"}
    # Failed batches must come back to the balancer's queue to be re-routed, not sit in a dead replica's.
    assert exporter["protocol"]["otlp"]["sending_queue"]["enabled"] is False
    assert exporter["protocol"]["otlp"]["retry_on_failure"]["enabled"] is False
