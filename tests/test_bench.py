"""`mvpgen bench`: its argument errors, and one real run of both stacks (matrix: it installs,
builds and serves them). The figures themselves are not asserted beyond being there and
positive: speed is measured by the command, not by tests."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mvpgen.cli import app

runner = CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, and a private temporary folder (checked empty afterwards)."""
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    return work


def temp_leftovers() -> list[str]:
    """What mvpgen left in the temporary folder (uv keeps a lock file of its own there)."""
    return sorted(p.name for p in Path(tempfile.gettempdir()).glob("mvpgen*"))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--db", "mysql"], "'mysql'"),
        (["--db", "postgres"], "DATABASE_URL"),
        (["--duration", "0"], "--duration 0"),
        (["--duration", "-3"], "--duration -3"),
        (["--resource", "product price:money"], "money"),
        (["--resource", "1product name:str"], "1product"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], named: str
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = runner.invoke(app, ["bench", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], lines
    assert result.stdout == ""
    assert list(in_tmp.iterdir()) == []
    assert temp_leftovers() == []


def test_help_documents_every_option() -> None:
    result = runner.invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    for option in ("--resource", "--db", "--duration", "--json"):
        assert option in result.stdout


def positive_figures(entry: dict[str, object], where: str) -> None:
    for key, value in entry.items():
        if isinstance(value, dict):
            positive_figures(value, f"{where}.{key}")
        elif key == "errors":
            assert value == 0, f"{where}: the load saw errors"
        else:
            assert isinstance(value, int | float) and value > 0, f"{where}.{key} = {value!r}"


@pytest.mark.matrix
def test_bench_measures_both_stacks(in_tmp: Path) -> None:
    """A real run, as a user types it: both stacks rendered, built, served and loaded."""
    mvpgen = Path(sys.executable).parent / "mvpgen"
    command = [str(mvpgen)] if mvpgen.exists() else [sys.executable, "-m", "mvpgen"]
    result = subprocess.run(
        [*command, "bench", "--duration", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GET load" in result.stderr  # the progress display
    data = json.loads(result.stdout)
    assert data["db"] == "sqlite" and data["resource"] == "note"
    assert data["load_generator"] == "loadgen (Go)"
    assert set(data["stacks"]) == {"fastapi", "go"}
    figures = {"get", "list", "post", "drain_jobs_per_s", "cold_start_ms"}
    figures |= {"rss_idle_mib", "rss_load_mib"}
    assert set(data["stacks"]["fastapi"]) == figures
    assert set(data["stacks"]["go"]) == figures | {"binary_mib"}
    for name, entry in data["stacks"].items():
        for endpoint in ("get", "list", "post"):
            assert set(entry[endpoint]) == {"rps", "p50_ms", "p99_ms", "errors"}
        positive_figures(entry, name)
    ratios = data["ratios_go_to_fastapi"]
    assert {"get_rps", "list_p99_ms", "post_rps", "drain_jobs_per_s", "cold_start_ms"} <= set(
        ratios
    )
    positive_figures(ratios, "ratios")
    assert list(in_tmp.iterdir()) == []
    assert temp_leftovers() == []
