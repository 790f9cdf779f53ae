"""Health that tells a misconfigured next hop from an unreachable one.

An outage of the next hop heals by itself, so the service stays SERVING and answers UNAVAILABLE
(the upstream retries). Rejected credentials or a failed TLS handshake do not heal: after
``threshold`` such failures in a row the service reports NOT_SERVING and logs, once, which
setting to check; the next successful forward reports SERVING again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from grpc_health.v1 import health, health_pb2

_logger = logging.getLogger("otel_carbon")

DEFAULT_THRESHOLD = 5
_SETTINGS = {
    "auth": "--next-hop-bearer-token-file (OTEL_CARBON_SERVE_NEXT_HOP_BEARER_TOKEN[_FILE])",
    "tls": "--next-hop-ca-file (OTEL_CARBON_SERVE_NEXT_HOP_CA_FILE), --next-hop and --next-hop-insecure",
}
_WHAT = {"auth": "rejects our credentials", "tls": "fails the TLS handshake"}


class NextHopHealth:
    def __init__(self, servicer: health.HealthServicer, services: Sequence[str], next_hop: str, threshold: int) -> None:
        self._servicer = servicer
        self._services = ("", *services)
        self._next_hop = next_hop
        self._threshold = threshold
        self._lock = threading.Lock()
        self._consecutive = 0
        self._reported = False

    def serving(self) -> None:
        self._set(health_pb2.HealthCheckResponse.SERVING)

    def forwarded(self) -> None:
        if not self._consecutive and not self._reported:
            return  # the common case: no lock
        with self._lock:
            self._consecutive = 0
            recovered, self._reported = self._reported, False
        if recovered:
            _logger.warning("otel-carbon serve: the next hop %s accepts our calls again; SERVING", self._next_hop)
            self.serving()

    def failed(self, misconfiguration: str | None, details: str) -> None:
        if misconfiguration is None:
            return  # an outage or a verdict on the data: neither says our settings are wrong
        with self._lock:
            self._consecutive += 1
            report = self._consecutive >= self._threshold and not self._reported
            self._reported = self._reported or report
            count = self._consecutive
        if report:
            _logger.error(
                "otel-carbon serve: the next hop %s %s (%d forwards in a row: %s); check %s. Health is NOT_SERVING "
                "until a forward succeeds",
                self._next_hop,
                _WHAT[misconfiguration],
                count,
                details,
                _SETTINGS[misconfiguration],
            )
            self._set(health_pb2.HealthCheckResponse.NOT_SERVING)

    def _set(self, status: health_pb2.HealthCheckResponse.ServingStatus.ValueType) -> None:
        for name in self._services:
            self._servicer.set(name, status)
