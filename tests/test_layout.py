"""The layout rule: each top-level code folder X is the package otel_carbon.X; nothing test-only ships."""

from __future__ import annotations

import importlib
import sys
import sysconfig
from importlib.metadata import distributions
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"tests", "examples", "benchmarks", "docs", "collector-config"}
BUILD_OUTPUT = {"build", "dist"}  # made by `pip install .` in the checkout, ignored by git


def _setuptools_table() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _top_level_code_folders() -> set[str]:
    return {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and any(path.rglob("*.py"))
        and path.name not in NOT_SHIPPED | BUILD_OUTPUT
    }


def test_every_top_level_code_folder_is_the_package_of_the_same_name() -> None:
    assert _setuptools_table()["package-dir"] == {
        f"otel_carbon.{folder}": folder for folder in _top_level_code_folders()
    }


@pytest.mark.parametrize("folder", sorted(_top_level_code_folders()))
def test_each_code_folder_imports_as_otel_carbon_dot_its_name(folder: str) -> None:
    module = importlib.import_module(f"otel_carbon.{folder}")
    assert Path(module.__file__ or "").resolve().parent.name == folder


def test_otel_carbon_is_a_namespace_package() -> None:
    assert getattr(importlib.import_module("otel_carbon"), "__file__", None) is None


def test_nothing_that_exists_only_for_tests_ships_in_the_distribution() -> None:
    # The installed distribution, not an egg-info a build left in the checkout (found first when cwd is on sys.path).
    (installed,) = distributions(name="otel-carbon", path=[sysconfig.get_paths()["purelib"]])
    shipped = [str(path) for path in installed.files or ()]
    assert not [
        path for path in shipped if path.startswith(("tests/", "examples/", "benchmarks/")) or "standin" in path
    ]


def test_every_python_package_in_a_code_folder_is_listed_for_the_wheel() -> None:
    listed = set(_setuptools_table()["packages"])  # type: ignore[call-overload]
    found = {
        "otel_carbon." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in _top_level_code_folders()
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
