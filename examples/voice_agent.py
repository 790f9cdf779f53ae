"""A voice agent's turns (speech-to-text, LLM, text-to-speech) through the real openai SDK, against the
local stand-in, with each call's energy and emissions printed as its span ends.

Run it zero-code (the README's first command)::

    opentelemetry-instrument --traces_exporter none --metrics_exporter none python examples/voice_agent.py

or on its own (it then sets the SDK up in code with ``otel_carbon.processor.configure``)::

    python examples/voice_agent.py
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import openai
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from otel_carbon import semconv as sc
from otel_carbon.processor import configure

# The stand-in server lives with the tests (it is not shipped); the checkout root makes it importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.standin import StandinServer, silence_wav  # noqa: E402

USER_TURNS = (
    "Hello, I would like to book a table for two tonight.",
    "Do you have anything around eight?",
    "Eight is perfect, thank you.",
)
# The stand-in always gives the same reply, so turns 2 and 3 are answered from the agent's TTS cache.
SYSTEM_PROMPT = "You are a restaurant booking assistant. Answer in one short sentence."


@dataclass
class CarbonLedger(SpanProcessor):
    """Prints each GenAI span's estimate when it ends and keeps totals by component."""

    energy_wh: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    emissions_g: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        attributes = span.attributes or {}
        energy = attributes.get(sc.ENERGY_WH)
        if not isinstance(energy, float):
            return
        component = str(attributes[sc.COMPONENT])
        emissions = float(attributes[sc.EMISSIONS_GCO2E])  # type: ignore[arg-type]
        self.energy_wh[component] += energy
        self.emissions_g[component] += emissions
        self.calls[component] += 1
        print(
            f"  {span.name:<38} {energy:9.5f} Wh {emissions:9.5f} gCO2e"
            f"   range {attributes[sc.ENERGY_WH_LOW]:.5f}-{attributes[sc.ENERGY_WH_HIGH]:.5f} Wh"
            f"   [{attributes[sc.ENERGY_CLASS]}, PUE {attributes[sc.PUE]}, {attributes[sc.REGION]} "
            f"{attributes[sc.GRID_INTENSITY]:g} g/kWh from {attributes[sc.REGION_SOURCE]}]"
        )

    def print_totals(self) -> None:
        print("\nTotals by component")
        for component in sorted(self.calls):
            print(
                f"  {component:<5} {self.calls[component]:3d} calls {self.energy_wh[component]:9.5f} Wh"
                f" {self.emissions_g[component]:9.5f} gCO2e"
            )
        print(
            f"  all   {sum(self.calls.values()):3d} calls {sum(self.energy_wh.values()):9.5f} Wh"
            f" {sum(self.emissions_g.values()):9.5f} gCO2e"
        )


def _spoken(text: str) -> bytes:
    """One second of silence per eight words: a stand-in for the caller's microphone."""
    return silence_wav(max(1, len(text.split()) // 8 + 1), sample_rate=16000)


def _tracer_provider() -> TracerProvider:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        return provider  # opentelemetry-instrument configured the SDK and attached the carbon processor
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    configure(provider)
    return provider


def run_conversation(client: openai.OpenAI) -> None:
    history: list[dict[str, str]] = [{"role": "system", "content": SYSTEM_PROMPT}]
    spoken_replies: dict[str, bytes] = {}
    for turn, utterance in enumerate(USER_TURNS, start=1):
        print(f"\nTurn {turn}")
        heard = client.audio.transcriptions.create(
            model="whisper-1", file=("turn.wav", _spoken(utterance), "audio/wav"), response_format="text"
        )
        history.append({"role": "user", "content": str(heard).strip() or utterance})
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=history, stream=True, stream_options={"include_usage": True}
        )
        reply = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        history.append({"role": "assistant", "content": reply})
        if reply in spoken_replies:
            print(f"  {'text_to_speech (served from cache)':<38} {0.0:9.5f} Wh {0.0:9.5f} gCO2e   no call, no cost")
            continue
        spoken_replies[reply] = client.audio.speech.create(model="tts-1", voice="alloy", input=reply).content


def main() -> None:
    ledger = CarbonLedger()
    _tracer_provider().add_span_processor(ledger)
    with StandinServer() as standin:
        print(f"Voice agent against the local OpenAI stand-in at {standin.base_url}")
        run_conversation(openai.OpenAI(base_url=standin.base_url, api_key="demo", max_retries=0))
    ledger.print_totals()
    print(
        "\nThe stand-in listens on 127.0.0.1, so the calls count as self-hosted: set OTEL_CARBON_SELF_HOSTED_REGION "
        "(e.g. FR) or a cloud.region resource attribute to place them; calls to api.openai.com default to the US."
    )


if __name__ == "__main__":
    main()
