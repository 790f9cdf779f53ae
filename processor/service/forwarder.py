"""Synchronous forwarding of raw OTLP requests to the next hop over one gRPC channel."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from otel_carbon.processor.service.options import ServeConfig

RETRY_INFO_KEY = "google.rpc.retryinfo-bin"
# The next hop's answers that mean "not now" (OTLP's retryable codes) or "this hop is misconfigured"
# (its credentials): the caller gets UNAVAILABLE and keeps the data for a retry. Any other answer is
# the next hop's verdict on the data itself and is relayed as it came.
_ANSWERED_UNAVAILABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
    }
)
_MAX_DETAIL_CHARS = 200


# The next hop's answers, and the channel's own failures, that no retry will cure: they mean our
# credentials or TLS settings for the next hop are wrong.
_AUTH_CODES = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})
_TLS_FAILURE_MARKERS = ("handshake", "certificate_verify_failed", "ssl_error", "security handshaker")


class ForwardError(Exception):
    def __init__(
        self,
        code: grpc.StatusCode,
        details: str,
        trailing: Sequence[tuple[str, bytes]] = (),
        misconfiguration: str | None = None,
    ) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.trailing = tuple(trailing)
        """Metadata worth relaying to the caller (RetryInfo)."""
        self.misconfiguration = misconfiguration
        """``"auth"`` or ``"tls"`` when the failure points at our settings for the next hop, else None."""


def _channel_options(config: ServeConfig) -> list[tuple[str, object]]:
    return [
        ("grpc.max_send_message_length", -1),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        # Reconnect soon after the next hop comes back; gRPC's default backoff grows to 120 s.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1000),
        ("grpc.enable_retries", 0),
    ]


def channel_credentials(config: ServeConfig) -> grpc.ChannelCredentials | None:
    if config.next_hop_insecure:
        return None
    roots = config.next_hop_ca_file.read_bytes() if config.next_hop_ca_file is not None else None
    return grpc.ssl_channel_credentials(root_certificates=roots)


class Forwarder:
    def __init__(self, config: ServeConfig) -> None:
        credentials = channel_credentials(config)
        options = _channel_options(config)
        self._channel = (
            grpc.insecure_channel(config.next_hop, options=options)
            if credentials is None
            else grpc.secure_channel(config.next_hop, credentials, options=options)
        )
        self._metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {config.next_hop_bearer_token}"),) if config.next_hop_bearer_token else ()
        )
        self._methods: dict[str, grpc.UnaryUnaryMultiCallable] = {}

    def forward(self, method: str, payload: bytes, timeout: float) -> bytes:
        """Send ``payload`` to ``method`` on the next hop; its raw response, or ForwardError."""
        call = self._methods.get(method)
        if call is None:
            # No serializers: the payload goes out byte for byte and the response comes back raw.
            call = self._methods[method] = self._channel.unary_unary(method)
        try:
            return call(payload, timeout=timeout, metadata=self._metadata, wait_for_ready=False)
        except grpc.RpcError as error:
            raise _forward_error(error) from None

    def close(self) -> None:
        self._channel.close()


def _forward_error(error: grpc.RpcError) -> ForwardError:
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = (error.details() if isinstance(error, grpc.Call) else None) or ""
    misconfiguration = _misconfiguration(code, details)
    details = details[:_MAX_DETAIL_CHARS]
    if code in _ANSWERED_UNAVAILABLE:
        return ForwardError(grpc.StatusCode.UNAVAILABLE, f"next hop {code.name}: {details}", (), misconfiguration)
    # RESOURCE_EXHAUSTED is retryable only with RetryInfo (throttling), so that travels along.
    trailing = [
        (key, value)
        for key, value in (error.trailing_metadata() or ())  # type: ignore[union-attr]
        if key == RETRY_INFO_KEY and isinstance(value, bytes)
    ]
    return ForwardError(code, f"next hop {code.name}: {details}", trailing)


def _misconfiguration(code: grpc.StatusCode, details: str) -> str | None:
    if code in _AUTH_CODES:
        return "auth"
    lowered = details.lower()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNKNOWN) and any(
        marker in lowered for marker in _TLS_FAILURE_MARKERS
    ):
        return "tls"
    return None
