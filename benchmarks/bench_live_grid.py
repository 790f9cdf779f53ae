"""The live grid's cost on the call path while a refresh is in flight, beside no live grid, in one run.

A stand-in Electricity Maps API on 127.0.0.1 answers zone FR at once and every other zone after 2 s.
The busy LiveGrid first fetches FR, then is asked for 60 more zones: its refresher spends the whole
run waiting on 2-second answers, while FR's value stays fresh. The idle LiveGrid (instant API) holds
FR and fetches nothing during the run.

current:  LiveGrid.current(zone): a hit on the idle grid vs a hit (FR) and a miss (a zone whose first
          answer is pending) on the busy grid.
enrich:   CarbonEnricher.enrich(attributes) with no live grid vs an enricher configured for the
          stand-in Electricity Maps (OTEL_CARBON_REGION=FR) whose own refresher is kept busy with
          2-second answers for the pending zones.
Target: busy / idle ~ 1.0x: the refresh adds nothing to the call path.

    python benchmarks/bench_live_grid.py [--calls 100000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from otel_carbon.processor import CarbonConfig, CarbonEnricher
from otel_carbon.processor.grid import ElectricityMapsProvider, LiveGrid

ZONE = "FR"
PENDING_ZONES = [f"Z{index:02d}" for index in range(60)]  # any codes: the stand-in answers them all
ANSWER_AFTER_SECONDS = 2.0
CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "server.address": "api.openai.com",
    "gen_ai.usage.input_tokens": 812,
    "gen_ai.usage.output_tokens": 164,
}


class StandInApi:
    """Electricity Maps' latest-intensity endpoint: zone FR at once, any other zone after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.in_flight = 0
        self._release = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                zone = parse_qs(urlsplit(self.path).query).get("zone", [""])[0]
                api.in_flight += 1
                try:
                    if zone != ZONE:
                        api._release.wait(delay)
                    body = json.dumps({"zone": zone, "carbonIntensity": 56.0, "isEstimated": False}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass
                finally:
                    api.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


def wait_for(predicate: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("stand-in API did not answer in time")
        time.sleep(0.01)


def ns_per_call(run: Callable[[], object], calls: int) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter_ns()
        for _ in range(calls):
            run()
        return (time.perf_counter_ns() - started) / calls
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    slow, fast = StandInApi(ANSWER_AFTER_SECONDS), StandInApi(0.0)
    busy = LiveGrid(ElectricityMapsProvider("bench-token", slow.url), refresh_seconds=300, timeout_seconds=10)
    idle = LiveGrid(ElectricityMapsProvider("bench-token", fast.url), refresh_seconds=300, timeout_seconds=10)
    enricher = CarbonEnricher(CarbonConfig.from_env({"OTEL_CARBON_REGION": ZONE}))
    live_enricher, idle_enricher = (
        CarbonEnricher(
            CarbonConfig.from_env(
                {
                    "OTEL_CARBON_REGION": ZONE,
                    "OTEL_CARBON_GRID_PROVIDER": "electricitymaps",
                    "OTEL_CARBON_ELECTRICITYMAPS_TOKEN": "bench-token",
                    "OTEL_CARBON_GRID_API_URL": api.url,
                    "OTEL_CARBON_GRID_TIMEOUT_SECONDS": "10",
                }
            )
        )
        for api in (slow, fast)
    )
    live = live_enricher._live  # noqa: SLF001 - the benchmark drives the enricher's own refresher
    idle_live = idle_enricher._live  # noqa: SLF001
    assert live is not None and idle_live is not None
    pending = PENDING_ZONES[-1]  # asked for last: its answer is due only after the whole run
    try:
        for grid in (busy, idle, live, idle_live):
            grid.current(ZONE)
            wait_for(lambda grid=grid: grid.current(ZONE), 5)
        for zone in PENDING_ZONES:
            busy.current(zone)
            live.current(zone)
        wait_for(lambda: slow.in_flight, 5)

        variants: dict[str, Callable[[], object]] = {
            "current, idle grid (hit)": lambda: idle.current(ZONE),
            "current, refresh in flight (hit)": lambda: busy.current(ZONE),
            "current, refresh in flight (miss)": lambda: busy.current(pending),
            "enrich, no live grid": lambda: enricher.enrich(CHAT),
            "enrich, live grid idle": lambda: idle_enricher.enrich(CHAT),
            "enrich, live grid with a refresh in flight": lambda: live_enricher.enrich(CHAT),
        }
        for run in variants.values():
            ns_per_call(run, 2000)  # warm caches and lazy imports
        times: dict[str, list[float]] = {name: [] for name in variants}
        in_flight_checks = 0
        for _ in range(args.rounds):  # interleaved so drift hits all alike
            for name, run in variants.items():
                in_flight_checks += slow.in_flight > 0
                times[name].append(ns_per_call(run, args.calls))
        in_flight_checks += slow.in_flight > 0
        still_pending = busy.current(pending) is None
    finally:
        for grid in (busy, idle):
            grid.close(timeout=0.2)
        live_enricher.close()
        idle_enricher.close()
        slow.close()
        fast.close()

    median = {name: statistics.median(values) for name, values in times.items()}
    width = max(map(len, median))
    for name, value in median.items():
        print(f"{name:<{width}}  {value:8.1f} ns/call")
    idle_hit = median["current, idle grid (hit)"]
    enrich = median["enrich, no live grid"]
    with_live = median["enrich, live grid with a refresh in flight"]
    idle_live_enrich = median["enrich, live grid idle"]
    print()
    print(f"current, in flight (hit)  / idle hit: {median['current, refresh in flight (hit)'] / idle_hit:.2f}x")
    print(f"current, in flight (miss) / idle hit: {median['current, refresh in flight (miss)'] / idle_hit:.2f}x")
    print(f"enrich, live refresh in flight / enrich, live grid idle: {with_live / idle_live_enrich:.3f}x")
    print(
        f"enrich, live refresh in flight / enrich, no live grid: {with_live / enrich:.3f}x (+{with_live - enrich:.0f} ns)"
    )
    checks = len(variants) * args.rounds + 1
    print(
        f"(stand-in answers after {ANSWER_AFTER_SECONDS:g} s; a request was in flight at {in_flight_checks}/{checks} "
        f"checkpoints; the pending zone was {'still' if still_pending else 'no longer'} pending at the end)"
    )


if __name__ == "__main__":
    main()
