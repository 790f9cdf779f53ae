"""Compare two JUnit XML reports test by test; exit 1 when any test's outcome differs.

python compare_outcomes.py plain.xml instrumented.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path


def outcomes(report: Path) -> dict[str, str]:
    results: dict[str, str] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcome = next((kind for kind in ("error", "failure", "skipped") if kind in kinds), "passed")
        results[test_id] = outcome
    return results


def node_id(test_id: str, suite_root: Path) -> str:
    """JUnit's dotted classname back to a pytest node id: the longest prefix that is a test file."""
    classname, name = test_id.split("::", 1)
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (suite_root / path).is_file():
            return "::".join([path, *parts[cut:], name])
    return test_id


def main() -> int:
    plain, instrumented = (outcomes(Path(argument)) for argument in sys.argv[1:3])
    print("plain:        " + ", ".join(f"{count} {kind}" for kind, count in sorted(Counter(plain.values()).items())))
    print(
        "instrumented: "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(Counter(instrumented.values()).items()))
    )
    differing = sorted(test for test in plain.keys() | instrumented.keys() if plain.get(test) != instrumented.get(test))
    for test in differing:
        print(f"DIFFERS {test}: plain {plain.get(test, 'absent')}, instrumented {instrumented.get(test, 'absent')}")
    print(f"{len(differing)} tests differ" if differing else "every test has the same outcome in both runs")
    if "--write-node-ids" in sys.argv:
        suite_root = Path(sys.argv[sys.argv.index("--suite-root") + 1])
        ids = [node_id(test, suite_root) for test in differing]
        Path(sys.argv[sys.argv.index("--write-node-ids") + 1]).write_text("".join(f"{i}\n" for i in ids))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
