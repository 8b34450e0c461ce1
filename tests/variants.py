"""The variant matrix, declared in one place.

A variant is a stack, a database and a list of resource specs. `tests/test_matrix.py` renders
each one, installs it, runs its own lint and tests, serves it and drives it with the smoke client.
Adding a stack or a database is one line per variant below, plus its tools in `STACK_TOOLS`.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mvpgen.spec import ProjectSpec, build_project

# The programs a stack's Makefile needs; a missing one fails in CI and skips on a laptop.
STACK_TOOLS: dict[str, tuple[str, ...]] = {
    "fastapi": ("make", "uv"),
    "go": ("make", "go"),
    "hybrid": ("make", "uv", "go"),
}
# The Makefile targets run before serving, in order; `build` is where a stack compiles (the
# matrix runs it with CGO_ENABLED=0: the Go binary must be cgo-free).
STACK_STEPS: dict[str, tuple[str, ...]] = {
    "fastapi": ("install", "lint", "test"),
    "go": ("install", "lint", "test", "build"),
    "hybrid": ("install", "lint", "test", "build"),
}
# What a database needs besides the stack's tools (SQLite is embedded in every stack).
DB_TOOLS: dict[str, tuple[str, ...]] = {
    "sqlite": (),
    "postgres": ("psql",),  # and a server: see Variant.database_url
}

# Every field type, optional and default values, an irregular plural, and references: a
# resource given before the two it references (one of them twice, once optionally).
EVERY_TYPE = (
    "purchase buyer:ref(person) gift_for:ref(person)? product:ref quantity:int=1",
    "person/people name:str bio:text? age:int=0 height:float? active:bool=true "
    "born:date? last_seen:datetime? ref:uuid?",
    "product title:str price:float stock:int=0 weight:float=1.5 released:date=2024-01-31 "
    "launch:datetime=2024-01-31T09:00:00Z sku:uuid=8f14e45f-ceea-467f-a0e6-1d2b3c4d5e6f "
    "note:text=none tagline:str=hello on_sale:bool=false",
)

# Names that are reserved somewhere (SQL, Go, Python builtins and modules, pydantic, the API's
# own query parameters) and must still work.
TRICKY = (
    "order type:str key:str value:int date:date default:bool=false status:str=new "
    "select:text? range:int? limit:int? offset:int? total:float?",
    "user group:str user:str? from_date:date? json:text? uuid:uuid? dt:datetime? "
    "schema:str? copy:bool? metadata:str? fields:int?",
    "type/types map:str? int:int float:float? str:str? bool:bool? len:int? list:str? id_value:int?",
    "status name:str",
)

# References under --auth, where each user may name only rows of their own: a chain (payment ->
# invoice -> customer) and a renamed optional reference, given before what they reference.
OWNED_REFERENCES = (
    "payment invoice:ref payer:ref(customer)? amount:float",
    "invoice customer:ref title:str",
    "customer name:str",
)


@dataclass(frozen=True)
class Variant:
    """One generated project of the matrix."""

    id: str
    stack: str = "fastapi"
    db: str = "sqlite"
    resources: tuple[str, ...] = ()  # empty: mvpgen's default sample resource
    name: str = "demo"
    # `make install` and `make run` on a PATH without uv: the Makefile installs its own.
    without_uv: bool = False
    # `--auth`: the smoke client signs up two users and checks each sees only their own rows.
    auth: bool = False

    @property
    def tools(self) -> tuple[str, ...]:
        return STACK_TOOLS[self.stack] + DB_TOOLS[self.db]

    @property
    def scale_out(self) -> bool:
        """Whether the matrix also runs it as an API and three `make worker` processes: on
        PostgreSQL, and on SQLite with the default spec (one resource keeps that run short)."""
        return self.db == "postgres" or not self.resources

    @property
    def stopped_under_load(self) -> bool:
        """Whether the matrix also stops `make run` with SIGTERM under load and restarts it:
        every stack on each database once (not with --auth: the load posts anonymously)."""
        if self.auth:
            return False
        return not self.resources or (self.db == "postgres" and self.resources == EVERY_TYPE)

    @property
    def steps(self) -> tuple[str, ...]:
        return STACK_STEPS[self.stack]

    def spec(self) -> ProjectSpec:
        return build_project(
            self.name,
            stack=self.stack,
            db=self.db,
            resources=list(self.resources) or None,
            auth=self.auth,
        )

    def spec_data(self) -> dict[str, Any]:
        return self.spec().model_dump(mode="json")

    def database_url(self, scratch: Path) -> str:
        """The DATABASE_URL `make run` gets in the matrix; `scratch` is the test's own folder.

        SQLite: a file in the test's folder. PostgreSQL: a new database, this variant's alone,
        on the server MVPGEN_POSTGRES_URL names (scripts/test starts one).
        """
        if self.db == "sqlite":
            return f"sqlite:///{scratch / 'smoke.db'}"
        return create_postgres_database(postgres_server_url(), f"{self.id}_{scratch.name}")

    def test_env(self) -> dict[str, str]:
        """What the project's own `make test` gets: PostgreSQL variants test on the server."""
        return {"DATABASE_URL": postgres_server_url()} if self.db == "postgres" else {}


