"""`--auth`: the flag reaches the spec, names it would clash with are refused, and a project
generated without it holds nothing of it."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import TRICKY_RESOURCES, project
from mvpgen import render
from mvpgen.cli import app
from mvpgen.errors import SpecError
from mvpgen.spec import build_project
from test_generated_text import generator_talk

runner = CliRunner()

# What only --auth brings into a project, in any file's text or path.
AUTH_MARKERS = re.compile(
    r"owner_id|bearer|argon2|auth_attempts|password_hash|/api/v1/auth|www-authenticate|smtp_url",
    re.IGNORECASE,
)
AUTH_STACKS = ["fastapi", "go", "hybrid"]


def auth_mentions(root: Path) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if ".git" not in p.parts):
        relative = str(path.relative_to(root))
        if "auth" in path.name:
            found.append(relative)
        if path.is_file() and path.name not in {"uv.lock", "go.sum"}:
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if AUTH_MARKERS.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_help_documents_auth() -> None:
    result = runner.invoke(app, ["new", "--help"], terminal_width=200)
    assert "--auth" in result.stdout
    assert "token" in result.stdout


def test_auth_reaches_the_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    monkeypatch.setattr(render, "generate", lambda spec, target, **_: seen.append(spec) or target)
    result = runner.invoke(
        app, ["new", "shop", "--stack", "go", "--auth", "--no-input", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert seen[0].auth is True
    assert "(go, sqlite, auth)" in result.stdout
    runner.invoke(app, ["new", "shop", "--stack", "go", "--no-input", "--output", str(tmp_path)])
    assert seen[1].auth is False


@pytest.mark.parametrize(
    "resource", ["user email:str", "token value:str", "auth_attempt n:int", "person/users n:int"]
)
def test_resources_that_clash_with_auth_are_refused(resource: str) -> None:
    build_project("shop", stack="go", resources=[resource])  # fine without --auth
    with pytest.raises(SpecError, match="clash with the users and tokens"):
        build_project("shop", stack="go", resources=[resource], auth=True)


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
@pytest.mark.parametrize("stack", ["fastapi", "go", "hybrid"])
def test_without_auth_nothing_of_it_is_generated(stack: str, db: str, tmp_path: Path) -> None:
    spec = project("shop", TRICKY_RESOURCES, stack=stack, db=db)
    root = render.generate(spec, tmp_path / "shop", git=False)
    assert auth_mentions(root) == []


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
@pytest.mark.parametrize("stack", AUTH_STACKS)
def test_with_auth_it_is(stack: str, db: str, tmp_path: Path) -> None:
    spec = build_project("shop", stack=stack, db=db, auth=True)
    root = render.generate(spec, tmp_path / "shop", git=False)
    found = "\n".join(auth_mentions(root))
    for expected in ("owner_id", "/api/v1/auth/signup", "auth_attempts", "WWW-Authenticate"):
        assert expected in found, expected
    assert generator_talk(root) == []
