"""Carbon metrics.

Two histograms hold one point per call (their ``_sum`` is the total and ``_count`` the number of calls).
Totals that need no per-call distribution (water, low-carbon energy, embodied emissions, tokens,
conversations) are summed in memory per series and reported by observable counters at collection time.

Nothing of this runs on the span's path: ``record`` appends the call's figures to a bounded queue, and
the queue is drained at collection (by the observable counters' callbacks, which the SDK runs before it
reads the histograms' storage) or when it is full. Each ``Histogram.record`` cleans and hashes its
attributes, which made the two records cost 0.9x a bare span; the drain does the same records, with
the span context the call ended in (for exemplars), so the exported points are the same.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping

from opentelemetry.metrics import CallbackOptions, Meter, NoOpHistogram, Observation
from opentelemetry.trace import NonRecordingSpan, SpanContext, get_current_span, set_span_in_context

from otel_carbon import semconv as sc
from otel_carbon.processor.fast_path import Enrichment

# Per-call energy spans ~0.1 J (a short embedding) to ~100 kJ (a long reasoning answer).
ENERGY_BUCKETS_J = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)
# Emissions buckets are decades and half-decades so alert thresholds (1 g, 0.3 g, ...) sit on edges.
EMISSIONS_BUCKETS_G = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
DEFAULT_MAX_CONVERSATIONS = 10_000
MAX_PENDING = 8192
"""Calls queued between collections before the span path drains them itself (about 300 bytes each)."""

_NO_ATTRIBUTES: Mapping[str, str] = {}
_WATER, _LOW_CARBON, _EMBODIED, _INPUT_TOKENS, _OUTPUT_TOKENS = range(5)


class _SeenConversations:
    """The most recently active conversations, bounded: one counts once while it is remembered.

    Ids are kept as hashes (a collision merely undercounts one conversation), so memory is flat at
    about 100 bytes per remembered conversation whatever the ids' length.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._ids: OrderedDict[int, None] = OrderedDict()

    def first_sight(self, conversation_id: str) -> bool:
        key = hash(conversation_id)
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)
        return True


