"""``python -m otel_carbon``: the ``otel-carbon`` command."""

from __future__ import annotations

from otel_carbon.cli import main

raise SystemExit(main())
