"""Live grid intensity against stand-in HTTP servers on 127.0.0.1: never on the call path, never leaking secrets."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor import attach_processor
from otel_carbon.processor.config import CarbonConfig
from otel_carbon.processor.grid import (
    ElectricityMapsProvider,
    FetchError,
    GridProvider,
    LiveGrid,
    LiveReading,
    UkCarbonIntensityProvider,
    WattTimeProvider,
    build_live_grid,
)
from otel_carbon.processor.grid.http import get_json, parse_retry_after
from otel_carbon.processor.model.sites import load_site_tables
from otel_carbon.processor.span_processor import SDK_HAS_ON_ENDING

from ..support.telemetry import Telemetry

T = TypeVar("T")
TOKEN = "em-token-5ecret-0123456789"
USERNAME = "wt-user"
PASSWORD = "wt-pa55word-5ecret"
WT_TOKEN = "wt-bearer-5ecret-jwt"
SECRETS = (TOKEN, PASSWORD, WT_TOKEN)
EM_PATH = "/v3/carbon-intensity/latest"


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


class StandIn:
    """An HTTP server whose replies are scripted per path; the last reply of a path repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self.release = threading.Event()  # ends every delayed reply at teardown
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out and left

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def route(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self.routes[path] = list(replies)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.path == path)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            headers = {name.lower(): value for name, value in handler.headers.items()}
            self.requests.append(Request(parts.path, parse_qs(parts.query), headers, time.monotonic()))
            replies = self.routes.get(parts.path) or [Reply(404, {"error": "no route"})]
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.delay:
            self.release.wait(reply.delay)
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(2)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def grids() -> Iterator[Callable[..., LiveGrid]]:
    made: list[LiveGrid] = []

    def make(provider: GridProvider, refresh: float = 5.0, timeout: float = 1.0) -> LiveGrid:
        grid = LiveGrid(provider, refresh_seconds=refresh, timeout_seconds=timeout)
        made.append(grid)
        return grid

    yield make
    for grid in made:
        assert grid.close(timeout=2.0)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="otel_carbon")
    return caplog


