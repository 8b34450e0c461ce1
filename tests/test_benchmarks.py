"""The CLI benchmark still runs against the current layout (its figures are not asserted:
speed is measured by the script, not by tests). The service and job benchmarks take minutes
and are run by hand."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_cli.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new    / copier copy" in result.stdout
