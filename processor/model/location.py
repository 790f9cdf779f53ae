"""Where one call's inference ran, and how we know. Pure: attributes and tables in, a Location out.

Rules, first match wins; a region the tables do not know falls through to the next rule, never raises:
1. OTEL_CARBON_REGION (a zone ``FR`` or a cloud region ``aws:us-east-1``).
2. What ``server.address`` reveals: the Bedrock, Vertex AI or Azure regional endpoint, or an Azure
   resource mapped in OTEL_CARBON_AZURE_RESOURCES.
3. A loopback or private address is a self-hosted model: the app's ``cloud.provider`` + ``cloud.region``
   resource attributes, else OTEL_CARBON_SELF_HOSTED_REGION, else the default zone (the provider's
   serving location says nothing about a model on your own machines).
4. The provider's default serving location.
5. The tables' default zone (the world average).

Bedrock cross-region inference profiles (``us.``/``eu.`` model ids) may run the call in another region
of the same geography than the endpoint's; the endpoint's region is what we can know.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from otel_carbon import semconv as sc
from otel_carbon.processor.model.sites import SiteTables

# How a call's location was resolved, most to least specific; goes on the span as otel_carbon.region.source.
SOURCE_CONFIG = "config"  # OTEL_CARBON_REGION
SOURCE_SERVER_ADDRESS = "server_address"  # bedrock-runtime.<region>.amazonaws.com, <location>-aiplatform.googleapis.com
SOURCE_AZURE_RESOURCE = "azure_resource"  # an Azure OpenAI resource mapped in OTEL_CARBON_AZURE_RESOURCES
SOURCE_PROVIDER_DEFAULT = "provider_default"  # the provider's default serving location (providers.toml)
SOURCE_SELF_HOSTED_RESOURCE = (
    "self_hosted_resource"  # loopback/private server: the app's cloud.region resource attribute
)
SOURCE_SELF_HOSTED_CONFIG = "self_hosted_config"  # loopback/private server: OTEL_CARBON_SELF_HOSTED_REGION
SOURCE_DEFAULT = "default"  # nothing known: the world average


class Location(NamedTuple):
    zone: str  # key of SiteTables.grid_by_zone
    cloud_region: str | None  # "aws:us-east-1", "gcp:europe-west4", "azure:eastus2" when known
    source: str  # one of the SOURCE_* values


# <service>.<region>.amazonaws.com, also FIPS, dual-stack (.api.aws), China (.amazonaws.com.cn) and
# interface VPC endpoints (vpce-<id>.<service>.<region>.vpce.amazonaws.com).
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
_BEDROCK_SERVICES = frozenset(
    {
        "bedrock",
        "bedrock-fips",
        "bedrock-runtime",
        "bedrock-runtime-fips",
        "bedrock-agent",
        "bedrock-agent-runtime",
    }
)
# <location>-aiplatform.googleapis.com; the bare aiplatform.googleapis.com is the global endpoint.
_VERTEX_SUFFIXES = ("-aiplatform.googleapis.com", "-aiplatform.mtls.googleapis.com")
# <resource>.<suffix>: the region is only known from OTEL_CARBON_AZURE_RESOURCES.
_AZURE_RESOURCE_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
_AZURE_REGIONAL_SUFFIX = ".api.cognitive.microsoft.com"  # <region>.api.cognitive.microsoft.com
_REVEALING_SUFFIXES = _AWS_SUFFIXES + _VERTEX_SUFFIXES + _AZURE_RESOURCE_SUFFIXES + (_AZURE_REGIONAL_SUFFIX,)

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# .local covers mDNS and Kubernetes' *.svc.cluster.local; .internal covers host.docker.internal and GCE.
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network) for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_CLOUD_PROVIDERS = frozenset({sc.CLOUD_PROVIDER_AWS, sc.CLOUD_PROVIDER_GCP, sc.CLOUD_PROVIDER_AZURE})
# What an address says, independent of the tables: (kind, cloud region or Azure resource name).
_CLOUD_REGION = "cloud_region"
_AZURE_RESOURCE = "azure_resource"
_LOCAL = "local"
_NOTHING = ("nothing", "")
# Location(...) runs the NamedTuple's Python-level __new__; building the tuple directly costs half.
_new = tuple.__new__


def resolve_location(
    span_attributes: Mapping[str, object],
    resource_attributes: Mapping[str, object],
    tables: SiteTables,
    *,
    configured_region: str | None,
    self_hosted_region: str | None,
    azure_resources: Mapping[str, str],
) -> Location:
    """Where the call described by ``span_attributes`` ran; see the module docstring for the rules."""
    if configured_region:
        location = _region(configured_region, tables, SOURCE_CONFIG)
        if location is not None:
            return location
    address = span_attributes.get(sc.SERVER_ADDRESS)
    if isinstance(address, str) and address:
        kind, value = _classify(address)
        if kind == _CLOUD_REGION:
            location = _cloud_region(value, tables, SOURCE_SERVER_ADDRESS)
            if location is not None:
                return location
        elif kind == _AZURE_RESOURCE:
            cloud_region = azure_resources.get(value)
            if cloud_region:
                location = _cloud_region(cloud_region, tables, SOURCE_AZURE_RESOURCE)
                if location is not None:
                    return location
        elif kind == _LOCAL:
            location = _self_hosted(resource_attributes, tables, self_hosted_region)
            return location if location is not None else _new(Location, (tables.default_zone, None, SOURCE_DEFAULT))
    location = _provider_default(span_attributes, tables)
    return location if location is not None else _new(Location, (tables.default_zone, None, SOURCE_DEFAULT))


@lru_cache(maxsize=1024)  # a process talks to few distinct hosts; string work and ipaddress are not cheap
def _classify(address: str) -> tuple[str, str]:
    host = _host(address)
    if host.endswith(_REVEALING_SUFFIXES):
        return _from_endpoint(host)
    return (_LOCAL, "") if _is_local(host) else _NOTHING


def _host(address: str) -> str:
    """The lower-case host name of ``server.address``, tolerating a URL, a port and a trailing dot."""
    host = address.strip().lower()
    if "/" in host:  # a URL where a host was expected
        host = host.partition("://")[2].partition("/")[0] or host
    if host.startswith("["):  # [v6]:port
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:  # host:port; a bare IPv6 address has two or more colons
        host = host.partition(":")[0]
    return host[:-1] if host.endswith(".") else host


def _from_endpoint(host: str) -> tuple[str, str]:
    for suffix in _AWS_SUFFIXES:
        if host.endswith(suffix):
            labels = host[: -len(suffix)].split(".")
            if labels[-1] == "vpce":
                labels.pop()
            if len(labels) >= 2 and labels[-2] in _BEDROCK_SERVICES:
                return _CLOUD_REGION, f"aws:{labels[-1]}"
            return _NOTHING
    for suffix in _VERTEX_SUFFIXES:
        if host.endswith(suffix):
            location = host[: -len(suffix)]
            return (_CLOUD_REGION, f"gcp:{location}") if location and "." not in location else _NOTHING
    for suffix in _AZURE_RESOURCE_SUFFIXES:
        if host.endswith(suffix):
            return _AZURE_RESOURCE, host[: -len(suffix)]
    region = host[: -len(_AZURE_REGIONAL_SUFFIX)]
    return (_CLOUD_REGION, f"azure:{region}") if region and "." not in region else _NOTHING


def _is_local(host: str) -> bool:
    """A loopback or private address, or a name that only resolves inside a host, cluster or LAN."""
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        return True
    if not (host[:1].isdigit() or ":" in host):
        # A single-label name (a compose service such as "ollama") is not a public internet host.
        return bool(host) and "." not in host
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:10.0.0.1
    if mapped is not None:
        ip = mapped
    # 0.0.0.0 and :: reach the local host when used as a destination.
    return ip.is_loopback or ip.is_unspecified or any(ip in network for network in _PRIVATE_NETWORKS)


def _self_hosted(
    resource_attributes: Mapping[str, object], tables: SiteTables, self_hosted_region: str | None
) -> Location | None:
    provider = resource_attributes.get(sc.CLOUD_PROVIDER)
    region = resource_attributes.get(sc.CLOUD_REGION)
    if isinstance(provider, str) and isinstance(region, str) and region:
        provider = provider.lower()
        if provider in _CLOUD_PROVIDERS:
            location = _cloud_region(f"{provider}:{region.lower()}", tables, SOURCE_SELF_HOSTED_RESOURCE)
            if location is not None:
                return location
    if self_hosted_region:
        return _region(self_hosted_region, tables, SOURCE_SELF_HOSTED_CONFIG)
    return None


def _provider_default(span_attributes: Mapping[str, object], tables: SiteTables) -> Location | None:
    name = span_attributes.get(sc.GEN_AI_PROVIDER_NAME) or span_attributes.get(sc.GEN_AI_SYSTEM)
    site = tables.provider(name if isinstance(name, str) else None)
    if site.default_cloud_region:
        location = _cloud_region(site.default_cloud_region, tables, SOURCE_PROVIDER_DEFAULT)
        if location is not None:
            return location
    if site.default_zone and site.default_zone in tables.grid_by_zone:
        return _new(Location, (site.default_zone, None, SOURCE_PROVIDER_DEFAULT))
    return None


def _region(region: str, tables: SiteTables, source: str) -> Location | None:
    """A configured region: a cloud region (has a colon) or a grid zone."""
    if ":" in region:
        return _cloud_region(region.lower(), tables, source)
    zone = region.upper()
    return _new(Location, (zone, None, source)) if zone in tables.grid_by_zone else None


def _cloud_region(cloud_region: str, tables: SiteTables, source: str) -> Location | None:
    zone = tables.cloud_region_zone.get(cloud_region)
    if zone is None or zone not in tables.grid_by_zone:
        return None
    return _new(Location, (zone, cloud_region, source))
