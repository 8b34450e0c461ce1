"""Migrations that add columns undo cleanly, on a database holding rows, in both stacks.

A user adds a defaulted field, then a reference and another defaulted field, to a resource
other rows reference, migrates, then takes the last migration back (goose's down, Alembic's
downgrade) and applies it again. On SQLite, Alembic makes each of these changes by rebuilding
the table (batch mode), which must keep every row (ids, other columns, the AUTOINCREMENT
counter) and every foreign key into and out of the table; goose adds and drops the columns in
place. The schema is migrated the stack's own way (the project's goose provider; its
`alembic`), and the rows are written and read with plain SQL (sqlite3, psql).
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import test_matrix
from mvpgen.render import generate
from test_evolution_matrix import expect, mvpgen
from test_matrix import Project, project_env, require_tools, tail
from variants import Variant

pytestmark = pytest.mark.matrix
uv_cache_dir = test_matrix.uv_cache_dir

RESOURCES = ("region name:str", "customer name:str", "order total:float customer:ref")
SCENARIOS = [
    Variant(f"down-{stack}-{db}", stack, db, RESOURCES, "shop")
    for stack in ("go", "fastapi")  # the hybrid's schema is the FastAPI stack's Alembic
    for db in ("sqlite", "postgres")
]
NOW = "2024-05-06 07:08:09.000000"
STAMPS = f"'{NOW}', '{NOW}'"  # created_at, updated_at
BEFORE = ["id", "name", "created_at", "updated_at", "processed_at", "tier"]
AFTER = [*BEFORE, "region_id", "vip"]

# Put in the Go project for this test alone: migrate DATABASE_URL up or down to MIGRATE_TO
# with the service's own goose provider and embedded migrations.
GO_MIGRATE_TO = """package store

import (
	"context"
	"os"
	"strconv"
	"testing"
)

