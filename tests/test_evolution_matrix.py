"""Schema evolution in every stack, on SQLite and PostgreSQL, as a user lives it.

One scenario per stack and database: `mvpgen new` -> `make migrate` -> rows created over HTTP
-> the user edits a generated handler file and the README and commits -> `mvpgen add field`
(an optional and a defaulted field) and `mvpgen add resource` -> `make migrate` on the database
holding the old rows, `make lint`, `make test` (and `make build`) -> served: the old rows have
the new columns' defaults, the smoke client passes on every resource, the user's edits are
still there -> a conflicting edit: exit 1, markers, nothing lost -> each bad input: exit 2 and
nothing changed (files, HEAD, refs, the manifest).

The helpers (Project, Server, the uv cache, tools) are the variant matrix's, imported.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

import test_matrix
from mvpgen.render import generate
from smoke import SmokeFailure, run_smoke, wait_ready
from test_matrix import (
    READY_TIMEOUT,
    Project,
    Server,
    free_port,
    project_env,
    require_tools,
    tail,
)
from variants import Variant

pytestmark = pytest.mark.matrix
T = TypeVar("T")
# The matrix's fixtures, shared: the uv cache, and the servers killed at teardown.
served = test_matrix.served
uv_cache_dir = test_matrix.uv_cache_dir

USER = ["-c", "user.name=Ada", "-c", "user.email=ada@example.com"]
FIRST = "note title:str body:text? done:bool=false"
ADDED_FIELDS = ("priority:int=7", "due:date?")
ADDED_RESOURCE = "tag name:str weight:float=1.5"
USER_LINE = "Ada's own notes about this service."

SCENARIOS = [
    Variant(f"evolve-{stack}-{db}", stack, db, (FIRST,), "shop")
    for stack in ("fastapi", "go", "hybrid")
    for db in ("sqlite", "postgres")
] + [
    # `--auth`: the added resource must be owned like the first (the smoke client's second
    # user sees none of its rows), on a database that already holds a user and their rows.
    Variant("evolve-fastapi-sqlite-auth", "fastapi", "sqlite", (FIRST,), "shop", auth=True),
]


def mvpgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `mvpgen` command, run in the project as a user would."""
    script = Path(sys.executable).parent / "mvpgen"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mvpgen"]
    return subprocess.run([*command, *args], cwd=root, capture_output=True, text=True)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def handler_file(root: Path, stack: str) -> Path:
    """A generated file holding the `note` resource's HTTP handlers (and its schemas)."""
    return {
        "fastapi": root / "src/shop/notes/schemas.py",
        "go": root / "internal/httpapi/notes_handlers.go",
        "hybrid": root / "core/internal/httpapi/notes_handlers.go",
    }[stack]


def edit_as_the_user(root: Path, stack: str) -> str:
    """A comment in the handler file and a line in the README, committed; the comment."""
    handlers = handler_file(root, stack)
    text = handlers.read_text()
    if stack == "fastapi":
        comment = "# Ada: validation rules of our own go here."
        docstring, rest = text.split("\n\n", 1)
        handlers.write_text(f"{docstring}\n\n{comment}\n{rest}")
    else:
        comment = "// Ada: a handler of our own goes here."
        handlers.write_text(f"{text}\n{comment}\n")
    readme = root / "README.md"
    readme.write_text(readme.read_text() + f"\n{USER_LINE}\n")
    git(root, "add", "--all")
    git(root, *USER, "commit", "--quiet", "-m", "Ada's edits")
    return comment


def expect(result: subprocess.CompletedProcess[str], code: int, what: str) -> str:
    output = result.stdout + result.stderr
    if result.returncode != code:
        pytest.fail(f"{what}: exit {result.returncode}, expected {code}\n{output}", pytrace=False)
    return output


@pytest.mark.parametrize("variant", SCENARIOS, ids=[v.id for v in SCENARIOS])
def test_evolution(
    variant: Variant, tmp_path: Path, uv_cache_dir: Path, served: list[Server]
) -> None:
    require_tools(variant)
    root = generate(variant.spec(), tmp_path / "shop")
    project = Project(variant, root, project_env(uv_cache_dir))
    database_url = variant.database_url(tmp_path)
    project.make("install")
    project.make("migrate", DATABASE_URL=database_url)

    # Rows the evolution must keep, created through the API (by a user, with --auth).
    headers: dict[str, str] = {}

    def create_old_rows(base_url: str) -> list[int]:
        if variant.auth:
            headers.update(sign_up(base_url))
        return create_rows(base_url, headers)

    old_ids = with_server(project, served, database_url, create_old_rows)

    comment = edit_as_the_user(root, variant.stack)
    expect(mvpgen(root, "add", "field", "note", *ADDED_FIELDS), 0, "mvpgen add field")
    expect(mvpgen(root, "add", "resource", ADDED_RESOURCE), 0, "mvpgen add resource")
    assert git(root, "status", "--porcelain") == ""

    evolved = Variant(
        variant.id,
        variant.stack,
        variant.db,
        tuple(tomllib.loads((root / "mvpgen.toml").read_text())["resources"]),
        variant.name,
        auth=variant.auth,
    )
    project.variant = evolved
    project.make("migrate", DATABASE_URL=database_url)
    for step in variant.steps[1:]:  # lint, test (and build): install was done
        project.make(step, **(variant.test_env() if step == "test" else {}))

    def check_served(base_url: str) -> int:
        for row_id in old_ids:
            url = f"{base_url}/api/v1/notes/{row_id}"
            row = httpx.get(url, headers=headers, timeout=10).json()
            assert (row["priority"], row["due"]) == (7, None), row
        return run_smoke(base_url, evolved.spec_data())

    checks = with_server(project, served, database_url, check_served)
    assert comment in handler_file(root, variant.stack).read_text()
    assert USER_LINE in (root / "README.md").read_text()

    conflict_loses_nothing(root)
    bad_input_changes_nothing(root, tmp_path)
    print(f"{variant.id}: {project.timings()}, smoke {checks} checks")


