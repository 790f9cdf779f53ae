"""Every attribute, metric and operation name otel-carbon reads or writes.

GenAI names follow the OpenTelemetry GenAI semantic conventions (latest experimental).
They are spelled here rather than imported from ``opentelemetry.semconv._incubating`` because
that module is private, deprecated for gen_ai since semconv 1.42, and lacks the newest names
in the oldest supported release. Names that the conventions do not define live under the
``otel_carbon.`` namespace so they cannot clash with a future ``gen_ai.*`` definition.
"""

from __future__ import annotations

from typing import Final

# --- GenAI semantic conventions: attributes ---------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_SYSTEM: Final = "gen_ai.system"  # pre-1.37 spelling of the provider, read only
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
GEN_AI_OUTPUT_TYPE: Final = "gen_ai.output.type"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"

GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_USAGE_AUDIO_INPUT_TOKENS: Final = "gen_ai.usage.audio.input_tokens"
GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS: Final = "gen_ai.usage.audio.output_tokens"

# Spellings other producers still emit; the processor reads them, nothing here writes them.
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
LEGACY_USAGE_PROMPT_TOKENS: Final = "gen_ai.usage.prompt_tokens"  # OpenLLMetry < 0.40
LEGACY_USAGE_COMPLETION_TOKENS: Final = "gen_ai.usage.completion_tokens"
LEGACY_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read_input_tokens"  # OpenLLMetry
LEGACY_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation_input_tokens"

SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
# Resource attributes (cloud resource semantic conventions), read only: where a self-hosted model runs.
CLOUD_PROVIDER: Final = "cloud.provider"
CLOUD_REGION: Final = "cloud.region"
CLOUD_PROVIDER_AWS: Final = "aws"
CLOUD_PROVIDER_GCP: Final = "gcp"
CLOUD_PROVIDER_AZURE: Final = "azure"
ERROR_TYPE: Final = "error.type"
ERROR_TYPE_OTHER: Final = "_OTHER"

# --- GenAI semantic conventions: values -------------------------------------------------
OPERATION_CHAT: Final = "chat"
OPERATION_TEXT_COMPLETION: Final = "text_completion"
OPERATION_GENERATE_CONTENT: Final = "generate_content"
OPERATION_EMBEDDINGS: Final = "embeddings"
# No convention yet (semantic-conventions-genai PR #390 proposes these two).
OPERATION_TEXT_TO_SPEECH: Final = "text_to_speech"
OPERATION_SPEECH_TO_TEXT: Final = "speech_to_text"
# Operations whose usage is a roll-up of child inference spans: never estimated, to avoid counting twice.
ROLLUP_OPERATIONS: Final = frozenset({"invoke_agent", "create_agent", "execute_tool", "invoke_workflow", "plan"})

OUTPUT_TYPE_SPEECH: Final = "speech"
OUTPUT_TYPE_TEXT: Final = "text"

PROVIDER_OPENAI: Final = "openai"

# --- otel-carbon usage attributes (written by the instrumentation) ------------------------
TTS_CHARACTERS: Final = "otel_carbon.tts.characters"
"""int: characters of text sent to a text-to-speech model."""
STT_AUDIO_SECONDS: Final = "otel_carbon.stt.audio.seconds"
"""double: seconds of audio sent to a speech-to-text model."""
STT_AUDIO_SECONDS_SOURCE: Final = "otel_carbon.stt.audio.seconds.source"
"""string: where the seconds came from: ``response`` (provider-reported) or ``file`` (read from the upload)."""
USAGE_MISSING: Final = "otel_carbon.usage.missing"
"""string: why a call carries no usage numbers (e.g. ``stream_without_usage``)."""

