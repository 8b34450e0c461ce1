import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import mvpgen
from helpers import build_tree, leftovers, snapshot
from mvpgen import render
from mvpgen.cli import app
from mvpgen.errors import RenderError
from mvpgen.spec import (
    DEFAULT_RESOURCE,
    Database,
    ProjectSpec,
    Stack,
    parse_resource,
)

runner = CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the command from an empty temporary folder, as a user would."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace rendering by a recorder: what the CLI asks the library to generate."""
    calls: list[dict[str, Any]] = []

    def fake_generate(spec: ProjectSpec, target: Path, *, force: bool, git: bool) -> Path:
        calls.append({"spec": spec, "target": target, "force": force, "git": git})
        return Path(target).resolve()

    monkeypatch.setattr(render, "generate", fake_generate)
    return calls


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mvpgen {mvpgen.__version__}"


def test_help_lists_new() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "new" in result.stdout.split()
    assert "--version" in result.stdout


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "new" in result.output
    assert "Usage" in result.output


def test_new_help_documents_every_flag() -> None:
    result = runner.invoke(app, ["new", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    help_text = result.stdout
    for flag in (
        "--stack",
        "--db",
        "--resource",
        "--output",
        "--module",
        "--no-input",
        "--force",
        "--no-git",
    ):
        assert flag in help_text, flag
    for word in ("fastapi", "go", "hybrid", "sqlite", "postgres", "/PLURAL", "uuid"):
        assert word in help_text, word


@pytest.mark.parametrize(
    "args, named",
    [
        (["new", "1app"], "'1app'"),
        (["new", "my app"], "'my app'"),
        (["new", "json"], "'json'"),
        (["new", "fastapi"], "'fastapi'"),
        (["new", "psycopg", "--db", "postgres"], "'psycopg'"),
        (["new", "tzdata"], "'tzdata'"),
        (["new", "python-dotenv"], "'python-dotenv'"),
        (["new", "shop", "--db", "mysql"], "'mysql'"),
        (["new", "shop", "--stack", "rails"], "'rails'"),
        (["new", "shop", "--stack", "hybrid", "--db", "mysql"], "'mysql'"),
        (["new", "shop", "--module", "has space"], "'has space'"),
        (["new", "shop", "-r", "Order title:str"], "'Order'"),
        (["new", "shop", "-r", "order class:str"], "'class'"),
        (["new", "shop", "-r", "order id:int"], "'id'"),
        (["new", "shop", "-r", "order total:money"], "'money'"),
        (["new", "shop", "-r", "order total"], "'total'"),
        (["new", "shop", "-r", "order n:int=9223372036854775808"], "'9223372036854775808'"),
        (["new", "shop", "-r", "order at:datetime=2024-01-31T09:00:00"], "'2024-01-31T09:00:00'"),
        (["new", "shop", "-r", "order title:str='oops"], "unbalanced quotes"),
        (["new", "shop", "-r", ""], "empty"),
        (["new", "shop", "-r", "order"], "no fields"),
        (["new", "shop", "-r", "job title:str"], "'jobs'"),
        (["new", "shop", "-r", "order a:str", "-r", "order b:str"], "'order'"),
        (["new", "shop", "-r", "order a:str", "-r", "Bad b:str"], "'Bad'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    in_tmp: Path, args: list[str], named: str
) -> None:
    result = runner.invoke(app, [*args, "--no-input", "--no-git"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert named in lines[0]
    assert "Traceback" not in result.stderr
    assert list(in_tmp.iterdir()) == []


def test_bad_input_with_output_creates_no_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "shop"
    result = runner.invoke(app, ["new", "shop", "--output", str(target), "-r", "Bad x:str"])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_non_empty_target_is_refused(in_tmp: Path) -> None:
    build_tree(in_tmp / "shop", {"notes.txt": "mine", "src/keep.py": "x = 1\n"})
    before = snapshot(in_tmp)
    result = runner.invoke(app, ["new", "shop", "--no-input", "--no-git"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert "shop" in line
    assert "--force" in line
    assert snapshot(in_tmp) == before
    assert leftovers(in_tmp, "shop") == []


def test_non_empty_output_is_refused(tmp_path: Path) -> None:
    target = build_tree(tmp_path / "elsewhere", {".git/HEAD": "ref: refs/heads/main\n"})
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["new", "shop", "--output", str(target), "--no-input"])
    assert result.exit_code == 2
    assert str(target) in result.stderr
    assert snapshot(tmp_path) == before


def test_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = build_tree(tmp_path, {"shop": "a file"}) / "shop"
    result = runner.invoke(app, ["new", "shop", "--output", str(target), "--no-input"])
    assert result.exit_code == 2
    assert "not a folder" in result.stderr
    assert target.read_text() == "a file"
    assert leftovers(tmp_path, "shop") == []


def test_force_is_passed_on(in_tmp: Path, generated: list[dict[str, Any]]) -> None:
    build_tree(in_tmp / "shop", {"notes.txt": "mine"})
    result = runner.invoke(app, ["new", "shop", "--no-input", "--force"])
    assert result.exit_code == 0, result.output
    assert generated[0]["force"] is True


def test_no_input_uses_defaults(in_tmp: Path, generated: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["new", "shop", "--no-input"])
    assert result.exit_code == 0, result.output
    (call,) = generated
    spec: ProjectSpec = call["spec"]
    assert spec.name == "shop"
    assert spec.stack is Stack.FASTAPI
    assert spec.db is Database.SQLITE
    assert spec.go_module == "shop"
    assert spec.resources == [parse_resource(DEFAULT_RESOURCE)]
    assert Path(call["target"]) == Path("shop")
    assert (call["force"], call["git"]) == (False, True)
    assert "cd shop && make run" in result.stdout


def test_no_terminal_uses_defaults_without_prompting(
    in_tmp: Path, generated: list[dict[str, Any]]
) -> None:
    # CliRunner's stdin is not a terminal: no prompt may wait for an answer.
    result = runner.invoke(app, ["new", "shop"], input="")
    assert result.exit_code == 0, result.output
    assert generated[0]["spec"].stack is Stack.FASTAPI
    assert "Stack" not in result.output


def test_terminal_prompts_for_missing_answers(
    in_tmp: Path, generated: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_sys = SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr("mvpgen.cli.sys", fake_sys)
    answers = "\n".join(["fastapi", "sqlite", "order status:str", "user name:str", "", ""])
    result = runner.invoke(app, ["new", "shop"], input=answers)
    assert result.exit_code == 0, result.output
    assert "Stack" in result.stdout
    spec: ProjectSpec = generated[0]["spec"]
    assert [r.name for r in spec.resources] == ["order", "user"]


def test_terminal_with_no_input_does_not_prompt(
    in_tmp: Path, generated: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mvpgen.cli.sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: 1)))
    result = runner.invoke(app, ["new", "shop", "--no-input"], input="")
    assert result.exit_code == 0, result.output
    assert "Stack" not in result.stdout
    assert generated[0]["spec"].resources == [parse_resource(DEFAULT_RESOURCE)]


def test_flags_reach_the_spec(in_tmp: Path, generated: list[dict[str, Any]]) -> None:
    result = runner.invoke(
        app,
        [
            "new",
            "my-app",
            "--stack",
            "fastapi",
            "--db",
            "sqlite",
            "--resource",
            "product name:str price:float stock:int=0",
            "-r",
            "person/people nickname:str?",
            "--output",
            "out/here",
            "--module",
            "github.com/acme/my-app",
            "--no-input",
            "--no-git",
        ],
    )
    assert result.exit_code == 0, result.output
    (call,) = generated
    spec: ProjectSpec = call["spec"]
    assert spec.package == "my_app"
    assert spec.go_module == "github.com/acme/my-app"
    assert [(r.name, r.plural) for r in spec.resources] == [
        ("product", "products"),
        ("person", "people"),
    ]
    assert Path(call["target"]) == Path("out/here")
    assert call["git"] is False
    assert "cd out/here && make run" in result.stdout


def test_render_error_exits_1_with_one_line(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> Path:
        raise RenderError("ruff format failed on the rendered project")

    monkeypatch.setattr(render, "generate", broken)
    result = runner.invoke(app, ["new", "shop", "--no-input"])
    assert result.exit_code == 1
    assert result.stderr == "error: ruff format failed on the rendered project\n"


def test_ctrl_c_is_reported_without_traceback(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "generate", interrupted)
    result = runner.invoke(app, ["new", "shop", "--no-input"])
    assert result.exit_code == 130
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_renders_a_project(in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "shop", "--no-input", "--no-git"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / "shop" / "pyproject.toml").is_file()
    assert not (in_tmp / "shop" / ".git").exists()
    assert "cd shop && make run" in result.stdout
    assert leftovers(in_tmp, "shop") == []


# --- as a real process -------------------------------------------------------------------------


def run_python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPIER")}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )


def test_python_m_mvpgen_version(tmp_path: Path) -> None:
    result = run_python("-m", "mvpgen", "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mvpgen {mvpgen.__version__}"


def test_python_m_mvpgen_bad_input(tmp_path: Path) -> None:
    result = run_python("-m", "mvpgen", "new", "1app", "--no-input", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_importing_the_cli_does_not_import_copier(tmp_path: Path) -> None:
    code = "import mvpgen.cli, sys; assert 'copier' not in sys.modules"
    result = run_python("-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("args", [["--help"], ["new", "--help"], ["--version"]])
def test_help_does_not_import_copier(tmp_path: Path, args: list[str]) -> None:
    code = (
        "import sys\n"
        "from mvpgen.cli import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "assert 'copier' not in sys.modules, 'copier imported'\n"
    )
    result = run_python("-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
