"""A test-only second instrumented layer, built with the same kernel: a "gateway" (think LiteLLM)
whose method calls an instrumented SDK and reports usage of its own for the same logical call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from otel_carbon import semconv
from otel_carbon.instrumentation._call import Attributes, CallSpan
from otel_carbon.instrumentation._instrumentor import CarbonInstrumentor, traced_call
from otel_carbon.instrumentation._wrap import CallStart
from otel_carbon.semconv.usage import reported, to_attributes

GATEWAY_PROVIDER = "test_gateway"
GATEWAY_USAGE = to_attributes(reported(input_tokens=11, output_tokens=7))


class Gateway:
    """Runs whatever SDK call it is given, as a multi-provider gateway does."""

    def complete(self, sdk_call: Callable[[], Any]) -> Any:
        return sdk_call()

    async def acomplete(self, sdk_call: Callable[[], Any]) -> Any:
        return sdk_call()


class _GatewayEndpoint:
    def start(self, instance: Any, kwargs: Mapping[str, Any]) -> CallStart:
        return CallStart(operation_name=semconv.OPERATION_CHAT, provider_name=GATEWAY_PROVIDER, request_model="m")

    def finish(self, call: CallSpan, result: Any, kwargs: Mapping[str, Any]) -> Any:
        call.succeed(GATEWAY_USAGE)
        return result

    def failure_attributes(self, error: BaseException, kwargs: Mapping[str, Any]) -> Attributes:
        return {}


class GatewayInstrumentor(CarbonInstrumentor):
    sdk_module = __name__
    instruments = ()
    patches = (
        traced_call(__name__, "Gateway.complete", _GatewayEndpoint()),
        traced_call(__name__, "Gateway.acomplete", _GatewayEndpoint()),
    )
