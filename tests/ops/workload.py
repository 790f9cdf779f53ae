"""A GenAI workload for the live dashboard test, run as a subprocess: ``python workload.py SECONDS``.

SDK TracerProvider with the real otel-carbon processor (``attach_processor``), MeterProvider with
the Prometheus exporter on 127.0.0.1 (a free port). Every round (4 per second) is one conversation:
a heavy LLM call over the per-call alert threshold (agent ``researcher``), a light LLM call, TTS and
STT calls (agent ``support``) and an embedding (no agent); the first four rounds two seconds apart
also carry an over-threshold call of a rarely used model (agent ``scout``), kept under the alerts'
traffic guard. After the first round it prints one JSON line, ``{"port": N, "stand_ins": [...]}``,
then emits rounds for SECONDS and serves /metrics until terminated.

Stand-ins: a counter series the processor does not produce yet (water and low-carbon energy while
no grid data gives them) is recorded here under the same name, unit and labels, from the
processor's own estimate, by a separate meter; ``stand_ins`` names them. Histograms always come
from the processor.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY, generate_latest, start_http_server

from otel_carbon.processor import CarbonConfig, CarbonEnricher, attach_processor

ROUNDS_PER_SECOND = 4
RARE_MODEL_ROUNDS = (0, 8, 16, 24)
STAND_IN_WATER_L_PER_KWH = 2.0
STAND_IN_LOW_CARBON_SHARE = 0.4
# Prometheus series name -> (OTel instrument name, unit).
COUNTERS = {
    "otel_carbon_water_L_total": ("otel_carbon.water", "L"),
    "otel_carbon_energy_low_carbon_joules_total": ("otel_carbon.energy.low_carbon", "J"),
    "otel_carbon_tokens_total": ("otel_carbon.tokens", "{token}"),
    "otel_carbon_conversations_total": ("otel_carbon.conversations", "{conversation}"),
}

Attributes = dict[str, str | int | float]


def _chat(model: str, agent: str, input_tokens: int, output_tokens: int) -> Attributes:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.agent.name": agent,
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
    }


def round_calls(number: int) -> list[Attributes]:
    calls = [
        _chat("gpt-4o", "researcher", 2000, 100_000),
        _chat("gpt-4o-mini", "support", 500, 200),
        {
            "gen_ai.operation.name": "text_to_speech",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "tts-1",
            "gen_ai.agent.name": "support",
            "otel_carbon.tts.characters": 300,
        },
        {
            "gen_ai.operation.name": "speech_to_text",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "whisper-1",
            "gen_ai.agent.name": "support",
            "otel_carbon.stt.audio.seconds": 20.0,
        },
        {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "text-embedding-3-small",
            "gen_ai.usage.input_tokens": 500,
        },
    ]
    if number in RARE_MODEL_ROUNDS:
        calls.append(_chat("o1", "scout", 1000, 20_000))
    for call in calls:
        call["gen_ai.conversation.id"] = f"conversation-{number}"
    return calls


class StandIns:
    """Records the counters the processor left out, with the processor's estimate and labels."""

    def __init__(self, meter_provider: MeterProvider, missing: list[str]) -> None:
        meter = meter_provider.get_meter("otel_carbon.tests.workload")
        self.names = missing
        self._counters = {name: meter.create_counter(COUNTERS[name][0], unit=COUNTERS[name][1]) for name in missing}
        self._enricher = CarbonEnricher(CarbonConfig.from_env())
        self._conversations: set[str] = set()

    def record(self, call: Mapping[str, str | int | float]) -> None:
        if not self._counters:
            return
        enrichment = self._enricher.enrich(call)
        if enrichment is None or enrichment.metric_attributes is None:
            return
        labels = dict(enrichment.metric_attributes)
        energy = enrichment.energy_joules
        self._add("otel_carbon_water_L_total", energy / 3.6e6 * STAND_IN_WATER_L_PER_KWH, labels)
        self._add("otel_carbon_energy_low_carbon_joules_total", energy * STAND_IN_LOW_CARBON_SHARE, labels)
        for token_type in ("input", "output"):
            tokens = int(call.get(f"gen_ai.usage.{token_type}_tokens", 0))
            if tokens:
                self._add("otel_carbon_tokens_total", tokens, {**labels, "otel_carbon.token.type": token_type})
        conversation = str(call["gen_ai.conversation.id"])
        if conversation not in self._conversations:
            self._conversations.add(conversation)
            agent = call.get("gen_ai.agent.name")
            self._add("otel_carbon_conversations_total", 1, {"gen_ai.agent.name": str(agent)} if agent else {})

    def _add(self, name: str, value: float, labels: Mapping[str, str]) -> None:
        counter = self._counters.get(name)
        if counter is not None:
            counter.add(value, labels)


def exported_names() -> set[str]:
    text = generate_latest(REGISTRY).decode()
    return {line.split("{", 1)[0].split(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def main(seconds: float) -> None:
    server_and_thread = start_http_server(0, addr="127.0.0.1")
    port = server_and_thread[0].server_port
    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader()])
    tracer_provider = TracerProvider()
    if attach_processor(tracer_provider, meter_provider, CarbonConfig.from_env()) is None:
        raise SystemExit("otel-carbon processor not attached")
    tracer = tracer_provider.get_tracer("otel_carbon.tests.workload")

    def emit(number: int) -> list[Attributes]:
        calls = round_calls(number)
        for call in calls:
            with tracer.start_as_current_span(
                f"{call['gen_ai.operation.name']} {call['gen_ai.request.model']}"
            ) as span:
                span.set_attributes(call)
        return calls

    first = emit(0)
    names = exported_names()
    stand_ins = StandIns(meter_provider, sorted(name for name in COUNTERS if name not in names))
    for call in first:
        stand_ins.record(call)
    print(json.dumps({"port": port, "stand_ins": stand_ins.names}), flush=True)

    start = time.monotonic()
    number = 1
    while time.monotonic() - start < seconds:
        time.sleep(max(0.0, start + number / ROUNDS_PER_SECOND - time.monotonic()))
        for call in emit(number):
            stand_ins.record(call)
        number += 1
    threading.Event().wait()  # keep serving /metrics until terminated


if __name__ == "__main__":
    main(float(sys.argv[1]))
