"""Where one call's inference ran, and how we know. Pure: attributes and tables in, a Location out."""

from __future__ import annotations

from typing import NamedTuple

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
