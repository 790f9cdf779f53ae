from __future__ import annotations

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from .otlp_receiver import ExportedSpan, MetricPoint, OtlpReceiver

SERVICE_NAME = "otel-carbon-tests"
EXPORTER_TIMEOUT_SECONDS = 5.0


class Telemetry:
    """Fresh, non-global SDK providers that export over OTLP/gRPC to an ``OtlpReceiver``."""

    def __init__(self, receiver: OtlpReceiver) -> None:
        self.receiver = receiver
        resource = Resource.create({"service.name": SERVICE_NAME})
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=receiver.endpoint, insecure=True, timeout=EXPORTER_TIMEOUT_SECONDS)
            )
        )
        self.metric_reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=receiver.endpoint, insecure=True, timeout=EXPORTER_TIMEOUT_SECONDS),
            export_interval_millis=3_600_000,
        )
        self.meter_provider = MeterProvider(resource=resource, metric_readers=[self.metric_reader])

    def add_span_processor(self, processor: SpanProcessor) -> None:
        self.tracer_provider.add_span_processor(processor)

    def spans(self) -> list[ExportedSpan]:
        # BatchSpanProcessor.force_flush exports synchronously, and the receiver stores a batch
        # before answering the Export call, so everything ended so far is visible once it returns.
        if not self.tracer_provider.force_flush(timeout_millis=10_000):
            raise AssertionError("tracer provider did not flush in time")
        return self.receiver.spans()

    def span(self) -> ExportedSpan:
        spans = self.spans()
        assert len(spans) == 1, f"expected exactly one span, got {[span.name for span in spans]}"
        return spans[0]

    def metric_points(self, name: str | None = None) -> list[MetricPoint]:
        # Temporality is cumulative, so each collection carries the full totals; dropping earlier
        # collections keeps repeated calls from returning duplicate points.
        self.receiver.clear_metrics()
        if not self.meter_provider.force_flush(timeout_millis=10_000):
            raise AssertionError("meter provider did not flush in time")
        points = self.receiver.metric_points()
        return [point for point in points if name is None or point.name == name]

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown(timeout_millis=10_000)
