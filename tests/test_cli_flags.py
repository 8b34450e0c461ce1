"""Every flag of `mvpgen new`, end to end: through the command, into the files on disk.

Nothing here replaces rendering with a recorder: each test runs the command and reads what it
wrote, so a flag the CLI drops or mixes up (`--stack go` rendering FastAPI, `--db postgres`
rendering SQLite) fails here. Every stack is rendered on every database, with neither Go nor
uv needed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from helpers import HAS_GIT, build_tree
from mvpgen.cli import app

runner = CliRunner()
STACKS = ("fastapi", "go", "hybrid")
DATABASES = ("sqlite", "postgres")
# Jinja's delimiters as the templates write them (Go's `{{Loc: ...}}` literals are not).
TEMPLATE_SYNTAX = re.compile(r"\{\{ |\{%|\{#|%\}")
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def new(*args: str, cwd: Path, input: str | None = None) -> Path:
    """`mvpgen new ARGS` run from `cwd`; fails the test unless it exits 0."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(app, ["new", *args], input=input)
    finally:
        os.chdir(previous)
    assert result.exit_code == 0, result.output
    return cwd


def python_root(root: Path, stack: str) -> Path | None:
    return {"fastapi": root, "go": None, "hybrid": root / "api"}[stack]


def go_root(root: Path, stack: str) -> Path | None:
    return {"fastapi": None, "go": root, "hybrid": root / "core"}[stack]


def assert_stack(root: Path, stack: str) -> None:
    """The files of `stack`, and none of another's."""
    python, go = python_root(root, stack), go_root(root, stack)
    assert (root / "Makefile").is_file()
    assert (root / "pyproject.toml").is_file() == (stack == "fastapi")
    assert (root / "go.mod").is_file() == (stack == "go")
    assert (root / "api").is_dir() == (root / "core").is_dir() == (stack == "hybrid")
    if python is not None:
        assert (python / "pyproject.toml").is_file()
        assert (python / "alembic.ini").is_file()
    if go is not None:
        assert (go / "cmd" / "server" / "main.go").is_file()
        assert (go / "internal" / "httpapi" / "routes.go").is_file()


def assert_database(root: Path, stack: str, db: str) -> None:
    """PostgreSQL code (driver, store, URL) for `postgres`; SQLite code for `sqlite`."""
    postgres = db == "postgres"
    python, go = python_root(root, stack), go_root(root, stack)
    if python is not None:
        assert ("psycopg" in (python / "pyproject.toml").read_text()) == postgres
    if go is not None:
        go_mod = (go / "go.mod").read_text()
        assert ("github.com/jackc/pgx" in go_mod) == postgres
        assert ("modernc.org/sqlite" in go_mod) != postgres
        assert (go / "internal" / "store" / "postgres.go").is_file() == postgres
        assert (go / "internal" / "store" / "sqlite.go").is_file() != postgres
    env_example = (root / ".env.example").read_text()
    assert ("DATABASE_URL=postgresql://" in env_example) == postgres
    assert ("DATABASE_URL=sqlite:///" in env_example) != postgres
    assert ("postgres:" in (root / "compose.yaml").read_text()) == postgres
    # The project's own CI tests on the database it runs on.
    workflow = (root / ".github" / "workflows" / "ci.yml").read_text()
    assert ("image: postgres:" in workflow) == postgres
    assert ("DATABASE_URL: postgresql://" in workflow) == postgres


def assert_renders_cleanly(root: Path) -> None:
    """No template syntax left anywhere, and every Python file compiles."""
    for path in root.rglob("*"):
        if not path.is_file() or ".git" in path.parts:
            continue
        assert path.suffix != ".jinja", path
        text = GITHUB_EXPRESSION.sub("", path.read_text(errors="replace"))
        assert not TEMPLATE_SYNTAX.search(text), f"{path}: {TEMPLATE_SYNTAX.search(text)}"
        if path.suffix == ".py":
            compile(text, str(path), "exec")


@pytest.mark.parametrize("db", DATABASES)
@pytest.mark.parametrize("stack", STACKS)
def test_stack_and_db_flags_render_that_stack_on_that_database(
    tmp_path: Path, stack: str, db: str
) -> None:
    new("shop", "--stack", stack, "--db", db, "--no-input", "--no-git", cwd=tmp_path)
    root = tmp_path / "shop"
    assert_stack(root, stack)
    assert_database(root, stack, db)
    assert_renders_cleanly(root)