USAGE_SOURCE: Final = "otel_carbon.usage.source"
"""string: ``reported`` (the provider's own usage numbers) or ``estimated`` (reconstructed from what was seen,
e.g. a stream without ``stream_options.include_usage``; the processor widens the range)."""
USAGE_SOURCE_REPORTED: Final = "reported"
USAGE_SOURCE_ESTIMATED: Final = "estimated"
USAGE_ESTIMATED: Final = "otel_carbon.usage.estimated"
"""string[]: which usage attributes were estimated rather than reported (e.g. ``gen_ai.usage.output_tokens``)."""

AUDIO_SECONDS_SOURCE_RESPONSE: Final = "response"
AUDIO_SECONDS_SOURCE_FILE: Final = "file"

USAGE_MISSING_STREAM_WITHOUT_USAGE: Final = "stream_without_usage"
USAGE_MISSING_STREAM_INCOMPLETE: Final = "stream_incomplete"
USAGE_MISSING_RESPONSE_NOT_READ: Final = "response_not_read"
USAGE_MISSING_AUDIO_UNREADABLE: Final = "audio_duration_unreadable"
USAGE_MISSING_NO_USAGE_IN_RESPONSE: Final = "no_usage_in_response"
USAGE_MISSING_COUNTED_IN_NESTED_CALL: Final = "counted_in_nested_call"
"""A wrapper's span (e.g. LiteLLM over openai): its usage is on the nested instrumented call's span."""

# --- otel-carbon estimate attributes (written by the processor) ---------------------------
COMPONENT: Final = "otel_carbon.component"
"""string: ``llm``, ``embedding``, ``tts`` or ``stt``."""
ENERGY_WH: Final = "otel_carbon.energy.wh"
ENERGY_WH_LOW: Final = "otel_carbon.energy.wh.low"
ENERGY_WH_HIGH: Final = "otel_carbon.energy.wh.high"
EMISSIONS_GCO2E: Final = "otel_carbon.emissions.gco2e"
EMISSIONS_GCO2E_LOW: Final = "otel_carbon.emissions.gco2e.low"
EMISSIONS_GCO2E_HIGH: Final = "otel_carbon.emissions.gco2e.high"
ENERGY_CLASS: Final = "otel_carbon.energy.class"
"""string: the coefficient set used, e.g. ``llm.frontier``."""
MODEL: Final = "otel_carbon.model"
"""string: the normalised model name the coefficients were looked up with."""
MODEL_UNKNOWN: Final = "otel_carbon.model.unknown"
"""bool: set (true) when the model is not in the catalogue and the component's fallback class was used."""
PUE: Final = "otel_carbon.pue"
GRID_INTENSITY: Final = "otel_carbon.grid.intensity"
"""double: grid carbon intensity used, gCO2e/kWh."""
GRID_INTENSITY_SOURCE: Final = "otel_carbon.grid.intensity.source"
REGION: Final = "otel_carbon.region"
REGION_SOURCE: Final = "otel_carbon.region.source"
"""string: how the region was resolved: ``config``, ``server_address``, ``azure_resource``, ``self_hosted_resource``,
``self_hosted_config``, ``provider_default`` or ``default`` (processor/model/location.py)."""
METHODOLOGY_VERSION: Final = "otel_carbon.methodology.version"
ESTIMATE_ERROR: Final = "otel_carbon.estimate.error"
"""string: why a span that looked like a GenAI call got no estimate; names the culprit attribute."""

COMPONENT_LLM: Final = "llm"
COMPONENT_EMBEDDING: Final = "embedding"
COMPONENT_TTS: Final = "tts"
COMPONENT_STT: Final = "stt"