class CarbonMetrics:
    def __init__(self, meter: Meter, max_conversations: int = DEFAULT_MAX_CONVERSATIONS) -> None:
        self._energy = meter.create_histogram(
            sc.METRIC_ENERGY,
            unit=sc.METRIC_ENERGY_UNIT,
            description="Estimated facility energy of one GenAI call (LLM, embedding, TTS or STT)",
            explicit_bucket_boundaries_advisory=list(ENERGY_BUCKETS_J),
        )
        self._emissions = meter.create_histogram(
            sc.METRIC_EMISSIONS,
            unit=sc.METRIC_EMISSIONS_UNIT,
            description="Estimated location-based emissions of one GenAI call, grams CO2e",
            explicit_bucket_boundaries_advisory=list(EMISSIONS_BUCKETS_G),
        )
        self._lock = threading.Lock()
        self._pending: deque[tuple[tuple[object, ...], SpanContext | None]] = deque()
        self._enabled = not isinstance(self._energy, NoOpHistogram)
        self._totals: dict[tuple[tuple[str, str], ...], tuple[Mapping[str, str], list[float]]] = {}
        self._conversations: dict[tuple[tuple[str, str], ...], list[int]] = {}
        self._seen = _SeenConversations(max_conversations)
        meter.create_observable_counter(
            sc.METRIC_WATER,
            callbacks=[self._observe(_WATER)],
            unit=sc.METRIC_WATER_UNIT,
            description="Estimated water consumed by GenAI calls: on-site cooling and electricity generation, litres",
        )
        meter.create_observable_counter(
            sc.METRIC_LOW_CARBON_ENERGY,
            callbacks=[self._observe(_LOW_CARBON)],
            unit=sc.METRIC_ENERGY_UNIT,
            description="The part of GenAI calls' energy drawn from low-carbon generation, where the grid's share is known",
        )
        meter.create_observable_counter(
            sc.METRIC_EMBODIED_EMISSIONS,
            callbacks=[self._observe(_EMBODIED)],
            unit=sc.METRIC_EMISSIONS_UNIT,
            description="Embodied hardware emissions allocated to GenAI calls (when enabled), grams CO2e",
        )
        meter.create_observable_counter(
            sc.METRIC_TOKENS,
            callbacks=[self._observe_tokens],
            unit=sc.METRIC_TOKENS_UNIT,
            description="Tokens processed by GenAI calls that were estimated",
        )
        meter.create_observable_counter(
            sc.METRIC_CONVERSATIONS,
            callbacks=[self._observe_conversations],
            unit=sc.METRIC_CONVERSATIONS_UNIT,
            description="Distinct gen_ai.conversation.id values first seen by this process",
        )

    def record(self, enrichment: Enrichment) -> None:
        """Queue one call's figures; thread-safe without a lock (``deque.append`` is atomic)."""
        if enrichment.metric_attributes is None or not self._enabled:
            return
        span_context = get_current_span().get_span_context()
        # Everything but the span attributes, which are not needed here: a plain tuple, copied in C.
        self._pending.append((enrichment[1:], span_context if span_context.is_valid else None))
        if len(self._pending) >= MAX_PENDING:
            self.drain()

    def drain(self) -> None:
        """Record every queued call, in order."""
        pending, popleft = self._pending, self._pending.popleft
        with self._lock:
            while pending:
                fields, span_context = popleft()
                enrichment = Enrichment(_NO_ATTRIBUTES, *fields)  # type: ignore[arg-type]
                context = None if span_context is None else set_span_in_context(NonRecordingSpan(span_context))
                attributes = enrichment.metric_attributes
                self._energy.record(enrichment.energy_joules, attributes, context)
                self._emissions.record(enrichment.emissions_grams, attributes, context)
                self._add_totals(enrichment)

    def _add_totals(self, enrichment: Enrichment) -> None:
        attributes = enrichment.metric_attributes
        assert attributes is not None
        entry = self._totals.get(enrichment.series_key)
        if entry is None:
            entry = self._totals[enrichment.series_key] = (attributes, [0.0, 0.0, 0.0, 0.0, 0.0])
        totals = entry[1]
        totals[_WATER] += enrichment.water_litres
        if enrichment.low_carbon_joules is not None:
            totals[_LOW_CARBON] += enrichment.low_carbon_joules
        if enrichment.embodied_grams is not None:
            totals[_EMBODIED] += enrichment.embodied_grams
        totals[_INPUT_TOKENS] += enrichment.input_tokens
        totals[_OUTPUT_TOKENS] += enrichment.output_tokens
        if enrichment.conversation_id is not None and self._seen.first_sight(enrichment.conversation_id):
            agent = attributes.get(sc.GEN_AI_AGENT_NAME)
            key = ((sc.GEN_AI_AGENT_NAME, agent),) if agent else ()
            self._conversations.setdefault(key, [0])[0] += 1

    def _observe(self, index: int):  # type: ignore[no-untyped-def]
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            self.drain()
            with self._lock:
                snapshot = [(attributes, totals[index]) for attributes, totals in self._totals.values()]
            return [Observation(value, attributes) for attributes, value in snapshot if value]

        return callback

    def _observe_tokens(self, options: CallbackOptions) -> Iterable[Observation]:
        self.drain()
        with self._lock:
            snapshot = [(a, t[_INPUT_TOKENS], t[_OUTPUT_TOKENS]) for a, t in self._totals.values()]
        observations = []
        for attributes, input_tokens, output_tokens in snapshot:
            if input_tokens:
                observations.append(Observation(input_tokens, {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}))
            if output_tokens:
                observations.append(Observation(output_tokens, {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}))
        return observations

    def _observe_conversations(self, options: CallbackOptions) -> Iterable[Observation]:
        self.drain()
        with self._lock:
            return [Observation(count[0], dict(key)) for key, count in self._conversations.items()]
