"""Live grid carbon intensity APIs: one request (WattTime: two, with login) per zone and refresh.

Each provider turns one of our grid zones into one ``Sample`` in gCO2e/kWh or raises ``FetchError``.
Providers hold credentials; their reprs and errors never show them.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Mapping
from typing import NamedTuple, Protocol
from urllib.parse import urlencode

from otel_carbon.processor.grid.http import FetchError, get_json
from otel_carbon.processor.model.tables import MAX_GRID_INTENSITY

ELECTRICITYMAPS_URL = "https://api.electricitymaps.com"
WATTTIME_URL = "https://api.watttime.org"
UK_CARBON_INTENSITY_URL = "https://api.carbonintensity.org.uk"

LBS_PER_MWH_TO_G_PER_KWH = 0.453592  # 453.592 g per lb / 1000 kWh per MWh


class Sample(NamedTuple):
    grams_per_kwh: float
    observed_at: str | None  # the provider's timestamp for the value, ISO 8601 as given
    estimated: bool | None  # the provider says the value is an estimate or forecast, not a measurement


class GridProvider(Protocol):
    name: str  # the OTEL_CARBON_GRID_PROVIDER value
    source: str  # what spans carry in otel_carbon.grid.intensity.source for a live value
    coverage: str  # which zones it serves, for the log line about a zone it does not

    def serves(self, zone: str) -> bool: ...

    def fetch(self, zone: str, timeout: float) -> Sample: ...


def checked_intensity(value: object) -> float:
    """A plausible gCO2e/kWh, else FetchError: a bad value must not reach an estimate."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FetchError("non-numeric intensity")
    intensity = float(value)
    if not math.isfinite(intensity) or not 0.0 <= intensity <= MAX_GRID_INTENSITY:
        raise FetchError("implausible intensity")
    return intensity


def _api_base(base_url: str | None, default: str, version_suffix: str = "") -> str:
    base = (base_url or default).rstrip("/")
    if version_suffix and base.endswith(version_suffix):  # tolerate OTEL_CARBON_GRID_API_URL=.../v3
        base = base[: -len(version_suffix)]
    return base


def _object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise FetchError("malformed response")
    return value


def _first(value: object) -> dict[str, object]:
    if not isinstance(value, list) or not value:
        raise FetchError("malformed response")
    return _object(value[0])


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


class ElectricityMapsProvider:
    """Electricity Maps API v3, latest lifecycle intensity of a zone's consumed electricity (average, not marginal).

    Lifecycle factors match the bundled Ember table. Most countries are zones of their own; some
    (US, CA, AU, ...) are split into sub-national zones and answer with an error; a 400, 403, 404 or
    422 stops asking for that zone.
    """

    name = "electricitymaps"
    source = "electricitymaps:live"
    coverage = "Electricity Maps zones (country codes; not WORLD)"

    def __init__(self, token: str, base_url: str | None = None) -> None:
        self._token = token
        self._base = _api_base(base_url, ELECTRICITYMAPS_URL, "/v3")

    def __repr__(self) -> str:
        return f"ElectricityMapsProvider(base_url={self._base!r})"

    def serves(self, zone: str) -> bool:
        return zone != "WORLD"

    def fetch(self, zone: str, timeout: float) -> Sample:
        query = urlencode({"zone": zone, "emissionFactorType": "lifecycle"})
        body = _object(
            get_json(f"{self._base}/v3/carbon-intensity/latest?{query}", {"auth-token": self._token}, timeout)
        )
        estimated = body.get("isEstimated")
        return Sample(
            checked_intensity(body.get("carbonIntensity")),
            _optional_str(body.get("datetime")),
            estimated if isinstance(estimated, bool) else None,
        )


# Countries WattTime splits into balancing authorities or sub-regions: the country code is no region.
WATTTIME_SPLIT_COUNTRIES = frozenset({"US", "CA", "AU"})
_WATTTIME_TOKEN_SECONDS = 25 * 60  # tokens last 30 minutes


