"""Loopback stand-ins for the SDKs' servers: one server, one payload module per SDK."""

from __future__ import annotations

from .openai_payloads import silence_wav
from .server import RecordedRequest, StandinServer

__all__ = ["RecordedRequest", "StandinServer", "silence_wav"]
