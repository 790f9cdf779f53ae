"""METHODOLOGY.md's generated tables match the code and data they describe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_methodology_tables_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "methodology_tables.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_every_anchor_lands_inside_our_range() -> None:
    text = (ROOT / "METHODOLOGY.md").read_text(encoding="utf-8")
    rows = text.partition("<!-- anchors:begin -->")[2].partition("<!-- anchors:end -->")[0].strip().splitlines()[2:]
    assert len(rows) >= 9
    assert all(row.split("|")[5].strip() == "yes" for row in rows), rows