def sign_up(base_url: str) -> dict[str, str]:
    """A new account's Authorization header."""
    credentials = {"email": "ada@example.com", "password": "correct horse battery"}
    response = httpx.post(f"{base_url}/api/v1/auth/signup", json=credentials, timeout=30)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create_rows(base_url: str, headers: dict[str, str]) -> list[int]:
    ids = []
    for title in ("old row", "another old row"):
        response = httpx.post(
            f"{base_url}/api/v1/notes",
            json={"title": title, "done": True},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        ids.append(int(response.json()["id"]))
    return ids


def with_server(
    project: Project, served: list[Server], database_url: str, check: Callable[[str], T]
) -> T:
    """`make run`, `check(base_url)` against it, SIGTERM; its result (a failure fails the test)."""
    extra = {"CORE_PORT": str(free_port())} if project.variant.stack == "hybrid" else {}
    server = Server(project, free_port(), database_url, **extra)
    served.append(server)
    try:
        wait_ready(server.base_url, READY_TIMEOUT, alive=server.alive)
        result = check(server.base_url)
    except (SmokeFailure, AssertionError, httpx.HTTPError) as exc:
        server.stop()
        pytest.fail(
            f"{project.variant.id}: {exc}\n--- make run (tail) ---\n{tail(server.output())}",
            pytrace=False,
        )
    problems = server.stop()
    assert not problems, problems
    return result


def conflict_loses_nothing(root: Path) -> None:
    """The README line listing the resources, rewritten by the user, then by `add resource`."""
    readme = root / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if "notes" in line)
    lines[number] = "Ada rewrote this line about the notes and tags.\n"
    readme.write_text("".join(lines))
    git(root, "add", "--all")
    git(root, *USER, "commit", "--quiet", "-m", "Ada's wording")
    head = git(root, "rev-parse", "HEAD")
    output = expect(mvpgen(root, "add", "resource", "label name:str?"), 1, "a conflicting add")
    assert "CONFLICT  README.md" in output
    text = readme.read_text()
    assert "<<<<<<< yours" in text and ">>>>>>> mvpgen" in text
    assert "Ada rewrote this line" in text and "labels" in text and USER_LINE in text
    assert git(root, "rev-parse", "HEAD") == head
    # Back to the commit, as a user abandoning the change would.
    git(root, "reset", "--quiet", "--hard")
    git(root, "clean", "--quiet", "-fd")


def bad_input_changes_nothing(root: Path, tmp_path: Path) -> None:
    def state() -> tuple[str, str, str, str]:
        return (
            git(root, "rev-parse", "HEAD"),
            git(root, "for-each-ref"),
            git(root, "status", "--porcelain", "--untracked-files=all"),
            (root / "mvpgen.toml").read_text(),
        )

    clean = state()
    assert clean[2] == ""
    for args, message in [
        (["add", "field", "nope", "x:int?"], "unknown resource 'nope'"),
        (["add", "field", "note", "priority:int?"], "field 'priority' already exists"),
        (["add", "resource", "tag name:str"], "resource 'tag' already exists"),
        (["add", "resource", "Label name:str"], "is not snake_case"),
        (["add", "field", "note", "class:int?"], "is a Python keyword"),
        (["add", "field", "note", "due_at:datetime"], "give it a default"),
    ]:
        output = expect(mvpgen(root, *args), 2, " ".join(args))
        assert message in output and output.count("\n") == 1, output
        assert state() == clean, args
    (root / "README.md").write_text("Uncommitted.\n")
    dirty = state()
    output = expect(mvpgen(root, "add", "field", "note", "extra:int?"), 2, "a dirty tree")
    assert "uncommitted changes" in output
    assert state() == dirty
    git(root, "checkout", "--quiet", "--", "README.md")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    output = expect(mvpgen(elsewhere, "update"), 2, "not a project")
    assert "no mvpgen.toml" in output
