"""``python -m otel_carbon.processor.service``: the same as ``otel-carbon serve``."""

from __future__ import annotations

import argparse
import sys

from otel_carbon.processor.service import add_serve_arguments, run_serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m otel_carbon.processor.service",
        description="OTLP/gRPC carbon processor: enriches GenAI spans with energy and emissions, forwards to the next hop.",
    )
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