def wait_until(predicate: Callable[[], T], timeout: float = 3.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("timed out waiting")


def reading_of(grid: LiveGrid, zone: str, timeout: float = 3.0) -> LiveReading:
    return wait_until(lambda: grid.current(zone), timeout)


def messages(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[str]:
    return [
        record.getMessage() for record in caplog.records if record.name == "otel_carbon" and record.levelno >= level
    ]


def em_reply(intensity: object = 56, **extra: object) -> Reply:
    return Reply(
        body={
            "zone": "FR",
            "carbonIntensity": intensity,
            "datetime": "2026-05-01T10:00:00.000Z",
            "isEstimated": False,
            **extra,
        }
    )


def em_grid(grids: Callable[..., LiveGrid], standin: StandIn, **kwargs: float) -> LiveGrid:
    return grids(ElectricityMapsProvider(TOKEN, standin.url), **kwargs)


def assert_no_secret(caplog: pytest.LogCaptureFixture, *objects: object) -> None:
    texts = [caplog.text, *messages(caplog), *(str(record.args) for record in caplog.records)]
    texts += [repr(item) for item in objects] + [str(item) for item in objects]
    for secret in SECRETS:
        assert not any(secret in text for text in texts), secret


# --- each provider, success ------------------------------------------------------------------------
def test_electricitymaps_latest_lifecycle_intensity(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    standin.route(EM_PATH, em_reply(56.5))
    grid = em_grid(grids, standin)

    assert grid.current("FR") is None  # first ask: registered, fetched in the background
    reading = reading_of(grid, "FR")

    assert (reading.zone, reading.grams_per_kwh, reading.source) == ("FR", 56.5, "electricitymaps:live")
    assert (reading.observed_at, reading.estimated) == ("2026-05-01T10:00:00.000Z", False)
    request = standin.requests[0]
    assert request.query == {"zone": ["FR"], "emissionFactorType": ["lifecycle"]}
    assert request.headers["auth-token"] == TOKEN


def test_watttime_moer_is_converted_to_grams_and_labelled_marginal(
    standin: StandIn, grids: Callable[..., LiveGrid]
) -> None:
    standin.route("/login", Reply(body={"token": WT_TOKEN}))
    standin.route(
        "/v3/forecast",
        Reply(
            body={
                "meta": {"units": "lbs_co2_per_mwh"},
                "data": [{"point_time": "2026-05-01T10:00:00+00:00", "value": 1000}],
            }
        ),
    )
    grid = grids(WattTimeProvider(USERNAME, PASSWORD, standin.url))
    grid.current("DE")

    reading = reading_of(grid, "DE")

    assert reading.grams_per_kwh == pytest.approx(453.592)
    assert reading.source == "watttime:live:marginal"
    login, forecast = standin.requests
    assert login.headers["authorization"].startswith("Basic ")
    assert forecast.headers["authorization"] == f"Bearer {WT_TOKEN}"
    assert forecast.query == {"region": ["DE"], "signal_type": ["co2_moer"], "horizon_hours": ["0"]}


def test_watttime_logs_in_again_when_the_token_is_rejected(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    standin.route("/login", Reply(body={"token": WT_TOKEN}))
    standin.route("/v3/forecast", Reply(401), Reply(body={"data": [{"value": 100}]}))
    grid = grids(WattTimeProvider(USERNAME, PASSWORD, standin.url))
    grid.current("DE")

    assert reading_of(grid, "DE").grams_per_kwh == pytest.approx(45.3592)
    assert standin.count("/login") == 2


def test_watttime_does_not_serve_a_country_split_into_balancing_authorities(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    grid = grids(WattTimeProvider(USERNAME, PASSWORD, standin.url))
    for _ in range(3):
        assert grid.current("US") is None
    time.sleep(0.05)
    assert standin.requests == []
    assert sum("does not serve zone US" in message for message in messages(logs)) == 1


def test_watttime_regions_map_zones_to_balancing_authorities(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    standin.route("/login", Reply(body={"token": WT_TOKEN}))
    standin.route("/v3/forecast", Reply(body={"data": [{"value": 500}]}))
    grid = grids(WattTimeProvider(USERNAME, PASSWORD, standin.url, regions={"US": "CAISO_NORTH"}))
    grid.current("US")

    reading_of(grid, "US")

    assert standin.requests[-1].query["region"] == ["CAISO_NORTH"]


def test_uk_carbon_intensity_actual(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    period = {
        "from": "2026-05-01T10:00Z",
        "to": "2026-05-01T10:30Z",
        "intensity": {"forecast": 150, "actual": 142, "index": "moderate"},
    }
    standin.route("/intensity", Reply(body={"data": [period]}))
    grid = grids(UkCarbonIntensityProvider(standin.url))
    grid.current("GB")

    reading = reading_of(grid, "GB")

    assert (reading.grams_per_kwh, reading.estimated, reading.source) == (142.0, False, "uk-carbon-intensity:live")


def test_uk_carbon_intensity_forecast_while_actual_is_pending(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    period = {"from": "2026-05-01T10:00Z", "intensity": {"forecast": 150, "actual": None, "index": "moderate"}}
    standin.route("/intensity", Reply(body={"data": [period]}))
    grid = grids(UkCarbonIntensityProvider(standin.url))
    grid.current("GB")

    reading = reading_of(grid, "GB")

    assert (reading.grams_per_kwh, reading.estimated) == (150.0, True)


def test_uk_carbon_intensity_serves_only_gb(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    grid = grids(UkCarbonIntensityProvider(standin.url))

    assert grid.current("FR") is None
    assert grid.current("FR") is None
    time.sleep(0.05)

    assert standin.requests == []
    assert sum("does not serve zone FR" in message for message in messages(logs)) == 1


def test_zone_warnings_are_logged_by_the_refresher_not_the_caller(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    grid = grids(UkCarbonIntensityProvider(standin.url))
    grid.current("FR")

    record = wait_until(lambda: next((r for r in logs.records if "does not serve zone FR" in r.getMessage()), None))

    assert record.threadName == "otel-carbon-live-grid"


def test_zones_are_bounded(standin: StandIn, logs: pytest.LogCaptureFixture) -> None:
    standin.route(EM_PATH, em_reply())
    with LiveGrid(
        ElectricityMapsProvider(TOKEN, standin.url), refresh_seconds=60, timeout_seconds=1, max_zones=2
    ) as grid:
        for zone in ("FR", "DE", "SE", "NO"):
            grid.current(zone)
        reading_of(grid, "DE")
        wait_until(lambda: any("at most 2 zones" in message for message in messages(logs)))

        assert grid.current("SE") is None
        assert sorted(request.query["zone"][0] for request in standin.requests) == ["DE", "FR"]
        assert sum("at most 2 zones" in message for message in messages(logs)) == 1


# --- never on the call path ---------------------------------------------------------------------------
def test_slow_provider_never_blocks_current_and_a_later_refresh_is_picked_up(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(body={"carbonIntensity": 999}, delay=1.0), em_reply(60))
    grid = em_grid(grids, standin, refresh=0.4, timeout=0.2)
    grid.current("FR")
    wait_until(lambda: standin.requests)  # the slow request is in flight

    started = time.perf_counter()
    for _ in range(1000):
        assert grid.current("FR") is None
    per_call = (time.perf_counter() - started) / 1000

    assert per_call < 50e-6
    assert reading_of(grid, "FR").grams_per_kwh == 60.0
    assert any("failed (timeout)" in message for message in messages(logs))


# --- failures: the bundled table applies ------------------------------------------------------------
def test_unauthorised_is_logged_once_and_falls_back(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(401, {"message": f"invalid token {TOKEN}"}))
    grid = em_grid(grids, standin, refresh=0.08)
    grid.current("FR")

    wait_until(lambda: standin.count(EM_PATH) >= 3)

    assert grid.current("FR") is None
    failures = [message for message in messages(logs, logging.WARNING) if "HTTP 401" in message]
    assert len(failures) == 1
    assert "electricitymaps" in failures[0]


def test_rate_limit_respects_retry_after(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(429, {"error": "slow down"}, {"Retry-After": "1"}), em_reply(70))
    grid = em_grid(grids, standin, refresh=0.1)
    grid.current("FR")

    reading = reading_of(grid, "FR", timeout=3.0)

    first, second = standin.requests[:2]
    assert second.at - first.at >= 0.95  # backoff alone would have retried after ~0.03 s
    assert reading.grams_per_kwh == 70.0
    assert any("HTTP 429" in message for message in messages(logs))


def test_server_error_backs_off_then_recovers(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(500), Reply(503), em_reply(80))
    grid = em_grid(grids, standin, refresh=0.1)
    grid.current("FR")

    assert reading_of(grid, "FR").grams_per_kwh == 80.0

    first, second, third = standin.requests[:3]
    assert third.at - second.at > second.at - first.at  # exponential backoff
    assert sum("HTTP 50" in message for message in messages(logs, logging.WARNING)) == 1
    assert any("recovered" in message for message in messages(logs))


def test_last_good_value_survives_a_failure_until_stale(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    standin.route(EM_PATH, em_reply(90), Reply(500))
    grid = em_grid(grids, standin, refresh=0.15)
    grid.current("FR")
    reading = reading_of(grid, "FR")

    wait_until(lambda: standin.count(EM_PATH) >= 2)  # the refresh failed ...
    if time.monotonic() - reading.fetched_at < 0.3:
        assert grid.current("FR") == reading  # ... the value is still recent

    wait_until(lambda: grid.current("FR") is None)  # older than 2 x refresh
    assert time.monotonic() - reading.fetched_at > 0.3


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"<html>not json"),
        Reply(body=b'{"carbonIntensity": 12'),
        Reply(body=[1, 2]),
        em_reply("56"),
        em_reply(None),
        em_reply(True),
        em_reply(-5),
        em_reply(2000.5),
        em_reply(float("nan")),
    ],
    ids=["html", "truncated", "list", "string", "null", "bool", "negative", "absurd", "nan"],
)
def test_malformed_or_implausible_answer_is_a_failure(
    reply: Reply, standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, reply)
    grid = em_grid(grids, standin)
    grid.current("FR")

    wait_until(lambda: any("failed" in message for message in messages(logs)))

    assert grid.current("FR") is None


def test_connection_refused_falls_back(grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    grid = grids(ElectricityMapsProvider(TOKEN, f"http://127.0.0.1:{port}"))
    grid.current("FR")

    wait_until(lambda: any("failed (connection failed)" in message for message in messages(logs)))

    assert grid.current("FR") is None


def test_refused_zone_is_not_asked_for_again(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(404, {"error": "zone not found"}))
    grid = em_grid(grids, standin, refresh=0.05)
    grid.current("XK")

    wait_until(lambda: any("refused" in message for message in messages(logs)))
    time.sleep(0.2)

    assert standin.count(EM_PATH) == 1
    assert grid.current("XK") is None


def test_redirect_is_not_followed(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(302, {}, {"Location": f"{standin.url}/elsewhere"}))
    grid = em_grid(grids, standin)
    grid.current("FR")

    wait_until(lambda: any("HTTP 302" in message for message in messages(logs)))

    assert standin.count("/elsewhere") == 0


def test_secrets_never_reach_logs_reprs_or_errors(
    standin: StandIn, grids: Callable[..., LiveGrid], logs: pytest.LogCaptureFixture
) -> None:
    standin.route(EM_PATH, Reply(401, {"message": f"bad token {TOKEN}"}))
    standin.route("/login", Reply(body={"token": WT_TOKEN}))
    standin.route("/v3/forecast", Reply(500, {"echo": [PASSWORD, WT_TOKEN]}))
    em_provider = ElectricityMapsProvider(TOKEN, standin.url)
    wt_provider = WattTimeProvider(USERNAME, PASSWORD, standin.url)
    em, wt = grids(em_provider), grids(wt_provider)
    em.current("FR")
    wt.current("DE")
    wait_until(lambda: sum("failed" in message for message in messages(logs)) >= 2)
    errors = []
    for provider, zone in ((em_provider, "FR"), (wt_provider, "DE")):
        with pytest.raises(FetchError) as caught:
            provider.fetch(zone, 1.0)
        errors.append(caught.value)

    assert_no_secret(logs, em, wt, em_provider, wt_provider, *errors)
    assert [error.args for error in errors] == [("HTTP 401",), ("HTTP 500",)]


# --- lifecycle -------------------------------------------------------------------------------------------
def test_close_stops_the_refresher_promptly_and_is_idempotent(standin: StandIn) -> None:
    standin.route(EM_PATH, em_reply())
    grid = LiveGrid(ElectricityMapsProvider(TOKEN, standin.url), refresh_seconds=60, timeout_seconds=1)
    grid.current("FR")
    reading_of(grid, "FR")

    started = time.monotonic()
    assert grid.close()
    assert time.monotonic() - started < 0.5
    assert grid.close()
    assert grid.current("DE") is None
    time.sleep(0.05)
    assert standin.count(EM_PATH) == 1


def test_close_does_not_wait_for_a_slow_request_beyond_its_timeout(standin: StandIn) -> None:
    standin.route(EM_PATH, Reply(body={"carbonIntensity": 1}, delay=5.0))
    grid = LiveGrid(ElectricityMapsProvider(TOKEN, standin.url), refresh_seconds=60, timeout_seconds=5)
    grid.current("FR")
    wait_until(lambda: standin.requests)

    started = time.monotonic()
    stopped = grid.close(timeout=0.1)

    assert time.monotonic() - started < 0.5
    assert stopped is False  # the daemon thread ends on its own when the request does
    standin.release.set()


def test_a_forked_child_restarts_the_refresher_on_demand(standin: StandIn, grids: Callable[..., LiveGrid]) -> None:
    standin.route(EM_PATH, em_reply(56), em_reply(57))
    grid = em_grid(grids, standin, refresh=0.1)
    grid.current("FR")
    reading_of(grid, "FR")
    old = grid._thread
    assert old is not None

    grid._stop.set()  # a forked child has no refresher thread: stop this one ...
    grid._wake.set()
    old.join(1)
    grid._stop.clear()
    grid._after_fork_in_child()  # ... and reset as os.fork() does

    wait_until(lambda: grid.current("FR") and grid.current("FR").grams_per_kwh == 57.0)  # type: ignore[union-attr]
    assert grid._thread is not None and grid._thread is not old


# --- construction from the configuration ------------------------------------------------------------------
def test_no_provider_no_live_grid() -> None:
    assert build_live_grid(CarbonConfig()) is None


def test_missing_token_is_one_warning_naming_the_variable(logs: pytest.LogCaptureFixture) -> None:
    assert build_live_grid(CarbonConfig(grid_provider="electricitymaps")) is None
    warnings = [record.getMessage() for record in logs.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "OTEL_CARBON_ELECTRICITYMAPS_TOKEN" in warnings[0]


def test_missing_watttime_password_is_one_warning_naming_it(logs: pytest.LogCaptureFixture) -> None:
    assert build_live_grid(CarbonConfig(grid_provider="watttime", watttime_username=USERNAME)) is None
    warnings = [record.getMessage() for record in logs.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "OTEL_CARBON_WATTTIME_PASSWORD" in warnings[0] and "USERNAME" not in warnings[0]


def test_configured_provider_builds_a_live_grid_from_the_settings() -> None:
    config = CarbonConfig(grid_provider="uk-carbon-intensity", grid_refresh_seconds=60, grid_timeout_seconds=2)
    grid = build_live_grid(config)
    assert grid is not None
    try:
        assert (grid.provider, grid.source) == ("uk-carbon-intensity", "uk-carbon-intensity:live")
        assert (grid._refresh_seconds, grid._timeout) == (60, 2)
    finally:
        grid.close()


def test_config_from_env_builds_electricitymaps_without_showing_the_token(logs: pytest.LogCaptureFixture) -> None:
    env = {"OTEL_CARBON_GRID_PROVIDER": "electricitymaps", "OTEL_CARBON_ELECTRICITYMAPS_TOKEN": TOKEN}
    config = CarbonConfig.from_env(env, region_choices=frozenset({"WORLD"}))
    grid = build_live_grid(config)
    assert grid is not None
    try:
        assert_no_secret(logs, config, grid)
    finally:
        grid.close()


def test_credentials_over_plain_http_to_another_host_are_warned_about(logs: pytest.LogCaptureFixture) -> None:
    config = CarbonConfig(
        grid_provider="electricitymaps", electricitymaps_token=TOKEN, grid_api_url="http://grid-proxy.example"
    )
    grid = build_live_grid(config)
    assert grid is not None
    grid.close()
    assert any("plain http" in message for message in messages(logs, logging.WARNING))
    assert_no_secret(logs)


def test_disabled_means_no_live_grid() -> None:
    assert build_live_grid(CarbonConfig(enabled=False, grid_provider="uk-carbon-intensity")) is None


# --- http helpers -------------------------------------------------------------------------------------------
def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert (
        3500
        < (parse_retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3600))) or 0)
        <= 3600
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_get_json_timeout_is_a_fetch_error(standin: StandIn) -> None:
    standin.route("/slow", Reply(body={}, delay=1.0))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timeout"):
        get_json(f"{standin.url}/slow", {}, 0.1)
    assert time.monotonic() - started < 0.5


# --- through the span processor, over OTLP ---------------------------------------------------------------


@pytest.mark.skipif(not SDK_HAS_ON_ENDING, reason="span attributes need opentelemetry-sdk >= 1.40")
def test_spans_use_the_live_value_once_it_arrives_and_say_so(standin: StandIn, telemetry: Telemetry) -> None:
    period = {"from": "2026-05-01T10:00Z", "to": "2026-05-01T10:30Z", "intensity": {"forecast": 150, "actual": 142}}
    standin.route("/intensity", Reply(body={"data": [period]}))
    config = CarbonConfig.from_env(
        {
            "OTEL_CARBON_GRID_PROVIDER": "uk-carbon-intensity",
            "OTEL_CARBON_GRID_API_URL": standin.url,
            "OTEL_CARBON_REGION": "GB",
        }
    )
    processor = attach_processor(telemetry.tracer_provider, telemetry.meter_provider, config)
    assert processor is not None
    tracer = telemetry.tracer_provider.get_tracer("any")
    chat = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.output_tokens": 100,
    }

    with tracer.start_as_current_span("first") as span:  # no reading yet: the bundled table, and it says so
        span.set_attributes(chat)
    wait_until(lambda: standin.count("/intensity") >= 1)
    wait_until(lambda: processor._enricher._live.current("GB"))  # noqa: SLF001 - test reaches the refresher
    with tracer.start_as_current_span("second") as span:
        span.set_attributes(chat)

    first, second = sorted(telemetry.spans(), key=lambda exported: exported.name)
    assert first.attributes[sc.GRID_INTENSITY_SOURCE] == load_site_tables().grid_by_zone["GB"].source_id
    assert (second.attributes[sc.GRID_INTENSITY], second.attributes[sc.GRID_INTENSITY_SOURCE]) == (
        142.0,
        "uk-carbon-intensity:live",
    )
    assert second.attributes[sc.EMISSIONS_GCO2E] == second.attributes[sc.ENERGY_WH] * (142.0 / 1000.0)


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """A raw HTTP server that answers with a valid status line and headers, one byte every 0.2 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    answer = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Drip-%d: %s\r\n" % (i, b"y" * 40) for i in range(50)) + b"\r\n{}"

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                connection.recv(65536)
                for byte in answer:
                    if stop.wait(0.2):
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    listener.close()


def test_get_json_deadline_covers_headers_dripped_one_byte_at_a_time(dripping_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timeout"):
        get_json(f"{dripping_server}/intensity", {}, 1.0)
    assert time.monotonic() - started < 1.5


def test_a_dripping_grid_api_does_not_hold_the_refresher_past_its_deadline(dripping_server: str) -> None:
    provider = UkCarbonIntensityProvider(base_url=dripping_server)
    started = time.monotonic()
    with pytest.raises(FetchError, match="timeout"):
        provider.fetch("GB", 1.0)
    assert time.monotonic() - started < 1.5


def test_the_refresher_is_free_again_once_a_dripping_request_passes_its_deadline(dripping_server: str) -> None:
    grid = LiveGrid(UkCarbonIntensityProvider(base_url=dripping_server), refresh_seconds=60, timeout_seconds=1)
    try:
        assert grid.current("GB") is None
        time.sleep(1.5)  # the deadline has passed: the refresher is waiting for the next round, not reading
        started = time.monotonic()
        assert grid.close(timeout=0.5)
        assert time.monotonic() - started < 0.5
    finally:
        grid.close()
