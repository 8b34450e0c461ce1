"""`mvpgen add resource` and `mvpgen add field` on real generated projects, in real git.

What a user relies on: their edits survive, a conflict is marked and reported with exit 1 and
nothing lost, and bad input is refused with exit 2 and one line before anything is touched.
"""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import HAS_GIT, project, snapshot
from mvpgen import render
from mvpgen.cli import app

pytestmark = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
runner = CliRunner()
USER = ["-c", "user.name=Ada", "-c", "user.email=ada@example.com"]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "--all")
    git(root, *USER, "commit", "--quiet", "-m", message)


def mvpgen(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--project", str(root)])
    return result.exit_code, result.output


def state(root: Path) -> dict[str, object]:
    """Everything a refused command must leave as it was: files, HEAD, refs, the index."""
    files = {k: v for k, v in snapshot(root).items() if not k.startswith(".git/")}
    return {
        "files": files,
        "refs": git(root, "for-each-ref"),
        "head": git(root, "rev-parse", "HEAD"),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
    }


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A FastAPI project with the user's own edits committed: a route and a README line."""
    root = render.generate(
        project("shop", ["note title:str body:text? done:bool=false"]), tmp_path / "shop"
    )
    router = root / "src/shop/notes/router.py"
    router.write_text(router.read_text() + "\n\n# Ada: a custom route goes here.\n")
    models = root / "src/shop/notes/models.py"
    first, rest = models.read_text().split("\n", 1)  # the docstring, then the code
    models.write_text(f"{first}\n# Ada: an index goes here.\n{rest}")
    (root / "README.md").write_text((root / "README.md").read_text() + "\nAda's notes.\n")
    (root / "NOTES.txt").write_text("Not mvpgen's file.\n")
    commit(root, "Ada's edits")
    return root


def test_add_field_keeps_the_users_edits_and_commits(shop: Path) -> None:
    before = git(shop, "rev-parse", "HEAD").strip()
    code, output = mvpgen(shop, "add", "field", "note", "priority:int=0", "due:date?")
    assert code == 0, output
    assert "Migration 0002_add_priority_due_to_notes" in output
    assert "merged    src/shop/notes/models.py" in output
    # The user's edits, and mvpgen's change, both in place.
    assert "# Ada: a custom route goes here." in (shop / "src/shop/notes/router.py").read_text()
    assert "Ada's notes." in (shop / "README.md").read_text()
    assert (shop / "NOTES.txt").read_text() == "Not mvpgen's file.\n"
    models = (shop / "src/shop/notes/models.py").read_text()
    assert "priority" in models and "due" in models and "# Ada: an index goes here." in models
    migration = shop / "src/shop/migrations/versions/0002_add_priority_due_to_notes.py"
    assert 'down_revision: str | None = "0001"' in migration.read_text()
    # One commit on top of the user's, nothing left uncommitted.
    assert git(shop, "rev-parse", "HEAD~1").strip() == before
    assert git(shop, "log", "-1", "--format=%s").strip() == (
        "mvpgen add field note priority:int=0 due:date?"
    )
    assert git(shop, "status", "--porcelain") == ""
    manifest = tomllib.loads((shop / "mvpgen.toml").read_text())
    assert manifest["resources"] == [
        "note title:str body:text? done:bool=false priority:int=0 due:date?"
    ]
    assert manifest["migrations"][-1] == {"revision": 2, "add": ["note priority:int=0 due:date?"]}


def test_add_resource_adds_its_files_and_a_migration(shop: Path) -> None:
    code, output = mvpgen(shop, "add", "resource", "tag name:str weight:float=1.5")
    assert code == 0, output
    assert (shop / "src/shop/tags/router.py").is_file()
    assert (shop / "tests/test_tags.py").is_file()
    assert (shop / "src/shop/migrations/versions/0002_create_tags.py").is_file()
    assert "tags" in (shop / "src/shop/main.py").read_text()
    assert "Ada's notes." in (shop / "README.md").read_text()
    assert git(shop, "status", "--porcelain") == ""
    # A second change chains on the first.
    code, output = mvpgen(shop, "add", "field", "tag", "color:str=red")
    assert code == 0, output
    assert "0003_add_color_to_tags" in output
    text = (shop / "src/shop/migrations/versions/0003_add_color_to_tags.py").read_text()
    assert 'down_revision: str | None = "0002"' in text


def test_a_deleted_file_stays_deleted(shop: Path) -> None:
    (shop / "tests/test_notes.py").unlink()
    commit(shop, "Ada does not want these tests")
    code, output = mvpgen(shop, "add", "field", "note", "priority:int=0")
    assert code == 0, output
    assert "kept      tests/test_notes.py" in output
    assert not (shop / "tests/test_notes.py").exists()


def test_a_conflict_is_marked_reported_and_loses_nothing(shop: Path) -> None:
    schemas = shop / "src/shop/notes/schemas.py"
    text = schemas.read_text()
    # Ada changed the very lines a new field goes next to.
    edited = text.replace("done: Bool = False", "done: Bool = True  # Ada: done by default")
    assert edited != text
    schemas.write_text(edited)
    commit(shop, "Ada's default")
    head = git(shop, "rev-parse", "HEAD")
    code, output = mvpgen(shop, "add", "field", "note", "priority:int=0")
    assert code == 1, output
    assert "CONFLICT  src/shop/notes/schemas.py" in output
    merged = schemas.read_text()
    assert "<<<<<<< yours" in merged and ">>>>>>> mvpgen" in merged
    assert "Ada: done by default" in merged and "priority" in merged
    # Nothing committed: the user resolves and commits; the other files are merged already.
    assert git(shop, "rev-parse", "HEAD") == head
    assert "priority" in (shop / "src/shop/notes/models.py").read_text()
    assert "Ada's notes." in (shop / "README.md").read_text()


BAD_INPUT = [
    (["add", "field", "nope", "x:int?"], "unknown resource 'nope'"),
    (["add", "field", "note", "title:str?"], "field 'title' already exists"),
    (
        ["add", "field", "note", "due:date"],
        "give it a default (due:date=VALUE) or make it optional",
    ),
    (["add", "field", "note", "Due:date?"], "field name 'Due' is not snake_case"),
    (["add", "field", "note", "class:int?"], "is a Python keyword"),
    (["add", "field", "note", "id:int?"], "is a column every resource already has"),
    (["add", "field", "note", "n:money?"], "unknown type 'money'"),
    (["add", "resource", "note title:str"], "resource 'note' already exists"),
    (["add", "resource", "job kind:str"], "which the generated project uses itself"),
    (["add", "resource", "Tag name:str"], "is not snake_case"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_is_refused_and_changes_nothing(
    shop: Path, args: list[str], message: str
) -> None:
    before = state(shop)
    code, output = mvpgen(shop, *args)
    assert code == 2, output
    assert output.count("\n") == 1 and output.startswith("error: ")
    assert message in output
    assert state(shop) == before


def test_a_dirty_tree_is_refused(shop: Path) -> None:
    (shop / "README.md").write_text("Uncommitted.\n")
    before = state(shop)
    code, output = mvpgen(shop, "add", "field", "note", "priority:int=0")
    assert code == 2
    assert "uncommitted changes (README.md)" in output and "commit or stash" in output
    assert state(shop) == before


def test_not_a_project(tmp_path: Path) -> None:
    code, output = mvpgen(tmp_path, "add", "field", "note", "x:int?")
    assert code == 2
    assert "no mvpgen.toml" in output


def test_a_project_without_git_is_refused_with_the_way_out(tmp_path: Path) -> None:
    root = render.generate(project("shop"), tmp_path / "shop", git=False)
    before = snapshot(root)
    code, output = mvpgen(root, "add", "field", "note", "x:int?")
    assert code == 2
    assert "is not a git repository (made with --no-git?)" in output and "git init" in output
    assert snapshot(root) == before
    # After `git init` and a commit, the last render is rendered again from the manifest.
    git(root, "init", "--quiet")
    commit(root, "start")
    code, output = mvpgen(root, "add", "field", "note", "x:int?")
    assert code == 0, output
    assert "updated   src/shop/notes/models.py" in output


def test_a_clone_has_no_render_ref_and_still_works(shop: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(shop), str(clone))
    assert git(clone, "for-each-ref", render.RENDER_REF) == ""
    code, output = mvpgen(clone, "add", "field", "note", "priority:int=0")
    assert code == 0, output
    assert "# Ada: a custom route goes here." in (clone / "src/shop/notes/router.py").read_text()


def test_go_project_add_field(tmp_path: Path) -> None:
    root = render.generate(project("shop", stack="go", db="postgres"), tmp_path / "shop")
    handlers = root / "internal/httpapi/notes_handlers.go"
    handlers.write_text(handlers.read_text() + "\n// Ada: a custom handler goes here.\n")
    commit(root, "Ada's handler")
    code, output = mvpgen(root, "add", "field", "note", "priority:int=0")
    assert code == 0, output
    sql = (root / "internal/store/migrations/00002_add_priority_to_notes.sql").read_text()
    assert 'ALTER TABLE "notes" ADD COLUMN "priority" BIGINT NOT NULL DEFAULT 0;' in sql
    assert "// Ada: a custom handler goes here." in handlers.read_text()
    assert '"priority"' in (root / "internal/httpapi/openapi.json").read_text()


def test_auth_is_kept_and_a_new_table_belongs_to_users(tmp_path: Path) -> None:
    root = render.generate(project("shop", stack="go", auth=True), tmp_path / "shop")
    code, output = mvpgen(root, "add", "resource", "tag name:str")
    assert code == 0, output
    assert tomllib.loads((root / "mvpgen.toml").read_text())["auth"] is True
    sql = (root / "internal/store/migrations/00002_create_tags.sql").read_text()
    assert '"owner_id" BIGINT NOT NULL REFERENCES "users" ("id")' in sql


def test_fastapi_auth_a_new_resource_is_owned(tmp_path: Path) -> None:
    root = render.generate(project("shop", auth=True), tmp_path / "shop")
    code, output = mvpgen(root, "add", "resource", "tag name:str")
    assert code == 0, output
    migration = next((root / "src/shop/migrations/versions").glob("0002_*.py")).read_text()
    assert 'sa.Column("owner_id", sa.BigInteger(), nullable=False)' in migration
    assert '["users.id"]' in migration and 'ondelete="CASCADE"' in migration
    assert "ResourceMixin" in (root / "src/shop/tags/models.py").read_text()  # owner_id is there
    service = (root / "src/shop/tags/service.py").read_text()
    for operation in ("get", "list_page", "update", "delete"):
        signature = rf"async def {operation}\(\s*session: AsyncSession, owner_id: int,"
        assert re.search(signature, service), operation
    assert service.count("_mine(owner_id)") >= 4
    assert (root / "src/shop/tags/router.py").read_text().count("user: CurrentUser") == 5
