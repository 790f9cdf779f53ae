"""Auto-instrumentation of generative-AI client SDKs.

Each instrumentor emits CLIENT spans carrying what the provider billed (tokens, characters,
audio seconds) under the names in :mod:`otel_carbon.semconv`. None of them computes energy:
the span processor in :mod:`otel_carbon.processor` does that from the span attributes.

Layout: the kernel is ``_call.py`` (one lifecycle, nesting guard), ``_wrap.py`` (one wrapper factory),
``_instrumentor.py`` (wrap table in), ``_streams.py`` (one traced stream), ``_estimates.py`` (usage
estimated when none is reported) and ``_stainless/`` (what Stainless SDKs share); each SDK folder
(``openai/``) says only what to wrap and how a response becomes usage.
"""