def test_the_defaults_are_fastapi_on_sqlite(tmp_path: Path) -> None:
    new("shop", "--no-input", "--no-git", cwd=tmp_path)
    assert_stack(tmp_path / "shop", "fastapi")
    assert_database(tmp_path / "shop", "fastapi", "sqlite")


def test_the_installed_command_renders_what_it_is_told(tmp_path: Path) -> None:
    mvpgen = Path(sys.executable).with_name("mvpgen")
    result = subprocess.run(
        [str(mvpgen), "new", "shop", "--stack", "hybrid", "--db", "postgres", "--no-input"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert_stack(tmp_path / "shop", "hybrid")
    assert_database(tmp_path / "shop", "hybrid", "postgres")


@pytest.mark.parametrize("stack", ["go", "hybrid"])
def test_module_names_the_go_module_and_its_imports(tmp_path: Path, stack: str) -> None:
    module = "github.com/acme/shop"
    new("shop", "--stack", stack, "--module", module, "--no-input", "--no-git", cwd=tmp_path)
    go = go_root(tmp_path / "shop", stack)
    assert go is not None
    assert (go / "go.mod").read_text().splitlines()[0] == f"module {module}"
    assert f'"{module}/internal/store"' in (go / "cmd" / "server" / "run.go").read_text()


def test_output_writes_there_and_only_there(tmp_path: Path) -> None:
    new("shop", "--stack", "go", "--output", "deep/place", "--no-input", "--no-git", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]
    assert_stack(tmp_path / "deep" / "place", "go")
    # The folder does not rename the project: the module is still the project's name.
    assert (tmp_path / "deep/place/go.mod").read_text().startswith("module shop\n")


def test_force_writes_into_a_non_empty_folder_and_keeps_other_files(tmp_path: Path) -> None:
    build_tree(tmp_path / "shop", {"notes.txt": "mine"})
    refused = runner.invoke(app, ["new", "shop", "--output", str(tmp_path / "shop"), "--no-input"])
    assert refused.exit_code == 2
    assert sorted(p.name for p in (tmp_path / "shop").iterdir()) == ["notes.txt"]
    new("shop", "--stack", "go", "--force", "--no-input", "--no-git", cwd=tmp_path)
    assert (tmp_path / "shop" / "notes.txt").read_text() == "mine"
    assert_stack(tmp_path / "shop", "go")


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_git_by_default_and_none_with_no_git(tmp_path: Path) -> None:
    new("with-git", "--no-input", cwd=tmp_path)
    log = subprocess.run(
        ["git", "log", "--oneline"],
        cwd=tmp_path / "with-git",
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(log.stdout.splitlines()) == 1
    new("without", "--no-input", "--no-git", cwd=tmp_path)
    assert not (tmp_path / "without" / ".git").exists()


def test_resource_repeated_renders_every_resource_in_every_stack(tmp_path: Path) -> None:
    resources = ["-r", "product name:str", "--resource", "person/people nickname:str?"]
    for stack in STACKS:
        new(f"{stack}-app", "--stack", stack, *resources, "--no-input", "--no-git", cwd=tmp_path)
        root = tmp_path / f"{stack}-app"
        python, go = python_root(root, stack), go_root(root, stack)
        if python is not None:
            package = python / "src" / f"{stack}_app"
            assert {"products", "people"} <= {p.name for p in package.iterdir()}, stack
            assert not (package / "notes").exists()
        if go is not None:
            handlers = go / "internal" / "httpapi"
            assert (handlers / "products_handlers.go").is_file(), stack
            assert (handlers / "people_handlers.go").is_file(), stack
            assert not (handlers / "notes_handlers.go").exists()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the command believe a person is at the keyboard."""
    monkeypatch.setattr("mvpgen.cli.sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: 1)))


def test_at_a_terminal_the_answers_decide_the_stack_and_database(
    tmp_path: Path, terminal: None
) -> None:
    new("shop", "--no-git", cwd=tmp_path, input="go\npostgres\norder status:str\n\n")
    assert_stack(tmp_path / "shop", "go")
    assert_database(tmp_path / "shop", "go", "postgres")
    assert (tmp_path / "shop/internal/httpapi/orders_handlers.go").is_file()


def test_no_input_at_a_terminal_asks_nothing_and_takes_the_defaults(
    tmp_path: Path, terminal: None
) -> None:
    # Answers are waiting; with --no-input none of them may be read.
    new("shop", "--no-input", "--no-git", cwd=tmp_path, input="go\npostgres\n\n")
    assert_stack(tmp_path / "shop", "fastapi")
    assert_database(tmp_path / "shop", "fastapi", "sqlite")
