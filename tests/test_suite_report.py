"""The suite's report (tests/conftest.py): skips are listed, and in CI a skip fails the run."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers import build_tree

REPO = Path(__file__).resolve().parents[1]
CONFTEST = REPO / "tests" / "conftest.py"
SKIPPING = """
    import pytest

    def test_runs():
        pass

    def test_skipped():
        pytest.skip("no tool here")

    @pytest.mark.parametrize("variant", ["go-sqlite-default", "fastapi-sqlite-default"])
    def test_variant(variant):
        if variant.startswith("go"):
            pytest.skip(f"{variant} needs go")
"""


def run_pytest(root: Path, *, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    root = build_tree(tmp_path, {"test_some.py": SKIPPING})
    shutil.copy(CONFTEST, root / "conftest.py")
    return root


def test_outside_ci_skips_pass_and_the_variants_that_did_not_run_are_named(suite: Path) -> None:
    result = run_pytest(suite, ci=None)
    assert result.returncode == 0, result.stdout
    assert "matrix: 1 of 2 selected variants ran" in result.stdout
    assert "go-sqlite-default: go-sqlite-default needs go" in result.stdout


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_in_ci_any_skip_fails_the_run(suite: Path, ci: str) -> None:
    result = run_pytest(suite, ci=ci)
    assert result.returncode == 1, result.stdout
    assert "CI: 2 tests skipped" in result.stdout


def test_in_ci_a_run_without_skips_passes(suite: Path) -> None:
    (suite / "test_some.py").write_text("def test_runs():\n    pass\n")
    result = run_pytest(suite, ci="true")
    assert result.returncode == 0, result.stdout
    assert "matrix" not in result.stdout


def test_every_run_reports_its_skips() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "-ra" in config["tool"]["pytest"]["ini_options"]["addopts"].split()


def test_ci_run_sets_ci_however_it_is_invoked() -> None:
    assert "\nexport CI=true\n" in (REPO / ".ci" / "run").read_text()
