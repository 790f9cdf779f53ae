"""A voice agent (LLM + TTS + STT) against a local OpenAI stand-in: ``python -m otel_carbon.demo``."""