func TestMigrateTo(t *testing.T) {
	target, err := strconv.ParseInt(os.Getenv("MIGRATE_TO"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv("DATABASE_URL"), Options{JobMaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	current, err := s.schema.migrations.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if target < current {
		_, err = s.schema.migrations.DownTo(ctx, target)
	} else {
		_, err = s.schema.migrations.UpTo(ctx, target)
	}
	if err != nil {
		t.Fatal(err)
	}
}
"""


class Database:
    """Plain SQL on the test's database: sqlite3 (foreign keys on, as every service sets
    them), or psql. Values come back as text, NULL as ''."""

    def __init__(self, url: str) -> None:
        self.url = url

    def run(self, statement: str) -> list[tuple[str, ...]]:
        if self.url.startswith("sqlite:///"):
            connection = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                connection.execute("PRAGMA foreign_keys=ON")
                rows = connection.execute(statement).fetchall()
                connection.commit()
            finally:
                connection.close()
            return [tuple("" if v is None else str(v) for v in row) for row in rows]
        result = subprocess.run(
            ["psql", self.url, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "|", "-c", statement],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip())
        return [tuple(line.split("|")) for line in result.stdout.splitlines()]

    def refuses(self, statement: str | Callable[..., object], *args: object) -> str:
        """The error raised by a statement (or a call) that the schema must refuse."""
        with pytest.raises((sqlite3.IntegrityError, RuntimeError)) as caught:
            if isinstance(statement, str):
                self.run(statement)
            else:
                statement(self, *args)
        return str(caught.value)

    def columns(self, table: str) -> list[str]:
        if self.url.startswith("sqlite:///"):
            return [row[1] for row in self.run(f'PRAGMA table_info("{table}")')]
        return [
            row[0]
            for row in self.run(
                "SELECT column_name FROM information_schema.columns "
                f"WHERE table_name = '{table}' ORDER BY ordinal_position"
            )
        ]

    def indexes(self, table: str) -> set[str]:
        if self.url.startswith("sqlite:///"):
            return {row[1] for row in self.run(f'PRAGMA index_list("{table}")')}
        return {
            row[0]
            for row in self.run(f"SELECT indexname FROM pg_indexes WHERE tablename = '{table}'")
        }


def migrate(project: Project, database_url: str, revision: int) -> None:
    """Up or down to `revision`, as the stack does it."""
    if project.variant.stack == "go":
        command = ["go", "test", "-count=1", "-run", "^TestMigrateTo$", "./internal/store/"]
        env = {"MIGRATE_TO": str(revision)}
    else:
        current = alembic(project, database_url, "current").split() or ["0"]
        verb = "downgrade" if int(current[0]) > revision else "upgrade"
        command = ["uv", "run", "--no-sync", "alembic", verb, f"{revision:04d}"]
        env = {}
    result = subprocess.run(
        command,
        cwd=project.root,
        env={**project.env, **env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{project.variant.id}: migrating to {revision} failed\n$ {' '.join(command)}\n"
            f"{tail(result.stdout + result.stderr)}",
            pytrace=False,
        )


def alembic(project: Project, database_url: str, *args: str) -> str:
    result = subprocess.run(
        ["uv", "run", "--no-sync", "alembic", *args],
        cwd=project.root,
        env={**project.env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize("variant", SCENARIOS, ids=[v.id for v in SCENARIOS])
def test_an_added_reference_migrates_down_and_up_again_keeping_the_rows(
    variant: Variant, tmp_path: Path, uv_cache_dir: Path
) -> None:
    require_tools(variant)
    root = generate(variant.spec(), tmp_path / "shop")
    expect(mvpgen(root, "add", "field", "customer", "tier:int=1"), 0, "add tier")
    expect(mvpgen(root, "add", "field", "customer", "region:ref?", "vip:bool=false"), 0, "add")
    project = Project(variant, root, project_env(uv_cache_dir))
    if variant.stack == "go":
        (root / "internal/store/migrate_to_test.go").write_text(GO_MIGRATE_TO)
    else:
        project.make("install")
    database_url = variant.database_url(tmp_path)
    db = Database(database_url)

    # Rows on the first schema: customer 3 deleted (its id must never come back), orders
    # referencing the others.
    migrate(project, database_url, 1)
    db.run(f"INSERT INTO regions (name, created_at, updated_at) VALUES ('north', {STAMPS})")
    assert [add_customer(db, name) for name in ("Ada", "Bob", "Cy")] == ["1", "2", "3"]
    db.run("DELETE FROM customers WHERE id = 3")
    add_order(db, 9.5, 1)
    add_order(db, 1.25, 2)
    migrate(project, database_url, 3)
    assert db.columns("customers") == AFTER
    db.run("UPDATE customers SET region_id = 1, vip = true WHERE id = 1")
    kept = f"SELECT {', '.join(BEFORE)} FROM customers ORDER BY id"
    customers = db.run(kept)
    assert [row[:2] + row[-1:] for row in customers] == [("1", "Ada", "1"), ("2", "Bob", "1")]

    migrate(project, database_url, 2)
    assert db.columns("customers") == BEFORE
    assert db.run(kept) == customers
    assert "ix_customers_region_id" not in db.indexes("customers")
    orders = db.run('SELECT id, total, customer_id FROM "orders" ORDER BY id')
    assert orders == [("1", "9.5", "1"), ("2", "1.25", "2")]
    assert "ix_orders_customer_id" in db.indexes("orders")
    # The foreign keys into the rebuilt table still hold, and its ids still never come back.
    assert "FOREIGN KEY" in db.refuses("DELETE FROM customers WHERE id = 1").upper()
    assert "FOREIGN KEY" in db.refuses(add_order, 1.0, 99).upper()
    assert add_customer(db, "Dee") == "4"

    migrate(project, database_url, 3)
    assert db.columns("customers") == AFTER
    rows = db.run("SELECT id, name, tier, region_id, vip FROM customers ORDER BY id")
    false = "0" if database_url.startswith("sqlite") else "f"
    assert rows == [
        (id_, name, "1", "", false) for id_, name in (("1", "Ada"), ("2", "Bob"), ("4", "Dee"))
    ]
    assert "ix_customers_region_id" in db.indexes("customers")
    assert "FOREIGN KEY" in db.refuses("UPDATE customers SET region_id = 99 WHERE id = 1").upper()
    assert add_customer(db, "Eve") == "5"


def add_customer(db: Database, name: str) -> str:
    """A new customer's id."""
    statement = (
        "INSERT INTO customers (name, created_at, updated_at) VALUES ('{}', {}) RETURNING id"
    )
    [(id_,)] = db.run(statement.format(name, STAMPS))
    return id_


def add_order(db: Database, total: float, customer_id: int) -> None:
    db.run(
        'INSERT INTO "orders" (total, customer_id, created_at, updated_at) '
        f"VALUES ({total}, {customer_id}, {STAMPS})"
    )
