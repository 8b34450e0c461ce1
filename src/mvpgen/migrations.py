"""The schema's changes: the difference of two specs as a migration, and what its templates get.

A change is additive — new resources, new fields on existing ones — because rows already in
the database must survive it: a new column on an existing table needs a default or `?`. The
migration is rendered from the spec alone (no database is consulted), so the same history
renders the same files on every machine; Alembic revisions are numbered `0002`, `0003`, … and
goose versions `00002`, … in the same order.
"""

import re
from typing import Any

from mvpgen.errors import SpecError
from mvpgen.fieldtypes import TYPES
from mvpgen.manifest import Migration, format_field, schema_resources
from mvpgen.model import Database, FieldSpec, ProjectSpec, ResourceSpec

SLUG_MAX = 48


def diff(migrations: tuple[Migration, ...], spec: ProjectSpec) -> Migration | None:
    """The migration taking the schema the history built to `spec` (None: nothing changed)."""
    before = {resource.name: resource for resource in schema_resources(migrations)}
    create: list[ResourceSpec] = []
    add: list[ResourceSpec] = []
    for resource in spec.resources:
        old = before.pop(resource.name, None)
        if old is None:
            create.append(resource)
            continue
        if old.plural != resource.plural:
            raise SpecError(
                f"resource {resource.name!r} is stored as {old.plural!r}; mvpgen cannot rename "
                f"its table to {resource.plural!r}"
            )
        kept = {field.name: field for field in old.fields}
        new_fields = []
        for field in resource.fields:
            previous = kept.pop(field.name, None)
            if previous is None:
                check_addable(resource, field)
                new_fields.append(field)
            elif previous != field:
                raise SpecError(
                    f"field {field.name!r} of resource {resource.name!r} was "
                    f"{format_field(previous)!r}; mvpgen cannot change it to "
                    f"{format_field(field)!r} (add a new field instead)"
                )
        if kept:
            raise SpecError(
                f"field {next(iter(kept))!r} of resource {resource.name!r} is missing; "
                "mvpgen cannot drop a column (keep the field)"
            )
        if new_fields:
            add.append(resource.model_copy(update={"fields": new_fields}))
    if before:
        raise SpecError(
            f"resource {next(iter(before))!r} is missing; mvpgen cannot drop a table "
            "(keep the resource)"
        )
    if not create and not add:
        return None
    return Migration(migrations[-1].revision + 1, create=tuple(create), add=tuple(add))


def check_addable(resource: ResourceSpec, field: FieldSpec) -> None:
    """A new column on an existing table must have a value for the rows already there."""
    name, type_text = field.words
    if field.required and field.ref is not None:
        raise SpecError(
            f"reference {name!r} is required but resource {resource.name!r} already has rows, "
            f"and a reference has no default: make it optional ({name}:{type_text}?)"
        )
    if field.required:
        raise SpecError(
            f"field {field.name!r} is required but resource {resource.name!r} already has rows "
            f"to fill: give it a default ({name}:{type_text}=VALUE) or make it "
            f"optional ({name}:{type_text}?)"
        )


def sql_default(field: FieldSpec, db: Database) -> str:
    """The field's default as an SQL literal in the database's storage format (docs/contract.md)."""
    row = TYPES[field.type]
    literal = row.sqlite_literal if db is Database.SQLITE else row.postgres_literal
    return literal(field.default)


def py_server_default(field: FieldSpec) -> str:
    """An Alembic `server_default` for the field, valid on SQLite and PostgreSQL alike.

    `literal_column`, not `text`: a `:00` in a time would read as a bind parameter. Where the
    two databases store the value differently, the migration picks at run time (`sqlite`).
    """
    on_sqlite = sql_default(field, Database.SQLITE)
    on_postgres = sql_default(field, Database.POSTGRES)
    if on_sqlite == on_postgres:
        return f"sa.literal_column({on_sqlite!r})"
    return f"sa.literal_column({on_sqlite!r} if sqlite else {on_postgres!r})"


def slug(migration: Migration) -> str:
    """A file-name word for what the migration does: `add_priority_to_notes`, `create_tags`."""
    parts = [f"create_{resource.plural}" for resource in migration.create]
    parts += [
        f"add_{'_'.join(field.name for field in resource.fields)}_to_{resource.plural}"
        for resource in migration.add
    ]
    text = "_and_".join(parts)
    if len(text) > SLUG_MAX:
        text = re.sub(r"_[^_]*$", "", text[: SLUG_MAX + 1]) or text[:SLUG_MAX]
    return text


def title(migration: Migration) -> str:
    """One line for the migration's docstring: `Add priority, due to notes; create tags`."""
    parts = [
        f"add {', '.join(field.name for field in resource.fields)} to {resource.plural}"
        for resource in migration.add
    ]
    parts += [f"create {resource.plural}" for resource in migration.create]
    return "; ".join(parts).capitalize()


def answers(migration: Migration) -> dict[str, Any]:
    """What the migration templates (`*/migration`) receive as `migration`."""
    added = []
    by_dialect = False
    for resource in migration.add:
        data = resource.model_dump(mode="json")
        for field, field_data in zip(resource.fields, data["fields"], strict=True):
            if field.has_default:
                defaults = {db.value: sql_default(field, db) for db in Database}
                by_dialect |= len(set(defaults.values())) > 1
                field_data["sql_defaults"] = defaults
                field_data["py_server_default"] = py_server_default(field)
        added.append(data)
    name = slug(migration)
    return {
        "revision": f"{migration.revision:04d}",
        "down_revision": f"{migration.revision - 1:04d}",
        "file": f"{migration.revision:04d}_{name}",
        "goose_file": f"{migration.revision:05d}_{name}",
        "title": title(migration),
        "create": [resource.model_dump(mode="json") for resource in migration.create],
        "add": added,
        # Does the Alembic revision pick a default by database (`sqlite` in its upgrade)?
        "by_dialect": by_dialect,
    }


def schema_answers(migrations: tuple[Migration, ...]) -> dict[str, Any]:
    """What every layer receives as `schema`: the first tables, and the newest revision."""
    return {
        "initial": [resource.model_dump(mode="json") for resource in migrations[0].create],
        "revision": f"{migrations[-1].revision:04d}",
    }
