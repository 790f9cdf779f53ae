"""``python -m otel_carbon.processor``: the ``otel-carbon`` command."""

from __future__ import annotations

from otel_carbon.processor.cli import main

raise SystemExit(main())
