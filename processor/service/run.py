"""Run the service until SIGTERM or SIGINT, then drain; the entry point behind `otel-carbon serve`."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import sys
import threading
from types import FrameType

from otel_carbon.processor.service.options import ConfigError, ServeConfig, resolve_config

_logger = logging.getLogger("otel_carbon")
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def run_serve(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    """Serve until SIGTERM/SIGINT; 0 after a clean drain, 2 for a bad setting, 1 if the service cannot start.

    ``parser`` is accepted (and unused) so that the CLI can dispatch every subcommand the same way.
    """
    try:
        config = resolve_config(args)
    except ConfigError as error:
        print(f"otel-carbon serve: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    _configure_logging(config.log_level)
    try:
        from otel_carbon.processor.service.server import BindError, CarbonService
    except ImportError as error:
        print(
            f"otel-carbon serve: error: {error.name or error} is missing; install the extra: pip install 'otel-carbon[serve]'",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    stop = threading.Event()
    previous = _on_signals(stop)
    service = CarbonService(config)
    try:
        try:
            service.start()
        except BindError as error:
            print(f"otel-carbon serve: error: {error}", file=sys.stderr)
            service.stop()
            return EXIT_FAILURE
        _warn_about_exposure(config)
        _logger.info(
            "otel-carbon serve: listening on %s (%s%s), forwarding to %s (%s)",
            service.address,
            "TLS" if config.tls_cert_file else "plaintext",
            ", bearer token required" if config.bearer_token else "",
            config.next_hop,
            "plaintext" if config.next_hop_insecure else "TLS",
        )
        while not stop.wait(1.0):
            pass
        _logger.info("otel-carbon serve: stopping; draining in-flight requests (up to %gs)", config.shutdown_grace)
        service.stop()
        _logger.info("otel-carbon serve: stopped")
        return EXIT_OK
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _on_signals(stop: threading.Event) -> dict[int, object]:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handle)
    return previous


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("otel_carbon")
    logger.setLevel(level.upper())
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)


def _is_loopback(listen: str) -> bool:
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _warn_about_exposure(config: ServeConfig) -> None:
    if _is_loopback(config.listen) or config.tls_cert_file is not None:
        return
    if config.bearer_token:
        _logger.warning(
            "otel-carbon serve: %s is not loopback and has no TLS: the bearer token travels in plaintext", config.listen
        )
    else:
        _logger.warning("otel-carbon serve: %s is not loopback and has neither TLS nor a bearer token", config.listen)