# --- otel-carbon metrics --------------------------------------------------------------------
# Histograms: _sum is the total, _count the number of calls, buckets the per-call distribution.
# Joules and grams are valid UCUM and map to clean Prometheus suffixes:
#   otel_carbon_energy_joules_{bucket,sum,count}, otel_carbon_emissions_grams_{bucket,sum,count}
METRIC_ENERGY: Final = "otel_carbon.energy"
METRIC_ENERGY_UNIT: Final = "J"
METRIC_EMISSIONS: Final = "otel_carbon.emissions"
METRIC_EMISSIONS_UNIT: Final = "g"
# Metric dimensions (all bounded; never a conversation id or any other per-call value).
METRIC_DIMENSIONS: Final = (COMPONENT, GEN_AI_PROVIDER_NAME, MODEL, REGION, USAGE_SOURCE, GEN_AI_AGENT_NAME)
OTHER_VALUE: Final = "_other"
"""Metric label value that stands in for values beyond a dimension's cardinality bound."""

# --- Resource of the collector-tier service (`otel-carbon serve`) ------------------------------
SERVICE_NAME: Final = "service.name"
SERVICE_INSTANCE_ID: Final = "service.instance.id"
SERVICE_NAME_OTEL_CARBON: Final = "otel-carbon"

# --- Instrumentation scope ------------------------------------------------------------------
SCHEMA_URL: Final = "https://opentelemetry.io/schemas/1.37.0"

# --- added with the energy-data release ---------------------------------------------------------
METRIC_WATER: Final = "otel_carbon.water"
METRIC_WATER_UNIT: Final = "L"
METRIC_LOW_CARBON_ENERGY: Final = "otel_carbon.energy.low_carbon"
METRIC_EMBODIED_EMISSIONS: Final = "otel_carbon.emissions.embodied"
METRIC_TOKENS: Final = "otel_carbon.tokens"
METRIC_TOKENS_UNIT: Final = "{token}"
METRIC_CONVERSATIONS: Final = "otel_carbon.conversations"
METRIC_CONVERSATIONS_UNIT: Final = "{conversation}"
TOKEN_TYPE: Final = "otel_carbon.token.type"
"""Metric dimension of otel_carbon.tokens: ``input`` or ``output``."""
TOKEN_TYPE_INPUT: Final = "input"
TOKEN_TYPE_OUTPUT: Final = "output"
WATER_L: Final = "otel_carbon.water.l"
"""double: water consumed by the call, litres: on-site cooling (WUE) plus electricity generation."""
LOW_CARBON_SHARE: Final = "otel_carbon.grid.low_carbon_share"
"""double 0..1: share of low-carbon (nuclear + renewable) generation in the grid zone, when known."""
GRID_INTENSITY_BASIS: Final = "otel_carbon.grid.intensity.basis"
"""string: ``lifecycle`` (average, upstream included), ``marginal`` (WattTime MOER) or ``configured``."""
EMISSIONS_BASIS: Final = "otel_carbon.emissions.basis"
"""string: ``location-based`` (GHG Protocol Scope 2 method; for API customers Scope 3 category 1)."""
CLOUD_REGION_USED: Final = "otel_carbon.cloud.region"
"""string: the cloud region the call ran in, when known (``aws:us-east-1``)."""
EMBODIED_GCO2E: Final = "otel_carbon.emissions.embodied.gco2e"
"""double: embodied hardware emissions allocated to the call (SCI's M term); only with OTEL_CARBON_EMBODIED=true."""
BASIS_LIFECYCLE: Final = "lifecycle"
BASIS_MARGINAL: Final = "marginal"
BASIS_CONFIGURED: Final = "configured"
BASIS_LOCATION_BASED: Final = "location-based"
PUE_SOURCE: Final = "otel_carbon.pue.source"
"""string: where the PUE comes from: a data-file source id or ``config:OTEL_CARBON_PUE``."""

# --- otel-carbon serve (collector tier) --------------------------------------------------------
METRIC_SERVE_DROPPED_ATTRIBUTES: Final = "otel_carbon.serve.dropped_attributes"
"""counter: span and resource attributes the service dropped because their key is not UTF-8 (the rest
of the span, and of the batch, is forwarded; each drop is counted in its owner's dropped_attributes_count)."""
METRIC_SERVE_DROPPED_ATTRIBUTES_UNIT: Final = "{attribute}"
