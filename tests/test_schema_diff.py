"""The schema's changes: a spec diff as a migration, rendered for Alembic and goose, and run.

The goose files are executed on a real SQLite (the sqlite3 module) and a real PostgreSQL
(psql, on the server scripts/test starts) over a table that already holds a row: the row must
come out with the new columns' defaults, in the storage format docs/contract.md gives.
"""

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from helpers import project
from mvpgen import migrations, render
from mvpgen.errors import SpecError
from mvpgen.manifest import Manifest, Migration, initial
from mvpgen.model import Database
from mvpgen.spec import build_project, parse_resource
from variants import create_postgres_database, postgres_server_url

NOTE = "note title:str body:text? done:bool=false"
NEW_FIELDS = (
    'priority:int=3 due:date? ratio:float=0.5 label:str="it\'s new" '
    "launch:datetime=2024-01-31T09:00:00+02:00 ref:uuid=8f14e45f-ceea-467f-a0e6-1d2b3c4d5e6f "
    "pinned:bool=true day:date=2024-02-29"
)
GROWN = f"{NOTE} {NEW_FIELDS}"
TAG = "tag name:str weight:float=1.5"


def evolved(stack: str, db: str) -> tuple[Manifest, Migration]:
    """A project created with `note`, then given fields of every kind and a `tag` table."""
    spec = build_project("shop", stack=stack, db=db, resources=[GROWN, TAG])
    history = initial(build_project("shop", stack=stack, db=db, resources=[NOTE])).migrations
    step = migrations.diff(history, spec)
    assert step is not None
    return Manifest(spec, (*history, step)), step


def test_diff_finds_new_fields_and_new_resources() -> None:
    _, step = evolved("go", "sqlite")
    assert step.revision == 2
    assert [resource.name for resource in step.create] == ["tag"]
    (note,) = step.add
    assert note.name == "note"
    assert [field.name for field in note.fields] == [
        "priority", "due", "ratio", "label", "launch", "ref", "pinned", "day",
    ]  # fmt: skip
    assert migrations.slug(step) == "create_tags_and_add_priority_due_ratio_label"
    assert migrations.title(step).startswith("Add priority, due, ratio")


def test_no_change_is_no_migration() -> None:
    spec = project(resources=[NOTE])
    assert migrations.diff(initial(spec).migrations, spec) is None


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ([f"{NOTE} due:date"], "field 'due' is required but resource 'note' already has rows"),
        (["note title:text body:text? done:bool=false"], "mvpgen cannot change it"),
        (["note title:str done:bool=false"], "field 'body' of resource 'note' is missing"),
        ([TAG], "resource 'note' is missing; mvpgen cannot drop a table"),
        (["note/notez title:str body:text? done:bool=false"], "cannot rename its table"),
    ],
)
def test_changes_that_would_lose_rows_are_refused(new: list[str], message: str) -> None:
    history = initial(project(resources=[NOTE])).migrations
    with pytest.raises(SpecError, match=re.escape(message)):
        migrations.diff(history, project(resources=new))


@pytest.mark.parametrize(
    ("field", "sqlite", "postgres"),
    [
        ("n:int=-7", "-7", "-7"),
        ("n:float=2", "2.0", "2.0"),
        ("n:bool=true", "1", "TRUE"),
        ("n:bool=false", "0", "FALSE"),
        ('n:str="it\'s"', "'it''s'", "'it''s'"),
        ("n:date=2024-02-29", "'2024-02-29'", "'2024-02-29'"),
        (
            "n:datetime=2024-01-31T09:00:00+02:00",
            "'2024-01-31 07:00:00.000000'",
            "'2024-01-31 07:00:00.000000+00'",
        ),
        (
            "n:uuid=8F14E45F-CEEA-467F-A0E6-1D2B3C4D5E6F",
            "'8f14e45fceea467fa0e61d2b3c4d5e6f'",
            "'8f14e45f-ceea-467f-a0e6-1d2b3c4d5e6f'",
        ),
    ],
)
def test_defaults_in_each_databases_storage_format(field: str, sqlite: str, postgres: str) -> None:
    (spec,) = parse_resource(f"x {field}").fields
    assert migrations.sql_default(spec, Database.SQLITE) == sqlite
    assert migrations.sql_default(spec, Database.POSTGRES) == postgres


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_alembic_revision_chains_to_the_previous_head(tmp_path: Path, db: str) -> None:
    record, _ = evolved("fastapi", db)
    render.render_tree(record, tmp_path)
    versions = tmp_path / "src" / "shop" / "migrations" / "versions"
    assert sorted(p.name for p in versions.glob("*.py")) == [
        "0001_initial.py",
        "0002_create_tags_and_add_priority_due_ratio_label.py",
    ]
    text = (versions / "0002_create_tags_and_add_priority_due_ratio_label.py").read_text()
    compile(text, "0002.py", "exec")
    assert 'revision: str = "0002"' in text
    assert 'down_revision: str | None = "0001"' in text
    # The initial migration stays what it was: `note` without the new columns.
    assert "priority" not in (versions / "0001_initial.py").read_text()
    assert 'sa.Column("due", sa.Date(), nullable=True)' in " ".join(text.split()).replace(
        "( ", "("
    ).replace(", )", ")")
    assert 'server_default=sa.literal_column("3")' in text
    # One file for both databases (the project's own tests migrate SQLite too).
    assert "'2024-01-31 07:00:00.000000'\" if sqlite else \"'2024-01-31 07:00:00.000000+00'" in text
    assert 'op.create_table(\n        "tags"' in text
    assert 'batch.drop_column("priority")' in text


