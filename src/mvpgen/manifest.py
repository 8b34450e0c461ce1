"""`mvpgen.toml`: what mvpgen knows of a project it generated, written at its root.

`mvpgen new` writes it; `mvpgen add` and `mvpgen update` read it, change it and render the
project again from it. A person can read it: the resources are written in the grammar of
`--resource`, and the schema's history lists what each migration does, so that every migration
can be rendered again, unchanged, long after it was applied.
"""

import json
import re
import shlex
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mvpgen import __version__, names
from mvpgen.errors import SpecError
from mvpgen.fieldtypes import FieldType
from mvpgen.model import FieldSpec, ProjectSpec, ResourceSpec, with_ref_tables
from mvpgen.spec import first_error, parse_resource

MANIFEST_NAME = "mvpgen.toml"
# A word the spec grammar (shlex) reads as it is; anything else is quoted.
_PLAIN_WORD = re.compile(r"[\w@%+=:,./?-]+")


@dataclass(frozen=True)
class Migration:
    """One step of the schema: tables it creates, columns it adds (resources holding only them)."""

    revision: int
    create: tuple[ResourceSpec, ...] = ()
    add: tuple[ResourceSpec, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """A project as mvpgen renders it: the spec, and the migrations that built its schema."""

    spec: ProjectSpec
    migrations: tuple[Migration, ...]
    version: str = __version__


def initial(spec: ProjectSpec) -> Manifest:
    """The manifest of a new project: one migration creating every table."""
    return Manifest(spec, (Migration(1, create=tuple(spec.resources)),))


def format_field(field: FieldSpec) -> str:
    """A field in the spec grammar (`stock:int=0`), quoted where the shell would split it."""
    name, type_text = field.words
    word = f"{name}:{type_text}{'?' if field.optional else ''}"
    if field.has_default:
        word += "=" + _format_default(field)
    return word if _PLAIN_WORD.fullmatch(word) else shlex.quote(word)


def _format_default(field: FieldSpec) -> str:
    match field.type:
        case FieldType.BOOL:
            return "true" if field.default else "false"
        case FieldType.FLOAT:
            return repr(float(field.default))
        case _:
            # Strings, and dates, datetimes and UUIDs, which the spec keeps in canonical text.
            return str(field.default)


def format_resource(resource: ResourceSpec, fields: Sequence[FieldSpec] | None = None) -> str:
    """A resource in the grammar of `--resource`; `parse_resource` reads it back unchanged."""
    head = resource.name
    if resource.plural != names.pluralize(resource.name):
        head += f"/{resource.plural}"
    words = [format_field(field) for field in (resource.fields if fields is None else fields)]
    return " ".join([head, *words])


def schema_resources(migrations: Sequence[Migration]) -> list[ResourceSpec]:
    """The resources the migrations leave behind, in the order they were created."""
    tables: dict[str, ResourceSpec] = {}
    for migration in migrations:
        for resource in migration.create:
            tables[resource.name] = resource
        for change in migration.add:
            table = tables[change.name]
            tables[change.name] = table.model_copy(
                update={"fields": [*table.fields, *change.fields]}
            )
    return list(tables.values())


def dumps(manifest: Manifest) -> str:
    """The manifest as TOML, in a stable layout (a re-render writes the same bytes)."""
    spec = manifest.spec
    lines = [
        "# mvpgen's record of this project. `mvpgen add resource|field` and `mvpgen update`",
        "# change it and render the project again from it; keep it under version control.",
        f"mvpgen = {_toml(manifest.version)}",
        f"name = {_toml(spec.name)}",
        f"stack = {_toml(spec.stack.value)}",
        f"db = {_toml(spec.db.value)}",
        f"module = {_toml(spec.module)}",
        # Only when set: a project without accounts keeps the manifest it always had.
        *(["auth = true"] if spec.auth else []),
        "",
        "# The resources, in the grammar of `mvpgen new --resource`.",
        "resources = [",
        *(f"    {_toml(format_resource(resource))}," for resource in spec.resources),
        "]",
        "",
        "# The schema's history: one migration per change, each rendered again from its entry",
        "# here, never edited. `create` makes tables, `add` adds columns to existing ones.",
    ]
    for migration in manifest.migrations:
        lines += ["", "[[migrations]]", f"revision = {migration.revision}"]
        for key, resources in (("create", migration.create), ("add", migration.add)):
            if resources:
                items = ", ".join(_toml(format_resource(resource)) for resource in resources)
                lines.append(f"{key} = [{items}]")
    return "\n".join(lines) + "\n"


def _toml(value: str) -> str:
    # A JSON string is a TOML basic string: the same escapes, UTF-8 kept as it is.
    return json.dumps(value, ensure_ascii=False)


def write(manifest: Manifest, root: Path) -> None:
    (root / MANIFEST_NAME).write_text(dumps(manifest), encoding="utf-8")


def read(root: Path) -> Manifest:
    """Load and check `root/mvpgen.toml`; a missing or inconsistent one is the user's to fix."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise SpecError(
            f"{str(root)!r} is not a project mvpgen can change: it has no {MANIFEST_NAME} "
            "(projects generated before mvpgen wrote one cannot be updated)"
        )
    try:
        return loads(tomllib.loads(path.read_text(encoding="utf-8")))
    except SpecError as exc:
        raise SpecError(f"{MANIFEST_NAME}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:  # TOMLDecodeError is a ValueError
        reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise SpecError(f"{MANIFEST_NAME} is not valid: {reason}") from None


def loads(data: dict[str, Any]) -> Manifest:
    """The manifest from parsed TOML; the history must build exactly the listed resources."""
    migrations: list[Migration] = []
    for number, entry in enumerate(data["migrations"], start=1):
        if entry["revision"] != number:
            raise ValueError(f"migration {number} has revision {entry['revision']!r}")
        migrations.append(
            Migration(
                number,
                create=tuple(parse_resource(text) for text in entry.get("create", [])),
                add=tuple(parse_resource(text) for text in entry.get("add", [])),
            )
        )
    try:
        spec = ProjectSpec(
            name=data["name"],
            stack=data["stack"],
            db=data["db"],
            module=data.get("module", ""),
            auth=data.get("auth", False),
            resources=[parse_resource(text) for text in data["resources"]],
        )
    except ValidationError as exc:
        raise SpecError(first_error(exc)) from None
    # The entries' references point at tables only the whole project names.
    plurals = {resource.name: resource.plural for resource in spec.resources}
    migrations = [
        Migration(
            m.revision,
            create=tuple(with_ref_tables(r, plurals) for r in m.create),
            add=tuple(with_ref_tables(r, plurals) for r in m.add),
        )
        for m in migrations
    ]
    # Compared by name: the project lists a referenced resource before those referencing it,
    # the history in the order the tables were made.
    built = {resource.name: resource for resource in schema_resources(migrations)}
    if not migrations or built != {resource.name: resource for resource in spec.resources}:
        raise ValueError("its migrations do not build the resources it lists")
    return Manifest(spec, tuple(migrations), str(data["mvpgen"]))
