"""The OTLP/gRPC carbon service: receive, enrich traces, forward synchronously, answer.

Requests are handled as raw bytes: a request with nothing to enrich (and every metrics or logs
request) is forwarded byte for byte, and bad protobuf is answered INVALID_ARGUMENT by this code
rather than by gRPC's deserializer.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent import futures

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2_grpc
from opentelemetry.sdk.metrics import MeterProvider

from otel_carbon.processor.config import CarbonConfig, InvalidValue
from otel_carbon.processor.enrichment import CarbonEnricher, Enrichment
from otel_carbon.processor.service import pem, telemetry
from otel_carbon.processor.service.auth import BearerAuth
from otel_carbon.processor.service.enrich import enrich_request, may_carry_usage
from otel_carbon.processor.service.forwarder import Forwarder, ForwardError
from otel_carbon.processor.service.next_hop_health import NextHopHealth
from otel_carbon.processor.service.options import ServeConfig
from otel_carbon.processor.service.wire import ShallowTraceRequest, without_undecodable_keys

_logger = logging.getLogger("otel_carbon")

TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
METRICS_SERVICE = "opentelemetry.proto.collector.metrics.v1.MetricsService"
LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"
SERVICES = (TRACE_SERVICE, METRICS_SERVICE, LOGS_SERVICE)
# Leave the caller time to read our answer before its own deadline passes.
_DEADLINE_SHARE = 0.9
_LOG_INTERVAL_SECONDS = 30.0


class BindError(RuntimeError):
    pass


class _ThrottledLog:
    """One warning per kind per interval, with how many were held back."""

    def __init__(self, interval: float = _LOG_INTERVAL_SECONDS) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, kind: str, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -self._interval) < self._interval:
                self._held[kind] = self._held.get(kind, 0) + 1
                return
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        suffix = f" ({held} more since the last such message)" if held else ""
        _logger.warning(message + suffix, *args)


class CarbonService:
    """``start()``, then ``stop()``; ``port`` is the bound port (useful with ``:0``)."""

    def __init__(
        self,
        config: ServeConfig,
        carbon_config: CarbonConfig | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self.config = config
        carbon_config = carbon_config or CarbonConfig.from_env()
        self._enricher = CarbonEnricher(carbon_config) if carbon_config.enabled else None
        self._owns_meter_provider = meter_provider is None
        self.meter_provider = meter_provider or MeterProvider(
            resource=telemetry.service_resource(), metric_readers=[telemetry.metric_reader(config)]
        )
        self._metrics = telemetry.carbon_metrics(self.meter_provider)
        self._dropped_attributes = telemetry.dropped_attributes_counter(self.meter_provider)
        self._auth = BearerAuth(config.bearer_token)
        self._forwarder = Forwarder(config)
        self._log = _ThrottledLog()
        self._health = health.HealthServicer()
        self._next_hop_health = NextHopHealth(self._health, SERVICES, config.next_hop, config.misconfigured_after)
        self._server: grpc.Server | None = None
        self._stopped = False
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        config = self.config
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="otel-carbon-serve"),
            options=[
                ("grpc.max_receive_message_length", config.max_message_bytes),
                ("grpc.max_send_message_length", config.max_message_bytes),
                # Without the opt-in, a second process on the port is a mistake: fail it rather than split traffic.
                ("grpc.so_reuseport", 1 if config.reuse_port else 0),
            ],
        )
        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    service, {"Export": self._handler(f"/{service}/Export", enrich=service == TRACE_SERVICE)}
                )
                for service in SERVICES
            ]
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        self.port = self._bind(server)
        server.start()
        self._server = server
        self._next_hop_health.serving()

    def _bind(self, server: grpc.Server) -> int:
        config = self.config
        if config.tls_cert_file is not None and config.tls_key_file is not None:
            try:
                pem.certificates_file(config.tls_cert_file)
            except InvalidValue as invalid:
                raise BindError(f"--tls-cert-file={str(config.tls_cert_file)!r}: {invalid}") from None
            try:
                pem.check_key_pair(config.tls_cert_file, config.tls_key_file)
            except InvalidValue as invalid:
                raise BindError(f"--tls-key-file={str(config.tls_key_file)!r}: {invalid}") from None
        try:
            if config.tls_cert_file is not None and config.tls_key_file is not None:
                credentials = grpc.ssl_server_credentials(
                    [(config.tls_key_file.read_bytes(), config.tls_cert_file.read_bytes())]
                )
                port = server.add_secure_port(config.listen, credentials)
            else:
                port = server.add_insecure_port(config.listen)
        except (RuntimeError, OSError) as error:
            raise BindError(f"cannot listen on {config.listen}: {error}") from None
        if not port:
            raise BindError(f"cannot listen on {config.listen} (in use, or not an address of this host?)")
        return port

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, refuse new calls, let in-flight ones finish (up to ``grace``), flush metrics."""
        if self._stopped:
            return
        self._stopped = True
        server, self._server = self._server, None
        if server is not None:
            self._health.enter_graceful_shutdown()
            server.stop(self.config.shutdown_grace if grace is None else grace).wait()
        self._forwarder.close()
        if self._owns_meter_provider:
            self.meter_provider.shutdown(timeout_millis=self.config.forward_timeout * 1000)

    def flush_metrics(self, timeout_millis: float = 10_000) -> bool:
        return self.meter_provider.force_flush(timeout_millis=timeout_millis)

    @property
    def address(self) -> str:
        host = self.config.listen.rpartition(":")[0]
        return f"{host}:{self.port}"

    # --- handlers ---------------------------------------------------------------------------

    def _handler(self, method: str, enrich: bool) -> grpc.RpcMethodHandler:
        def handle(payload: bytes, context: grpc.ServicerContext) -> bytes:
            try:
                self._authenticate(context)
                if enrich and self._enricher is not None:
                    payload = self._enrich(payload)
                return self._forward(method, payload, context)
            except _Reject as reject:
                if reject.trailing:
                    context.set_trailing_metadata(reject.trailing)
                context.abort(reject.code, reject.details)
            except Exception:  # a bug must cost one request, never the process
                _logger.exception("otel-carbon serve: unexpected error handling %s", method)
                context.abort(grpc.StatusCode.INTERNAL, "otel-carbon serve: internal error")
            raise AssertionError("unreachable: abort raises")

        # No (de)serializers: requests arrive and responses leave as raw bytes.
        return grpc.unary_unary_rpc_method_handler(handle)

    def _authenticate(self, context: grpc.ServicerContext) -> None:
        if not self._auth.allows(context.invocation_metadata()):
            self._log.warning(
                "auth", "otel-carbon serve: rejected a call without a valid bearer token from %s", context.peer()
            )
            raise _Reject(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid bearer token")

    def _enrich(self, payload: bytes) -> bytes:
        assert self._enricher is not None
        request = ShallowTraceRequest()
        try:
            try:
                request.ParseFromString(payload)
            except DecodeError:
                payload = self._without_undecodable_keys(payload)
                request.ParseFromString(payload)
        except (DecodeError, RecursionError, ValueError):
            raise _Reject(
                grpc.StatusCode.INVALID_ARGUMENT, "the request is not a valid ExportTraceServiceRequest"
            ) from None
        if not may_carry_usage(payload):
            return payload
        stats = enrich_request(request, self._enricher, self._record)
        if stats.failed:
            self._log.warning(
                "enrich", "otel-carbon serve: %d span(s) could not be estimated and were passed through", stats.failed
            )
        return request.SerializeToString() if stats.enriched else payload

    def _without_undecodable_keys(self, payload: bytes) -> bytes:
        """One bad key must not cost the batch (a non-retryable INVALID_ARGUMENT would drop every span)."""
        payload, dropped = without_undecodable_keys(payload)
        if dropped:
            self._dropped_attributes.add(dropped)
            self._log.warning(
                "utf8", "otel-carbon serve: dropped %d attribute(s) whose key is not UTF-8; forwarded the rest", dropped
            )
        return payload

    def _record(self, enrichment: Enrichment) -> None:
        try:
            telemetry.record(self._metrics, enrichment)
        except Exception:
            self._log.warning("metrics", "otel-carbon serve: could not record carbon metrics")

    def _forward(self, method: str, payload: bytes, context: grpc.ServicerContext) -> bytes:
        timeout = min(self.config.forward_timeout, context.time_remaining() * _DEADLINE_SHARE)
        try:
            response = self._forwarder.forward(method, payload, timeout)
        except ForwardError as error:
            self._next_hop_health.failed(error.misconfiguration, error.details)
            self._log.warning(
                "forward", "otel-carbon serve: forwarding to %s failed: %s", self.config.next_hop, error.details
            )
            raise _Reject(error.code, error.details, error.trailing) from None
        self._next_hop_health.forwarded()
        return response


class _Reject(Exception):
    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, bytes], ...] = ()) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.trailing = trailing