class WattTimeProvider:
    """WattTime API v3 MOER (``co2_moer``): the MARGINAL operating emissions rate, not the average mix.

    A marginal rate answers "what does one more kWh now emit?" (carbon-aware scheduling); it is
    usually higher than, and not comparable with, the average intensity of the bundled table and of
    inventory accounting. Its source id says so: ``watttime:live:marginal``.

    Zones are WattTime region codes: a country code serves where WattTime's region is the whole
    country; US, CA and AU need a balancing authority (``CAISO_NORTH``...) that a country zone cannot
    name, so they are unsupported unless ``regions`` maps them. Free accounts only see CAISO_NORTH;
    a region the account may not read answers 403 and stops that zone.
    """

    name = "watttime"
    source = "watttime:live:marginal"

    def __init__(
        self, username: str, password: str, base_url: str | None = None, regions: Mapping[str, str] | None = None
    ) -> None:
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._basic = f"Basic {credentials}"
        self._base = _api_base(base_url, WATTTIME_URL, "/v3")
        self._regions = dict(regions) if regions is not None else None
        self._token: str | None = None
        self._token_expires = 0.0
        self.coverage = (
            f"zones {', '.join(sorted(self._regions))}"
            if self._regions is not None
            else f"country zones except {', '.join(sorted(WATTTIME_SPLIT_COUNTRIES))} and WORLD"
        )

    def __repr__(self) -> str:
        return f"WattTimeProvider(base_url={self._base!r})"

    def region(self, zone: str) -> str | None:
        if self._regions is not None:
            return self._regions.get(zone)
        if len(zone) != 2 or zone in WATTTIME_SPLIT_COUNTRIES:
            return None
        return zone

    def serves(self, zone: str) -> bool:
        return self.region(zone) is not None

    def fetch(self, zone: str, timeout: float) -> Sample:
        region = self.region(zone)
        if region is None:
            raise FetchError("unsupported zone")
        query = urlencode({"region": region, "signal_type": "co2_moer", "horizon_hours": 0})
        url = f"{self._base}/v3/forecast?{query}"
        bearer = self._bearer(timeout)
        try:
            body = get_json(url, {"Authorization": f"Bearer {bearer}"}, timeout)
        except FetchError as error:
            if error.status != 401:
                raise
            self._token = None  # expired or revoked early: log in again, once
            body = get_json(url, {"Authorization": f"Bearer {self._bearer(timeout)}"}, timeout)
        return self._sample(_object(body))

    def _bearer(self, timeout: float) -> str:
        if self._token is None or time.monotonic() >= self._token_expires:
            body = _object(get_json(f"{self._base}/login", {"Authorization": self._basic}, timeout))
            token = body.get("token")
            if not isinstance(token, str) or not token:
                raise FetchError("malformed login response")
            self._token = token
            self._token_expires = time.monotonic() + _WATTTIME_TOKEN_SECONDS
        return self._token

    @staticmethod
    def _sample(body: dict[str, object]) -> Sample:
        meta = body.get("meta")
        units = meta.get("units") if isinstance(meta, dict) else None
        if units is not None and units != "lbs_co2_per_mwh":
            raise FetchError("unexpected units")
        point = _first(body.get("data"))
        value = point.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FetchError("non-numeric intensity")
        # A forecast's first point is the current five minutes: estimated by nature.
        return Sample(checked_intensity(value * LBS_PER_MWH_TO_G_PER_KWH), _optional_str(point.get("point_time")), True)


class UkCarbonIntensityProvider:
    """NESO Carbon Intensity API: the current half-hour's average intensity of Great Britain's grid; no key.

    ``actual`` is often null until the half-hour is over; the forecast is used then (estimated).
    It covers Great Britain, our zone GB (ISO's GB also holds Northern Ireland, which it does not cover).
    """

    name = "uk-carbon-intensity"
    source = "uk-carbon-intensity:live"
    coverage = "zone GB only"

    def __init__(self, base_url: str | None = None) -> None:
        self._base = _api_base(base_url, UK_CARBON_INTENSITY_URL)

    def __repr__(self) -> str:
        return f"UkCarbonIntensityProvider(base_url={self._base!r})"

    def serves(self, zone: str) -> bool:
        return zone == "GB"

    def fetch(self, zone: str, timeout: float) -> Sample:
        if zone != "GB":
            raise FetchError("unsupported zone")
        period = _first(_object(get_json(f"{self._base}/intensity", {}, timeout)).get("data"))
        intensity = _object(period.get("intensity"))
        actual = intensity.get("actual")
        if actual is not None:
            return Sample(checked_intensity(actual), _optional_str(period.get("from")), False)
        return Sample(checked_intensity(intensity.get("forecast")), _optional_str(period.get("from")), True)