def postgres_server_url() -> str:
    """An admin URL of the PostgreSQL server the matrix uses (empty: none is available)."""
    return os.environ.get("MVPGEN_POSTGRES_URL", "")


def create_postgres_database(server_url: str, label: str) -> str:
    """CREATE DATABASE on the server (with psql, which comes with the server) and its URL."""
    name = re.sub(r"[^a-z0-9_]", "_", label.lower())[:50] + "_" + uuid.uuid4().hex[:8]
    subprocess.run(
        ["psql", server_url, "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{name}"'],
        check=True,
        capture_output=True,
        text=True,
    )
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


VARIANTS: list[Variant] = [
    Variant("fastapi-sqlite-default", "fastapi", "sqlite", (), "shop", without_uv=True),
    Variant("fastapi-sqlite-every-type", "fastapi", "sqlite", EVERY_TYPE, "every-type"),
    Variant("fastapi-sqlite-tricky", "fastapi", "sqlite", TRICKY, "my-app"),
    Variant("fastapi-postgres-every-type", "fastapi", "postgres", EVERY_TYPE, "every-type"),
    Variant("fastapi-postgres-tricky", "fastapi", "postgres", TRICKY, "my-app"),
    Variant("go-sqlite-default", "go", "sqlite", (), "shop"),
    Variant("go-sqlite-every-type", "go", "sqlite", EVERY_TYPE, "every-type"),
    Variant("go-sqlite-tricky", "go", "sqlite", TRICKY, "my-app"),
    Variant("go-postgres-every-type", "go", "postgres", EVERY_TYPE, "every-type"),
    Variant("go-postgres-tricky", "go", "postgres", TRICKY, "my-app"),
    Variant("go-sqlite-auth", "go", "sqlite", (), "shop", auth=True),
    Variant("go-postgres-auth", "go", "postgres", (), "shop", auth=True),
    Variant("fastapi-sqlite-auth", "fastapi", "sqlite", (), "shop", auth=True),
    Variant("fastapi-postgres-auth", "fastapi", "postgres", (), "shop", auth=True),
    Variant("hybrid-sqlite-auth", "hybrid", "sqlite", (), "shop", auth=True),
    Variant("hybrid-postgres-auth", "hybrid", "postgres", (), "shop", auth=True),
    # Both stacks' code: the smoke run drives the API (FastAPI), the users' isolation step also
    # the core service (Go), and the ingest check core's batches.
    Variant(
        "hybrid-sqlite-auth-references", "hybrid", "sqlite", OWNED_REFERENCES, "billing", auth=True
    ),
    Variant("hybrid-sqlite-default", "hybrid", "sqlite", (), "shop", without_uv=True),
    Variant("hybrid-sqlite-every-type", "hybrid", "sqlite", EVERY_TYPE, "every-type"),
    Variant("hybrid-sqlite-tricky", "hybrid", "sqlite", TRICKY, "my-app"),
    Variant("hybrid-postgres-every-type", "hybrid", "postgres", EVERY_TYPE, "every-type"),
    Variant("hybrid-postgres-tricky", "hybrid", "postgres", TRICKY, "my-app"),
]
