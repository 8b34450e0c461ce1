"""The CLI benchmark still runs against the current layout (its figures are not asserted:
speed is measured by the script, not by tests). The service and job benchmarks take minutes
and are run by hand; the service benchmark's verdicts are checked here on made-up runs."""

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mvpgen.load import LoadResult

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
    assert "add field / new" in result.stdout


def load_bench_service() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_service", ROOT / "benchmarks" / "bench_service.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_service_benchmark_gives_no_ratio_when_the_load_saw_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = load_bench_service()
    ok = LoadResult(requests=1000, errors=0, rps=1000.0, p50_ms=1.0, p99_ms=2.0)
    failing = LoadResult(
        requests=1000, errors=3, rps=2000.0, p50_ms=1.0, p99_ms=2.0, first_error="status 500"
    )
    gen = bench.Service("go-generated", [], ROOT, {}, runs={"GET": [ok, ok], "POST": [ok, ok]})
    bare = bench.Service("go-baseline", [], ROOT, {}, runs={"GET": [ok, ok], "POST": [ok, failing]})
    args = argparse.Namespace(db="sqlite", rounds=2, duration=1, concurrency=4)
    bench.report([gen, bare], args)
    lines = {
        line.split()[1]: line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("go ")
    }
    assert "1.00 [1.00-1.00]  ok" in lines["GET"]
    assert "no ratio" in lines["POST"] and "status 500" in lines["POST"]
    assert "ok" not in lines["POST"].split("no ratio")[0] and "below" not in lines["POST"]
