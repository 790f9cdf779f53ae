"""Where a call ran: one behaviour per test, against hand-built site tables."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from otel_carbon import semconv as sc
from otel_carbon.processor.model.coefficients import Range
from otel_carbon.processor.model.location import (
    SOURCE_AZURE_RESOURCE,
    SOURCE_CONFIG,
    SOURCE_DEFAULT,
    SOURCE_PROVIDER_DEFAULT,
    SOURCE_SELF_HOSTED_CONFIG,
    SOURCE_SELF_HOSTED_RESOURCE,
    SOURCE_SERVER_ADDRESS,
    Location,
    resolve_location,
)
from otel_carbon.processor.model.sites import GridZone, ProviderSite, SiteTables


def _zone(code: str, grams: float) -> GridZone:
    return GridZone(code, grams, 2023, "test", None, None, None)


def _site(name: str, zone: str | None = None, cloud_region: str | None = None) -> ProviderSite:
    one = Range(1.1, 1.1, 1.1)
    return ProviderSite(name, one, Range(0.3, 0.3, 0.3), zone, cloud_region, "test")


TABLES = SiteTables(
    grid_by_zone={
        code: _zone(code, grams)
        for code, grams in {
            "WORLD": 473,
            "US": 370,
            "FR": 56,
            "SE": 41,
            "NL": 268,
            "DE": 381,
            "IE": 291,
            "CN": 582,
        }.items()
    },
    default_zone="WORLD",
    providers={
        "openai": _site("openai", cloud_region="azure:eastus2"),
        "anthropic": _site("anthropic", zone="US"),
        "mistral_ai": _site("mistral_ai", zone="FR", cloud_region="azure:unknown-region"),
        "nowhere": _site("nowhere", zone="ATLANTIS"),
    },
    default_provider=_site("_default"),
    cloud_region_zone={
        "aws:us-east-1": "US",
        "aws:eu-west-1": "IE",
        "aws:eu-north-1": "SE",
        "aws:cn-north-1": "CN",
        "gcp:europe-west4": "NL",
        "gcp:us-central1": "US",
        "azure:eastus2": "US",
        "azure:swedencentral": "SE",
        "azure:francecentral": "FR",
        "aws:eu-south-9": "ATLANTIS",  # a zone the grid table lacks
    },
)


def resolve(
    address: str | None = None,
    provider: str | None = "openai",
    resource: Mapping[str, object] | None = None,
    *,
    configured_region: str | None = None,
    self_hosted_region: str | None = None,
    azure_resources: Mapping[str, str] | None = None,
) -> Location:
    span: dict[str, object] = {}
    if address is not None:
        span[sc.SERVER_ADDRESS] = address
    if provider is not None:
        span[sc.GEN_AI_PROVIDER_NAME] = provider
    return resolve_location(
        span,
        resource or {},
        TABLES,
        configured_region=configured_region,
        self_hosted_region=self_hosted_region,
        azure_resources=azure_resources or {},
    )


AWS_RESOURCE = {sc.CLOUD_PROVIDER: "aws", sc.CLOUD_REGION: "eu-north-1"}


# --- 1. configured region ----------------------------------------------------------------------
def test_configured_zone_wins_over_everything() -> None:
    location = resolve("bedrock-runtime.us-east-1.amazonaws.com", configured_region="FR")
    assert location == Location("FR", None, SOURCE_CONFIG)


def test_configured_cloud_region_maps_to_its_zone() -> None:
    assert resolve("api.openai.com", configured_region="gcp:europe-west4") == Location(
        "NL", "gcp:europe-west4", SOURCE_CONFIG
    )


def test_unknown_configured_region_falls_through() -> None:
    assert resolve("api.openai.com", configured_region="aws:mars-1").source == SOURCE_PROVIDER_DEFAULT
    assert resolve("api.openai.com", configured_region="ZZ").source == SOURCE_PROVIDER_DEFAULT


# --- 2. what server.address reveals ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "cloud_region"),
    [
        ("bedrock-runtime.us-east-1.amazonaws.com", "aws:us-east-1"),
        ("bedrock-runtime-fips.us-east-1.amazonaws.com", "aws:us-east-1"),
        ("bedrock.eu-west-1.amazonaws.com", "aws:eu-west-1"),
        ("bedrock-runtime.eu-north-1.api.aws", "aws:eu-north-1"),
        ("bedrock-agent-runtime.eu-west-1.amazonaws.com", "aws:eu-west-1"),
        ("bedrock-runtime.cn-north-1.amazonaws.com.cn", "aws:cn-north-1"),
        ("vpce-0abc123-xyz.bedrock-runtime.eu-west-1.vpce.amazonaws.com", "aws:eu-west-1"),
    ],
)
def test_bedrock_endpoint_reveals_the_aws_region(address: str, cloud_region: str) -> None:
    location = resolve(address, provider="aws.bedrock")
    assert (location.cloud_region, location.source) == (cloud_region, SOURCE_SERVER_ADDRESS)
    assert location.zone == TABLES.cloud_region_zone[cloud_region]


def test_bedrock_address_is_case_insensitive_and_tolerates_port_and_trailing_dot() -> None:
    assert resolve("Bedrock-Runtime.US-EAST-1.amazonaws.com.").cloud_region == "aws:us-east-1"
    assert resolve("bedrock-runtime.us-east-1.amazonaws.com:443").cloud_region == "aws:us-east-1"
    assert resolve("https://bedrock-runtime.us-east-1.amazonaws.com/model").cloud_region == "aws:us-east-1"


def test_other_aws_services_reveal_nothing() -> None:
    assert resolve("s3.us-east-1.amazonaws.com").source == SOURCE_PROVIDER_DEFAULT


def test_vertex_regional_endpoint_reveals_the_gcp_location() -> None:
    assert resolve("europe-west4-aiplatform.googleapis.com", provider="gcp.vertex_ai") == Location(
        "NL", "gcp:europe-west4", SOURCE_SERVER_ADDRESS
    )


def test_vertex_global_endpoint_falls_through() -> None:
    location = resolve("aiplatform.googleapis.com", provider="anthropic")
    assert location == Location("US", None, SOURCE_PROVIDER_DEFAULT)


@pytest.mark.parametrize(
    "address",
    [
        "myres.openai.azure.com",
        "myres.cognitiveservices.azure.com",
        "myres.services.ai.azure.com",
        "MyRes.openai.azure.com",
    ],
)
def test_azure_resource_maps_through_the_configured_resources(address: str) -> None:
    location = resolve(address, provider="azure.ai.openai", azure_resources={"myres": "azure:swedencentral"})
    assert location == Location("SE", "azure:swedencentral", SOURCE_AZURE_RESOURCE)


def test_unmapped_azure_resource_falls_through() -> None:
    location = resolve("other.openai.azure.com", azure_resources={"myres": "azure:swedencentral"})
    assert location == Location("US", "azure:eastus2", SOURCE_PROVIDER_DEFAULT)


def test_azure_regional_endpoint_reveals_the_region() -> None:
    assert resolve("francecentral.api.cognitive.microsoft.com") == Location(
        "FR", "azure:francecentral", SOURCE_SERVER_ADDRESS
    )


def test_unknown_region_in_an_endpoint_falls_through() -> None:
    assert resolve("bedrock-runtime.mars-north-1.amazonaws.com").source == SOURCE_PROVIDER_DEFAULT
    assert resolve("mars1-aiplatform.googleapis.com").source == SOURCE_PROVIDER_DEFAULT


def test_cloud_region_whose_zone_the_grid_table_lacks_falls_through() -> None:
    assert resolve("bedrock-runtime.eu-south-9.amazonaws.com").source == SOURCE_PROVIDER_DEFAULT


# --- 3. self-hosted ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "localhost",
        "::1",
        "[::1]",
        "[::1]:8000",
        "localhost:11434",
        "10.2.3.4",
        "172.16.0.5",
        "172.31.255.255",
        "192.168.1.20",
        "fd12:3456::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
        "ollama",
        "gpu-box.local",
        "vllm.default.svc.cluster.local",
        "host.docker.internal",
        "model.internal",
    ],
)
def test_local_or_private_address_is_self_hosted_in_the_apps_cloud_region(address: str) -> None:
    assert resolve(address, resource=AWS_RESOURCE) == Location("SE", "aws:eu-north-1", SOURCE_SELF_HOSTED_RESOURCE)


@pytest.mark.parametrize("address", ["172.32.0.1", "8.8.8.8", "2001:4860:4860::8888", "api.openai.com"])
def test_public_address_is_not_self_hosted(address: str) -> None:
    assert resolve(address, resource=AWS_RESOURCE).source == SOURCE_PROVIDER_DEFAULT


def test_self_hosted_resource_region_is_case_insensitive() -> None:
    resource = {sc.CLOUD_PROVIDER: "GCP", sc.CLOUD_REGION: "Europe-West4"}
    assert resolve("127.0.0.1", resource=resource) == Location("NL", "gcp:europe-west4", SOURCE_SELF_HOSTED_RESOURCE)


def test_self_hosted_without_cloud_resource_uses_the_self_hosted_setting() -> None:
    assert resolve("localhost", self_hosted_region="FR") == Location("FR", None, SOURCE_SELF_HOSTED_CONFIG)
    assert resolve("localhost", self_hosted_region="azure:swedencentral") == Location(
        "SE", "azure:swedencentral", SOURCE_SELF_HOSTED_CONFIG
    )


def test_self_hosted_unknown_resource_region_falls_back_to_the_setting() -> None:
    resource = {sc.CLOUD_PROVIDER: "aws", sc.CLOUD_REGION: "mars-north-1"}
    assert resolve("10.0.0.1", resource=resource, self_hosted_region="FR").source == SOURCE_SELF_HOSTED_CONFIG


def test_self_hosted_unsupported_cloud_provider_falls_back_to_the_setting() -> None:
    resource = {sc.CLOUD_PROVIDER: "alibaba_cloud", sc.CLOUD_REGION: "cn-hangzhou"}
    assert resolve("10.0.0.1", resource=resource, self_hosted_region="FR").source == SOURCE_SELF_HOSTED_CONFIG


def test_self_hosted_with_nothing_known_is_the_default_not_the_providers_location() -> None:
    # An OpenAI-compatible local server reports provider "openai"; OpenAI's data centres are irrelevant.
    assert resolve("127.0.0.1", provider="openai") == Location("WORLD", None, SOURCE_DEFAULT)


def test_self_hosted_unknown_setting_is_the_default() -> None:
    assert resolve("127.0.0.1", self_hosted_region="aws:mars-1") == Location("WORLD", None, SOURCE_DEFAULT)


def test_configured_region_wins_over_self_hosting() -> None:
    assert resolve("127.0.0.1", resource=AWS_RESOURCE, configured_region="FR").source == SOURCE_CONFIG


# --- 4. provider default --------------------------------------------------------------------------
def test_provider_default_cloud_region() -> None:
    assert resolve("api.openai.com") == Location("US", "azure:eastus2", SOURCE_PROVIDER_DEFAULT)


def test_provider_default_zone() -> None:
    assert resolve("api.anthropic.com", provider="anthropic") == Location("US", None, SOURCE_PROVIDER_DEFAULT)


def test_provider_default_unknown_cloud_region_falls_back_to_its_zone() -> None:
    assert resolve("api.mistral.ai", provider="mistral_ai") == Location("FR", None, SOURCE_PROVIDER_DEFAULT)


def test_provider_default_from_the_legacy_gen_ai_system() -> None:
    span = {sc.GEN_AI_SYSTEM: "anthropic"}
    location = resolve_location(span, {}, TABLES, configured_region=None, self_hosted_region=None, azure_resources={})
    assert location == Location("US", None, SOURCE_PROVIDER_DEFAULT)


def test_provider_default_without_a_server_address() -> None:
    assert resolve(None, provider="anthropic").source == SOURCE_PROVIDER_DEFAULT


# --- 5. default ------------------------------------------------------------------------------------
def test_unknown_provider_is_the_default_zone() -> None:
    assert resolve("api.example.com", provider="example") == Location("WORLD", None, SOURCE_DEFAULT)


def test_provider_default_zone_the_grid_table_lacks_is_the_default() -> None:
    assert resolve("api.nowhere.ai", provider="nowhere") == Location("WORLD", None, SOURCE_DEFAULT)


def test_no_attributes_at_all_is_the_default() -> None:
    assert resolve(None, provider=None) == Location("WORLD", None, SOURCE_DEFAULT)


@pytest.mark.parametrize("address", ["", 42, None, ["127.0.0.1"]])
def test_non_string_or_empty_address_is_ignored(address: object) -> None:
    span = {sc.SERVER_ADDRESS: address, sc.GEN_AI_PROVIDER_NAME: "anthropic"}
    location = resolve_location(span, {}, TABLES, configured_region=None, self_hosted_region=None, azure_resources={})
    assert location.source == SOURCE_PROVIDER_DEFAULT
