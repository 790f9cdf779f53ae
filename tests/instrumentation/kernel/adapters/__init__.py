"""The registry of SDK adapters the kernel suite runs against: every module in this package that
defines ``ADAPTER`` is picked up, so a new SDK joins the suite by adding one module here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor


@dataclass(frozen=True)
class KernelAdapter:
    """How the kernel suite drives one SDK through its loopback stand-in.

    ``session()`` yields a ``client`` (connected to a fresh stand-in); every scenario takes it.
    """

    name: str
    instrumentor: Callable[[], BaseInstrumentor]
    session: Callable[[], AbstractContextManager[Any]]
    call: Callable[[Any], Any]
    """One non-stream call that returns usage."""
    failing_call: Callable[[Any], Any]
    """One call the provider answers with an error; returns the exception type the SDK raises."""
    open_stream: Callable[[Any], Any]
    """A stream call with one item read; returns the SDK's stream object."""
    read_rest: Callable[[Any], list[Any]]
    error_type: str
    """``error.type`` of ``failing_call``."""


def adapters() -> Iterator[KernelAdapter]:
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if isinstance(adapter, KernelAdapter):
            yield adapter


ADAPTERS = tuple(adapters())
