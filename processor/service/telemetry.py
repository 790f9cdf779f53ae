"""The service's carbon metrics: the in-process processor's instruments, exported over OTLP to the next hop."""

from __future__ import annotations

import uuid

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import Counter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import OTELResourceDetector, Resource

from otel_carbon import semconv as sc
from otel_carbon.processor.enrichment import Enrichment
from otel_carbon.processor.metrics import CarbonMetrics
from otel_carbon.processor.service.forwarder import channel_credentials
from otel_carbon.processor.service.options import ServeConfig
from otel_carbon.processor.setup import METER_NAME
from otel_carbon.semconv.version import __version__


def service_resource() -> Resource:
    """``service.name=otel-carbon`` and one ``service.instance.id`` per process, so that each replica
    writes its own cumulative series and a PromQL ``sum`` over instances is the fleet total.

    An instance id given in ``OTEL_RESOURCE_ATTRIBUTES`` (a pod name, say) is kept.
    """
    detected = OTELResourceDetector().detect().attributes
    instance_id = detected.get(sc.SERVICE_INSTANCE_ID) or str(uuid.uuid4())
    return Resource.create({sc.SERVICE_NAME: sc.SERVICE_NAME_OTEL_CARBON, sc.SERVICE_INSTANCE_ID: instance_id})


def metric_reader(config: ServeConfig) -> MetricReader:
    headers = {"authorization": f"Bearer {config.next_hop_bearer_token}"} if config.next_hop_bearer_token else None
    exporter = OTLPMetricExporter(
        endpoint=config.next_hop,
        insecure=config.next_hop_insecure,
        credentials=channel_credentials(config),
        headers=headers,
        timeout=config.forward_timeout,
    )
    return PeriodicExportingMetricReader(exporter, export_interval_millis=config.metrics_interval * 1000)


def carbon_metrics(meter_provider: MeterProvider) -> CarbonMetrics:
    return CarbonMetrics(meter_provider.get_meter(METER_NAME, __version__, schema_url=sc.SCHEMA_URL))


def dropped_attributes_counter(meter_provider: MeterProvider) -> Counter:
    return meter_provider.get_meter(METER_NAME, __version__, schema_url=sc.SCHEMA_URL).create_counter(
        sc.METRIC_SERVE_DROPPED_ATTRIBUTES,
        unit=sc.METRIC_SERVE_DROPPED_ATTRIBUTES_UNIT,
        description="Span and resource attributes dropped by otel-carbon serve because their key is not UTF-8",
    )


def record(metrics: CarbonMetrics, enrichment: Enrichment) -> None:
    """The one call into CarbonMetrics, so a change of its signature is a one-line change here."""
    metrics.record(enrichment)
