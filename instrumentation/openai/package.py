from __future__ import annotations

_instruments = ("openai >= 2.0.0, < 4",)
