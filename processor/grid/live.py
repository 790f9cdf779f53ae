"""Live grid intensity per zone, refreshed by one background thread; the call path only reads a dict.

``LiveGrid.current(zone)`` never blocks and never does I/O: it returns the last good value while it is
at most twice the refresh interval old, else None and the caller uses the bundled table. A zone is
fetched from the first time it is asked for. A failed refresh keeps the last good value until it is
stale, and retries with exponential backoff (at least ``Retry-After``); a zone the provider refuses
(400, 403, 404, 422) or does not serve is not asked for again.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple

from otel_carbon.processor.grid.http import FetchError
from otel_carbon.processor.grid.providers import GridProvider

_logger = logging.getLogger("otel_carbon")

DEFAULT_MAX_ZONES = 100
MAX_RETRY_AFTER_SECONDS = 3600.0
_REFUSED_STATUSES = frozenset({400, 403, 404, 422})
_MAX_BACKOFF_DOUBLINGS = 4  # failures back off from refresh/4 to at most 4 x refresh


class LiveReading(NamedTuple):
    zone: str
    grams_per_kwh: float
    source: str  # e.g. "electricitymaps:live": what the span carries in otel_carbon.grid.intensity.source
    observed_at: str | None  # the provider's timestamp for the value
    estimated: bool | None
    fetched_at: float  # time.monotonic() of the fetch


@dataclass(slots=True)
class _Zone:
    next_at: float = 0.0  # time.monotonic() of the next fetch
    failures: int = 0  # consecutive
    refused: bool = False


class LiveGrid:
    """The latest live intensity of each zone asked for, from one provider; one per processor."""

    def __init__(
        self,
        provider: GridProvider,
        *,
        refresh_seconds: float,
        timeout_seconds: float,
        max_zones: int = DEFAULT_MAX_ZONES,
    ) -> None:
        if refresh_seconds <= 0 or timeout_seconds <= 0:
            raise ValueError("refresh_seconds and timeout_seconds must be positive")
        self._provider = provider
        self._refresh_seconds = refresh_seconds
        self._max_age = 2 * refresh_seconds
        self._timeout = timeout_seconds
        self._max_zones = max_zones
        self._readings: dict[str, LiveReading] = {}
        self._zones: dict[str, _Zone] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._warned_full = False
        # Warnings about zones asked for on the call path are logged by the refresher: no I/O there.
        self._deferred_warnings: deque[tuple[object, ...]] = deque()
        _instances.add(self)
        with self._lock:
            self._start_locked()

    @property
    def provider(self) -> str:
        return self._provider.name

    @property
    def source(self) -> str:
        return self._provider.source

    def current(self, zone: str) -> LiveReading | None:
        """The zone's latest live value if recent enough, else None (and the zone is fetched from now on)."""
        reading = self._readings.get(zone)
        if reading is not None and time.monotonic() - reading.fetched_at <= self._max_age:
            return reading
        self._miss(zone)
        return None

    def close(self, timeout: float = 2.0) -> bool:
        """Stops the refresher; True once it has stopped (a request in flight ends within its own timeout)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is None or thread is threading.current_thread() or not thread.is_alive():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def __enter__(self) -> LiveGrid:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LiveGrid(provider={self._provider!r}, zones={sorted(self._zones)!r})"

    def _miss(self, zone: str) -> None:
        state = self._zones.get(zone)
        if state is None:
            self._register(zone)
        elif not state.refused and self._thread is None:  # a forked child, or a refresher that died
            with self._lock:
                self._start_locked()

    def _register(self, zone: str) -> None:
        with self._lock:
            if self._closed or zone in self._zones:
                return
            if len(self._zones) >= self._max_zones:
                if not self._warned_full:
                    self._warned_full = True
                    self._deferred_warnings.append(
                        (
                            "otel-carbon: live grid intensity is kept for at most %d zones; zone %s and later ones "
                            "use the bundled table",
                            self._max_zones,
                            zone,
                        )
                    )
                    self._wake.set()
                return
            serves = self._provider.serves(zone)
            self._zones[zone] = _Zone(refused=not serves)
            if not serves:
                self._deferred_warnings.append(
                    (
                        "otel-carbon: %s does not serve zone %s (it serves %s); using the bundled table for it",
                        self._provider.name,
                        zone,
                        self._provider.coverage,
                    )
                )
            self._start_locked()
        self._wake.set()

    def _start_locked(self) -> None:
        if self._closed or self._thread is not None:
            return
        thread = threading.Thread(target=self._run, name="otel-carbon-live-grid", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # interpreter shutdown: the bundled table will do
            return
        self._thread = thread

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None  # the next miss starts another, unless closed

    def _loop(self) -> None:
        stop, wake = self._stop, self._wake
        while not stop.is_set():
            wake.clear()
            while self._deferred_warnings:
                _logger.warning(*self._deferred_warnings.popleft())
            with self._lock:
                zones = [(zone, state) for zone, state in self._zones.items() if not state.refused]
            for zone, state in zones:
                if stop.is_set():
                    return
                if state.next_at <= time.monotonic():
                    self._refresh(zone, state)
            pending = [state.next_at for _, state in zones if not state.refused]
            wake.wait(max(0.0, min(pending) - time.monotonic()) if pending else None)

    def _refresh(self, zone: str, state: _Zone) -> None:
        provider = self._provider
        try:
            sample = provider.fetch(zone, self._timeout)
        except FetchError as error:
            self._failed(zone, state, error)
            return
        except Exception as error:  # a provider bug must not stop the refresher; its message may hold anything
            self._failed(zone, state, FetchError(f"unexpected {type(error).__name__}"))
            return
        now = time.monotonic()
        self._readings[zone] = LiveReading(
            zone, sample.grams_per_kwh, provider.source, sample.observed_at, sample.estimated, now
        )
        if state.failures:
            _logger.info("otel-carbon: live grid intensity from %s for zone %s recovered", provider.name, zone)
        state.failures = 0
        # Slightly early and spread out, so processes started together do not refresh in lockstep.
        state.next_at = now + self._refresh_seconds * random.uniform(0.9, 1.0)

    def _failed(self, zone: str, state: _Zone, error: FetchError) -> None:
        name = self._provider.name
        if error.status in _REFUSED_STATUSES:
            state.refused = True
            self._readings.pop(zone, None)
            _logger.warning(
                "otel-carbon: %s refused live grid intensity for zone %s (%s); using the bundled table for it",
                name,
                zone,
                error,
            )
            return
        state.failures += 1
        delay = self._refresh_seconds / 4 * 2 ** min(state.failures - 1, _MAX_BACKOFF_DOUBLINGS)
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER_SECONDS))
        state.next_at = time.monotonic() + delay * random.uniform(1.0, 1.1)
        if state.failures == 1:
            _logger.warning(
                "otel-carbon: live grid intensity from %s for zone %s failed (%s); retrying in %.3g s, "
                "the bundled table applies while no recent value is held",
                name,
                zone,
                error,
                delay,
            )
        else:
            _logger.debug("otel-carbon: %s, zone %s: failed again (%s)", name, zone, error)

    def _after_fork_in_child(self) -> None:
        # The refresher did not survive the fork and its lock may have been held: start afresh, lazily.
        self._lock = threading.Lock()
        self._wake = threading.Event()
        stopped = self._stop.is_set()
        self._stop = threading.Event()
        if stopped:
            self._stop.set()
        self._thread = None


_instances: weakref.WeakSet[LiveGrid] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for grid in list(_instances):
        grid._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
