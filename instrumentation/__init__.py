"""Auto-instrumentation of generative-AI client SDKs.

Each instrumentor emits CLIENT spans carrying what the provider billed (tokens, characters,
audio seconds) under the names in :mod:`otel_carbon.semconv`. None of them computes energy:
the span processor in :mod:`otel_carbon.processor` does that from the span attributes.
"""
