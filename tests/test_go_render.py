"""The Go template renders, for any spec, a complete project with nothing left to fill in.

Fast checks that need no Go toolchain (gofmt is used when present); building, vetting and
testing the rendered project is the matrix's job (tests/test_matrix.py, the go-* variants).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mvpgen.render import generate
from mvpgen.spec import ProjectSpec, build_project

RESOURCES = [
    "order type:str date:date default:bool=true range:int? select:uuid? map:text at:datetime? "
    'key:float=1.5 value:str?="it`s \\"quoted\\""',
    "date when:datetime uuid:uuid? string:str error:int=-9223372036854775808",
    "store/stores len:float?=2.5 day:date=2024-02-29 ref:uuid=12345678-1234-5678-1234-567812345678",
    "person/people name:str seen:datetime=2024-01-31T09:00:00.123456+02:00",
]
# Jinja tags; gofmt writes Go composite literals as `{{Loc: ...}}`, with no space after `{{`.
TEMPLATE_SYNTAX = re.compile(r"\{\{ |\{%|\{#|%\}")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProjectSpec, Path]:
    spec = build_project("my-app", stack="go", module="github.com/acme/my-app", resources=RESOURCES)
    root = generate(spec, tmp_path_factory.mktemp("go") / "my-app", git=False)
    return spec, root


def test_every_resource_has_its_files(rendered: tuple[ProjectSpec, Path]) -> None:
    spec, root = rendered
    for resource in spec.resources:
        for path in (
            f"internal/store/{resource.plural}_queries.go",
            f"internal/httpapi/{resource.plural}_handlers.go",
            f"internal/httpapi/{resource.plural}_handlers_test.go",
            f"internal/jobs/{resource.plural}_jobs.go",
        ):
            assert (root / path).is_file(), path
        routes = (root / "internal/httpapi/routes.go").read_text()
        assert f'"DELETE {resource.path}/{{row_id}}"' in routes
        schema = (root / "internal/store/migrations/00001_initial.sql").read_text()
        assert f'CREATE TABLE "{resource.table}"' in schema


def test_no_template_syntax_is_left(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    for path in root.rglob("*"):
        if path.is_file() and path.name != "go.sum":
            text = path.read_text()
            assert not TEMPLATE_SYNTAX.search(text), f"{path}: {TEMPLATE_SYNTAX.search(text)}"
            assert not path.name.endswith(".jinja"), path


@pytest.fixture(scope="module")
def rendered_postgres(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = build_project(
        "my-app", stack="go", db="postgres", module="github.com/acme/my-app", resources=RESOURCES
    )
    return generate(spec, tmp_path_factory.mktemp("go-postgres") / "my-app", git=False)


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_module_and_pinned_dependencies(
    db: str, rendered: tuple[ProjectSpec, Path], rendered_postgres: Path
) -> None:
    root = rendered_postgres if db == "postgres" else rendered[1]
    go_mod = (root / "go.mod").read_text()
    assert go_mod.startswith("module github.com/acme/my-app\n\ngo 1.24")
    go_sum = (root / "go.sum").read_text()
    requirements = [line for line in go_mod.splitlines() if line.startswith("\t")]
    assert requirements
    for line in requirements:
        assert re.fullmatch(r"\t\S+ v\d+\.\d+\.\d+(-\S+)?( // indirect)?", line), line
        module, version = line.split()[:2]
        assert f"{module} {version}/go.mod h1:" in go_sum, line
    # Only the chosen database's driver is compiled in.
    drivers = {"sqlite": "modernc.org/sqlite ", "postgres": "github.com/jackc/pgx/v5 "}
    for name, driver in drivers.items():
        assert (driver in go_mod) == (name == db), driver


def test_postgres_speaks_postgresql(rendered_postgres: Path) -> None:
    store = rendered_postgres / "internal" / "store"
    assert not (store / "sqlite.go").exists()
    assert "FOR UPDATE SKIP LOCKED" in (store / "jobs.go").read_text()
    schema = (store / "migrations" / "00001_initial.sql").read_text()
    assert "TIMESTAMPTZ" in schema and "DATETIME" not in schema
    queries = (store / "orders_queries.go").read_text()
    assert "$1" in queries and not re.search(r"[(=,] \?", queries)


def test_postgres_renders_without_template_syntax(rendered_postgres: Path) -> None:
    for path in rendered_postgres.rglob("*"):
        if path.is_file() and path.name != "go.sum":
            text = path.read_text()
            assert not TEMPLATE_SYNTAX.search(text), f"{path}: {TEMPLATE_SYNTAX.search(text)}"


def test_openapi_lists_every_route(rendered: tuple[ProjectSpec, Path]) -> None:
    spec, root = rendered
    doc = json.loads((root / "internal/httpapi/openapi.json").read_text())
    for resource in spec.resources:
        assert set(doc["paths"][resource.path]) == {"get", "post"}
        assert set(doc["paths"][f"{resource.path}/{{row_id}}"]) == {"get", "patch", "delete"}
        create = doc["components"]["schemas"][f"{resource.pascal}Create"]
        assert create["required"] == [f.name for f in resource.fields if f.required]


def test_row_types_step_aside_for_the_store_s_own_names(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    assert "type DateRow struct" in (root / "internal/store/dates_queries.go").read_text()
    assert "type StoreRow struct" in (root / "internal/store/stores_queries.go").read_text()


def test_defaults_are_go_literals(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    orders = (root / "internal/store/orders_queries.go").read_text()
    assert 'ptr("it`s \\"quoted\\"")' in orders
    dates = (root / "internal/store/dates_queries.go").read_text()
    assert "int64(-9223372036854775808)" in dates
    people = (root / "internal/store/people_queries.go").read_text()
    assert "time.Date(2024, 1, 31, 7, 0, 0, 123456000, time.UTC)" in people


@pytest.mark.skipif(shutil.which("gofmt") is None, reason="gofmt is not on PATH")
def test_rendered_go_is_gofmt_clean(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    result = subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("gofmt") is None, reason="gofmt is not on PATH")
def test_rendered_postgres_go_is_gofmt_clean(rendered_postgres: Path) -> None:
    result = subprocess.run(
        ["gofmt", "-l", "."], cwd=rendered_postgres, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
