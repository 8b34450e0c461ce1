"""mvpgen holds itself to the bar it sets for generated code: ruff, ruff format, mypy --strict."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTED = ["src", "tests", "tools", "maintainer", "benchmarks"]


@pytest.mark.parametrize(
    "args",
    [
        ["ruff", "check", *LINTED],
        ["ruff", "format", "--check", *LINTED],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_generator_is_lint_clean(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("gofmt") is None, reason="needs the Go toolchain")
def test_go_outside_templates_is_gofmt_clean() -> None:
    """The load generator and the benchmark's Go baseline are Go we ship too."""
    folders = ["src/mvpgen/loadgen", "benchmarks/baselines/go"]
    result = subprocess.run(["gofmt", "-l", *folders], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    vet = subprocess.run(
        ["go", "vet", "."], cwd=ROOT / "src/mvpgen/loadgen", capture_output=True, text=True
    )
    assert vet.returncode == 0, vet.stderr
