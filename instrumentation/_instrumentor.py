"""The generic instrumentor: a wrap table in; probe, wrap, unwrap and the active flag."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import get_tracer
from wrapt import wrap_function_wrapper

from otel_carbon import semconv
from otel_carbon.instrumentation._wrap import Endpoint, Wrapper, WrapperState, make_wrapper
from otel_carbon.semconv.version import __version__


@dataclass(frozen=True, slots=True)
class Patch:
    """One method to wrap: ``target`` is "Class.method" in ``module``; ``wrapper`` builds the wrapt
    wrapper from the instrumentation's state and the original function."""

    module: str
    target: str
    wrapper: Callable[[WrapperState, Callable[..., Any]], Wrapper]


def traced_call(module: str, target: str, endpoint: Endpoint) -> Patch:
    """A GenAI call: a CLIENT span per call, ended by ``endpoint``."""
    return Patch(module, target, lambda state, original: make_wrapper(endpoint, state, original))


def find_method(module_name: str, target: str) -> tuple[Any, str] | None:
    """The class holding ``target`` ("Class.method") if this SDK version has it."""
    class_name, method_name = target.split(".")
    try:
        owner = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return None
    return (owner, method_name) if hasattr(owner, method_name) else None


class CarbonInstrumentor(BaseInstrumentor):  # type: ignore[misc]  # BaseInstrumentor is untyped
    """Subclasses name the SDK (``sdk_module``, ``instruments``) and list what to wrap (``patches``)."""

    sdk_module: str = ""
    instruments: Collection[str] = ()
    patches: tuple[Patch, ...] = ()
    _state: WrapperState | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        importlib.import_module(self.sdk_module)  # a missing SDK must raise ModuleNotFoundError here
        tracer = get_tracer(
            type(self).__module__,
            __version__,
            tracer_provider=kwargs.get("tracer_provider"),
            schema_url=semconv.SCHEMA_URL,
        )
        state = WrapperState(tracer=tracer)
        for patch in self.patches:
            found = find_method(patch.module, patch.target)
            if found is not None:
                owner, method_name = found
                original = getattr(owner, method_name)
                wrap_function_wrapper(patch.module, patch.target, patch.wrapper(state, original))
        self._state = state

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._state is not None:
            self._state.active = False
            self._state = None
        for patch in self.patches:
            found = find_method(patch.module, patch.target)
            if found is not None:
                unwrap(*found)
