"""The validated description of a project: what the templates receive, and nothing else.

`ProjectSpec` checks the whole project (names, duplicates, reserved words) once, and computes
every name and type the templates print, for every language. `mvpgen.spec` builds it from the
command line's answers.
"""

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from mvpgen import fieldtypes, names, shipped
from mvpgen.fieldtypes import RANGE_OPERATORS, RANGE_TYPES, SEARCH_TYPES, TYPES, FieldType


class Stack(StrEnum):
    FASTAPI = "fastapi"
    GO = "go"
    HYBRID = "hybrid"


class Database(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"


# The Alembic revision of the generated initial migration. The hybrid stack's Go service checks
# the database is at this revision (the FastAPI side owns the schema), so both read it from here.
SCHEMA_REVISION = "0001"

# Columns every resource has; a user field may not take these names.
SYSTEM_COLUMNS = ("id", "created_at", "updated_at", "processed_at")
# The list endpoints' own query parameters. A field of one of these names is matched with
# `NAME__eq` instead of `NAME=`; every other field's equality filter is its bare name.
LIST_PARAMS = ("limit", "offset", "sort", "q")
# Columns a list may be sorted by besides the user fields.
SORT_COLUMNS = ("id", "created_at", "updated_at")
_GO_MODULE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*\Z")


class FieldSpec(BaseModel):
    """One user field of a resource."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: FieldType
    optional: bool = False
    has_default: bool = False
    default: Any = None
    # For a reference (type `ref`): the resource it points at, and that resource's table (filled
    # in when the whole project is known). The field's `name` is the column, `customer_id`.
    ref: str | None = None
    ref_table: str | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        names.check_snake("field", name)
        if name in SYSTEM_COLUMNS:
            raise ValueError(
                f"field name {name!r} is a column every resource already has "
                f"({', '.join(SYSTEM_COLUMNS)}); pick another name, e.g. {name.rstrip('_')}_value"
            )
        return name

    @property
    def words(self) -> tuple[str, str]:
        """The field's name and type as the grammar writes them: `customer`, `ref` for the
        column `customer_id`; `buyer`, `ref(customer)` for `buyer_id`."""
        if self.ref is None:
            return self.name, self.type.value
        name = self.name.removesuffix("_id")
        return name, "ref" if name == self.ref else f"ref({self.ref})"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def required(self) -> bool:
        """Must a create request carry this field?"""
        return not self.optional and not self.has_default

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_name(self) -> str:
        """The Python attribute; differs from `name` only where a module-level name would clash."""
        return f"{self.name}_" if self.name in names.PY_SHADOWED else self.name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_type(self) -> str:
        """The Python annotation, without `| None`."""
        return TYPES[self.type].py_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_input(self) -> str:
        """The validated input annotation of the Create/Update schemas, without `| None`."""
        return TYPES[self.type].py_input

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_default(self) -> str:
        """The default as a Python expression ("None" when the field has none)."""
        return TYPES[self.type].py_default(self.default) if self.has_default else "None"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sa_type(self) -> str:
        """The SQLAlchemy column type, as written in models and migrations (`sa` imported)."""
        return TYPES[self.type].sa_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_name(self) -> str:
        """The exported Go struct field."""
        return names.go_exported(self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_type(self) -> str:
        """The Go type, without the pointer an optional field adds."""
        return TYPES[self.type].go_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_parser(self) -> str:
        """The Go function that reads one JSON value of the field's type."""
        return TYPES[self.type].go_parser

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_default(self) -> str:
        """The default as a typed Go expression in the store package ("" when there is none)."""
        return TYPES[self.type].go_default(self.default) if self.has_default else ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sqlite_type(self) -> str:
        return TYPES[self.type].sqlite_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def postgres_type(self) -> str:
        return TYPES[self.type].postgres_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def json_schema(self) -> dict[str, Any]:
        """The field's OpenAPI 3.1 schema (without nullability), shared by every stack."""
        return TYPES[self.type].json_schema

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sample(self) -> Any:
        """A valid JSON value for this field, used by generated tests and the smoke client."""
        return fieldtypes.sample(self.type, self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def other_sample(self) -> Any:
        """A second valid value, different from `sample`, for update tests."""
        return fieldtypes.sample(self.type, self.name, "other_sample")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def wrong_sample(self) -> Any:
        """A JSON value of the wrong type for this field, for validation tests."""
        return TYPES[self.type].wrong_sample

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_literals(self) -> dict[str, str]:
        """Sample values and the default (JSON form) as Python literals, for generated tests."""
        return {
            "default": repr(self.default),
            "sample": repr(self.sample),
            "other_sample": repr(self.other_sample),
            "wrong_sample": repr(self.wrong_sample),
        }


class ResourceSpec(BaseModel):
    """One resource: a table, a CRUD API and a `{name}.created` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    plural: str
    fields: Annotated[list[FieldSpec], Field(min_length=1)]

    @field_validator("name", "plural")
    @classmethod
    def _check_names(cls, value: str) -> str:
        names.check_snake("resource", value)
        return value

    @model_validator(mode="after")
    def _check_fields(self) -> "ResourceSpec":
        if self.plural in names.RESERVED_PLURALS:
            raise ValueError(
                f"resource {self.name!r} would be stored as {self.plural!r}, which the generated "
                "project uses itself; pick another name"
            )
        seen: set[str] = set()
        go_names: dict[str, str] = {}
        for field in self.fields:
            if field.name in seen:
                raise ValueError(f"field {field.name!r} appears twice in resource {self.name!r}")
            seen.add(field.name)
            # `line2` and `line_2` are both Go's `Line2`: a struct cannot hold both.
            if (other := go_names.setdefault(field.go_name, field.name)) != field.name:
                raise ValueError(
                    f"fields {other!r} and {field.name!r} of resource {self.name!r} would both "
                    f"be {field.go_name!r} in code; rename one"
                )
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pascal(self) -> str:
        return names.pascal(self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def camel(self) -> str:
        return names.camel(self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def title(self) -> str:
        return names.title(self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def title_plural(self) -> str:
        return names.title(self.plural)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def table(self) -> str:
        """The SQL table (always quoted by the generated code: `order` is a keyword)."""
        return self.plural

    @computed_field  # type: ignore[prop-decorator]
    @property
    def path(self) -> str:
        """The collection's URL path."""
        return f"/api/v1/{self.plural}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def job_kind(self) -> str:
        """The job enqueued in the same transaction as every insert."""
        return f"{self.name}.created"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_package(self) -> str:
        """The Python package holding this resource's router, schemas, models and service."""
        return self.plural

    @computed_field  # type: ignore[prop-decorator]
    @property
    def py_class(self) -> str:
        """The SQLAlchemy model class; `Base` would shadow the declarative base, hence a suffix."""
        return f"{self.pascal}Row" if self.pascal in {"Base", "Session", "Job"} else self.pascal

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_name(self) -> str:
        """The exported Go type of a row; `Row` is added where the Go store has that name itself."""
        name = names.go_exported(self.name)
        return f"{name}Row" if name in names.GO_STORE_NAMES else name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_plural(self) -> str:
        return names.go_exported(self.plural)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_aliases(self) -> bool:
        """Does any field's Python attribute differ from its API name (`json` -> `json_`)?"""
        return any(field.py_name != field.name for field in self.fields)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sample(self) -> dict[str, Any]:
        """A valid create request with every field set."""
        return {field.name: field.sample for field in self.fields}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def refs(self) -> list[FieldSpec]:
        """The fields that reference another resource."""
        return [field for field in self.fields if field.type is FieldType.REF]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def filters(self) -> list[dict[str, Any]]:
        """The list endpoint's filter parameters, one per field and operator, in field order.

        Each: `param` (the query parameter), `field` (the column), `py_name` (the attribute of
        the FastAPI query model), `op` (`eq`, `isnull`, `gte`, `gt`, `lte`, `lt`), `type` (of the
        value: the field's, `bool` for `isnull`) and `schema` (its OpenAPI schema, nullability
        aside).
        """
        found = []
        for field in self.fields:
            if field.name in LIST_PARAMS:
                eq = {"param": f"{field.name}__eq", "py_name": f"{field.name}__eq"}
            else:
                eq = {"param": field.name, "py_name": field.py_name}
            ops = [(eq, "eq", field.type.value, field.json_schema)]
            if field.optional:
                isnull = {"param": f"{field.name}__isnull", "py_name": f"{field.name}__isnull"}
                ops.append((isnull, "isnull", "bool", TYPES[FieldType.BOOL].json_schema))
            if field.type in RANGE_TYPES:
                for op in RANGE_OPERATORS:
                    names = {"param": f"{field.name}__{op}", "py_name": f"{field.name}__{op}"}
                    ops.append((names, op, field.type.value, field.json_schema))
            for names, op, value_type, schema in ops:
                py_query = TYPES[FieldType(value_type)].py_query
                found.append(
                    {
                        **names,
                        "field": field.name,
                        "field_py_name": field.py_name,
                        "op": op,
                        "type": value_type,
                        "py_query": py_query,
                        "schema": schema,
                    }
                )
        return found

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sort_columns(self) -> list[str]:
        """What `?sort=` accepts, each optionally with a leading `-`."""
        return [*SORT_COLUMNS[:1], *(field.name for field in self.fields), *SORT_COLUMNS[1:]]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sort_pattern(self) -> str:
        """The regular expression of a valid `sort` (empty, or columns with an optional `-`),
        in both OpenAPI documents: a client generating values from them sends valid ones."""
        column = "-?(?:" + "|".join(self.sort_columns) + ")"
        return f"^(?:{column}(?:,{column})*)?$"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def search_fields(self) -> list[str]:
        """The columns `?q=` searches (none: the list has no `q`)."""
        return [field.name for field in self.fields if field.type in SEARCH_TYPES]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def list_cases(self) -> dict[str, Any]:
        """List queries and what they return, for the generated tests and the smoke client.

        Rows `a` (every field at its `sample`) and `b` (at its `other_sample`) exist; a case's
        `query` values are text, or `{"row": "a", "field": name}` for that row's value of the
        field as the API returned it; `expect` lists the rows returned, in order. After those,
        row `c` (row `a` with `search.value` in the field `search.field`) is created and the
        `search.cases` run. Each of `errors` is a 422 naming the parameter `loc`.
        """
        cases: list[dict[str, Any]] = [{"query": {"no_such_parameter": "1"}, "expect": ["a", "b"]}]
        errors: list[dict[str, Any]] = [{"query": {"sort": "no_such_column"}, "loc": "sort"}]
        for field in self.fields:
            eq = next(f["param"] for f in self.filters if f["field"] == field.name)
            cases.append({"query": {eq: {"row": "a", "field": field.name}}, "expect": ["a"]})
            cases.append({"query": {eq: {"row": "b", "field": field.name}}, "expect": ["b"]})
            hi, lo = ("a", "b") if field.sample > field.other_sample else ("b", "a")
            cases.append({"query": {"sort": f"-{field.name}"}, "expect": [hi, lo]})
            cases.append({"query": {"sort": f"{field.name},-id"}, "expect": [lo, hi]})
            if field.optional:
                isnull = f"{field.name}__isnull"
                cases.append({"query": {isnull: "true"}, "expect": []})
                cases.append({"query": {isnull: "false", "sort": "-id"}, "expect": ["b", "a"]})
            if field.type in RANGE_TYPES:
                for op, row, expect in (("gte", hi, hi), ("gt", lo, hi), ("lte", lo, lo)):
                    value = {"row": row, "field": field.name}
                    cases.append({"query": {f"{field.name}__{op}": value}, "expect": [expect]})
                value = {"row": hi, "field": field.name}
                errors.append(
                    {"query": {f"{field.name}__lt": "not-a-value"}, "loc": f"{field.name}__lt"}
                )
                cases.append(
                    {
                        "query": {f"{field.name}__gt": value, f"{field.name}__lt": value},
                        "expect": [],
                    }
                )
            if not field.optional:
                errors.append(
                    {"query": {f"{field.name}__isnull": "true"}, "loc": f"{field.name}__isnull"}
                )
            errors.append({"query": {f"{field.name}__like": "x"}, "loc": f"{field.name}__like"})
            if field.type in (FieldType.STR, FieldType.TEXT):
                # PostgreSQL cannot compare text holding NUL: refused as in a body.
                errors.append({"query": {eq: "a\x00b"}, "loc": eq})
        search: dict[str, Any] = {}
        if self.search_fields:
            errors.append({"query": {"q": "a\x00b"}, "loc": "q"})
            first = next(f for f in self.fields if f.name == self.search_fields[0])
            word = str(first.other_sample).split()[0].upper()
            cases.append({"query": {"q": word}, "expect": ["b"]})
            cases.append({"query": {"q": "%"}, "expect": []})
            cases.append({"query": {"q": "_"}, "expect": []})
            text = 'O\'Brien 100%_\\ café ✓ "quoted" ;--'
            search = {
                "field": first.name,
                "value": text,
                "cases": [
                    {"query": {"q": "'brien 100%_\\"}, "expect": ["c"]},
                    {"query": {"q": "%"}, "expect": ["c"]},
                    {"query": {"q": "_"}, "expect": ["c"]},
                    {"query": {"q": "\\"}, "expect": ["c"]},
                    {"query": {"q": 'café ✓ "quoted'}, "expect": ["c"]},
                    {"query": {"q": "100%_\\x"}, "expect": []},
                    {"query": {first.name: text}, "expect": ["c"]},
                    {"query": {first.name: text[:-1]}, "expect": []},
                ],
            }
        return {"cases": cases, "errors": errors, "search": search}


class ProjectSpec(BaseModel):
    """A whole project: validated once, handed to the templates as `spec`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    stack: Stack = Stack.FASTAPI
    db: Database = Database.SQLITE
    module: str = ""
    # Users, sign-up and login, and every resource row owned by the user who created it.
    auth: bool = False
    resources: Annotated[list[ResourceSpec], Field(min_length=1)]

    @field_validator("name")
    @classmethod
    def _check_project_name(cls, name: str) -> str:
        if not names.PROJECT_NAME_RE.match(name):
            raise ValueError(
                f"project name {name!r} must start with a letter and hold only letters, digits, "
                "'-' and '_' (e.g. my-app)"
            )
        package = name.replace("-", "_").lower()
        if names.is_python_keyword(package) or package in shipped.taken_packages():
            raise ValueError(
                f"project name {name!r} would make the Python package {package!r}, which "
                f"shadows a module the project installs or imports; try {name}-app"
            )
        return name

    @field_validator("module")
    @classmethod
    def _check_module(cls, module: str) -> str:
        if module and not _GO_MODULE_RE.match(module):
            raise ValueError(
                f"Go module path {module!r} is not valid (e.g. github.com/acme/my-app)"
            )
        return module

    @field_validator("resources")
    @classmethod
    def _order_by_references(cls, resources: list[ResourceSpec]) -> list[ResourceSpec]:
        """Every reference resolved, and the resources in dependency order (a referenced one
        before those that reference it, otherwise as given): the order tables are created in."""
        plurals = {resource.name: resource.plural for resource in resources}
        for resource in resources:
            for field in resource.refs:
                if field.ref not in plurals:
                    raise ValueError(
                        f"field {field.name.removesuffix('_id')!r} of resource "
                        f"{resource.name!r} references {field.ref!r}, which is not a resource "
                        f"(resources: {', '.join(plurals)})"
                    )
        ordered: list[ResourceSpec] = []
        pending = list(resources)
        while pending:
            placed = {resource.name for resource in ordered}
            ready = next(
                (r for r in pending if all(f.ref in placed for f in r.refs)),
                None,
            )
            if ready is None:
                raise ValueError(_cycle_message(pending))
            pending.remove(ready)
            ordered.append(with_ref_tables(ready, plurals))
        return ordered

    @model_validator(mode="after")
    def _check_resources(self) -> "ProjectSpec":
        taken: set[str] = set()
        for resource in self.resources:
            words = {resource.name, resource.plural}
            if clash := words & taken:
                # Name the resource itself when it is the clash: a set's order varies per run.
                word = resource.name if resource.name in clash else clash.pop()
                raise ValueError(f"resource {word!r} is declared twice")
            taken |= words
        if self.auth:
            for resource in self.resources:
                if (
                    resource.plural in names.AUTH_TABLES
                    or resource.go_name in names.AUTH_GO_STORE_NAMES
                ):
                    raise ValueError(
                        f"resource {resource.name!r} would clash with the users and tokens "
                        "that --auth adds; pick another name (e.g. member, account)"
                    )
        # `base` and `base_row` would both be the class `BaseRow`, `line2` and `line_2` `Line2`.
        classes: dict[str, str] = {}
        for resource in self.resources:
            for code_name in dict.fromkeys((resource.py_class, resource.go_name)):
                other = classes.setdefault(code_name, resource.name)
                if other != resource.name:
                    raise ValueError(
                        f"resources {other!r} and {resource.name!r} would both be "
                        f"{code_name!r} in code; rename one"
                    )
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def package(self) -> str:
        """The Python package (`my-app` -> `my_app`)."""
        return self.name.replace("-", "_").lower()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dist_name(self) -> str:
        """The Python distribution name, normalised as lock files spell it (`my-app`)."""
        return self.package.replace("_", "-")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def go_module(self) -> str:
        return self.module or self.name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def title(self) -> str:
        """`my-app` -> `My App`."""
        return " ".join(p.capitalize() for p in self.name.replace("_", "-").split("-") if p)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def referrers(self) -> dict[str, list[dict[str, str]]]:
        """Per resource, the references to it (`resource`, `table`, `column`): what a delete of
        one of its rows must check, in resource order."""
        found: dict[str, list[dict[str, str]]] = {r.name: [] for r in self.resources}
        for resource in self.resources:
            for field in resource.refs:
                assert field.ref is not None
                found[field.ref].append(
                    {"resource": resource.name, "table": resource.table, "column": field.name}
                )
        return found

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ancestors(self) -> dict[str, list[str]]:
        """Per resource, every resource its sample rows reference, directly or through others,
        in dependency order: what a test creates first (two rows each, ids 1 and 2 on a fresh
        database) so that the samples' references point at rows."""
        by_name = {resource.name: resource for resource in self.resources}
        found: dict[str, list[str]] = {}
        for resource in self.resources:  # dependency order: parents are done first
            needed = {name for f in resource.refs for name in [*found[f.ref or ""], f.ref or ""]}
            found[resource.name] = [name for name in by_name if name in needed]
        return found

    @computed_field  # type: ignore[prop-decorator]
    @property
    def schema_revision(self) -> str:
        """The newest migration's revision: Alembic's, and what the hybrid's Go service expects."""
        return SCHEMA_REVISION


def _cycle_message(pending: list[ResourceSpec]) -> str:
    """Why resources that all wait on each other cannot be created: the cycle, spelled out."""
    names = {resource.name for resource in pending}
    waiting = {r.name: [f.ref for f in r.refs if f.ref in names] for r in pending}
    path = [pending[0].name]
    while (step := waiting[path[-1]][0]) not in path:
        path.append(step)
    cycle = [*path[path.index(step) :], step]
    if len(cycle) == 2:
        return f"resource {step!r} references itself; self-references are not supported yet"
    return (
        f"resources reference each other in a cycle ({' -> '.join(cycle)}): no table could be "
        "created first; drop one of these references"
    )


def with_ref_tables(resource: ResourceSpec, plurals: dict[str, str]) -> ResourceSpec:
    """The resource with each reference's `ref_table` filled in from `plurals` (by name)."""
    fields = [
        field.model_copy(update={"ref_table": plurals[field.ref]})
        if field.ref is not None and field.ref in plurals
        else field
        for field in resource.fields
    ]
    return resource.model_copy(update={"fields": fields})