def goose_sections(path: Path) -> tuple[str, str]:
    up, down = path.read_text().split("-- +goose Down")
    return up.split("-- +goose Up")[1], down


def rendered_goose(tmp_path: Path, db: str) -> list[Path]:
    record, _ = evolved("go", db)
    render.render_tree(record, tmp_path)
    files = sorted((tmp_path / "internal" / "store" / "migrations").glob("*.sql"))
    assert [p.name for p in files] == [
        "00001_initial.sql",
        "00002_create_tags_and_add_priority_due_ratio_label.sql",
    ]
    return files


EXPECTED_ROW = {
    "title": "old",
    "priority": 3,
    "due": None,
    "ratio": 0.5,
    "label": "it's new",
    "day": "2024-02-29",
}


def test_goose_migration_fills_existing_rows_on_sqlite(tmp_path: Path) -> None:
    first, second = rendered_goose(tmp_path / "project", "sqlite")
    db = sqlite3.connect(tmp_path / "app.db")
    db.executescript(goose_sections(first)[0])
    db.execute(
        "INSERT INTO notes (title, done, created_at, updated_at) VALUES "
        "('old', 0, '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000')"
    )
    db.executescript(goose_sections(second)[0])
    db.row_factory = sqlite3.Row
    row = dict(db.execute("SELECT * FROM notes").fetchone())
    assert {key: row[key] for key in EXPECTED_ROW} == EXPECTED_ROW
    assert row["launch"] == "2024-01-31 07:00:00.000000"
    assert row["ref"] == "8f14e45fceea467fa0e61d2b3c4d5e6f"
    assert row["pinned"] == 1
    # A new table, as the initial migration makes them (defaults are the code's, not SQL's).
    tag_columns = [r[1] for r in db.execute("PRAGMA table_info(tags)")]
    assert tag_columns == ["id", "name", "weight", "created_at", "updated_at", "processed_at"]
    db.executescript(goose_sections(second)[1])
    columns = [r[1] for r in db.execute("PRAGMA table_info(notes)")]
    assert columns == ["id", "title", "body", "done", "created_at", "updated_at", "processed_at"]
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'tags'").fetchone() is None


def psql(url: str, *args: str) -> str:
    return subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def postgres_database() -> str:
    server = postgres_server_url()
    if not server or shutil.which("psql") is None:
        pytest.skip("needs psql and a PostgreSQL server in MVPGEN_POSTGRES_URL (scripts/test)")
    return create_postgres_database(server, "schema_diff")


def test_goose_migration_fills_existing_rows_on_postgres(
    tmp_path: Path, postgres_database: str
) -> None:
    first, second = rendered_goose(tmp_path / "project", "postgres")
    url = postgres_database
    psql(url, "-c", goose_sections(first)[0])
    psql(
        url,
        "-c",
        "INSERT INTO notes (title, done, created_at, updated_at) "
        "VALUES ('old', false, now(), now())",
    )
    psql(url, "-c", goose_sections(second)[0])
    row = psql(
        url,
        "-F",
        "|",
        "-c",
        "SELECT title, priority, due, ratio, label, day, launch AT TIME ZONE 'UTC', ref, pinned "
        "FROM notes",
    ).strip()
    assert row.split("|") == [
        "old", "3", "", "0.5", "it's new", "2024-02-29", "2024-01-31 07:00:00",
        "8f14e45f-ceea-467f-a0e6-1d2b3c4d5e6f", "t",
    ]  # fmt: skip
    psql(url, "-c", goose_sections(second)[1])
    columns = psql(
        url, "-c", "SELECT column_name FROM information_schema.columns WHERE table_name = 'notes'"
    ).split()
    assert sorted(columns) == sorted(
        ["id", "title", "body", "done", "created_at", "updated_at", "processed_at"]
    )
