"""``python -m otel_carbon.processor.rotel`` prints the trace-processor path; ``--pythonpath`` the PYTHONPATH."""

from __future__ import annotations

import sys

from otel_carbon.processor.rotel import pythonpath, trace_processor_path


def main(argv: list[str]) -> int:
    if argv == ["--pythonpath"]:
        print(pythonpath())
    elif not argv:
        print(trace_processor_path())
    else:
        print("usage: python -m otel_carbon.processor.rotel [--pythonpath]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
