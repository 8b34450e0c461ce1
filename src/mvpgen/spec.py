"""Reading a spec: the resource grammar and the command line's answers, into a `ProjectSpec`.

`parse_resource` reads `NAME[/PLURAL] field:type[?][=default] ...`; `build_project` checks the
flags and returns the validated project. The models live in `mvpgen.model`, the field types in
`mvpgen.fieldtypes`; both are importable from here too.
"""

import json
import re
import shlex
from typing import Any

from pydantic import ValidationError

from mvpgen import fieldtypes, names
from mvpgen.errors import SpecError
from mvpgen.fieldtypes import DefaultError, FieldType
from mvpgen.model import Database, FieldSpec, ProjectSpec, ResourceSpec, Stack

__all__ = [
    "DEFAULT_RESOURCE",
    "Database",
    "FieldSpec",
    "FieldType",
    "ProjectSpec",
    "ResourceSpec",
    "Stack",
    "build_project",
    "first_error",
    "parse_resource",
    "spec_json",
]

# `customer:ref`, `buyer:ref(customer)`.
_REF_RE = re.compile(r"ref(?:\((?P<target>[^()]*)\))?")

# The resource generated when none is given.
DEFAULT_RESOURCE = "note title:str body:text? done:bool=false"


def parse_resource(text: str) -> ResourceSpec:
    """Parse `NAME[/PLURAL] field:type[?][=default] ...` into a validated resource."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise SpecError(f"resource spec {text!r} has unbalanced quotes ({exc})") from None
    if not words:
        raise SpecError("resource spec is empty; write it as 'NAME field:type ...'")
    head, *field_words = words
    name, _, plural = head.partition("/")
    if not field_words:
        raise SpecError(
            f"resource {name!r} has no fields; add at least one, e.g. '{name} title:str'"
        )
    fields = [_parse_field(name, word) for word in field_words]
    try:
        names.check_snake("resource", name)
        return ResourceSpec(name=name, plural=plural or names.pluralize(name), fields=fields)
    except (ValidationError, ValueError) as exc:
        raise SpecError(first_error(exc)) from None


def _parse_field(resource: str, word: str) -> FieldSpec:
    name, sep, rest = word.partition(":")
    if not sep or not rest:
        raise SpecError(
            f"field {word!r} of resource {resource!r} has no type; write it as {name}:str "
            f"(types: {', '.join(t.value for t in FieldType)})"
        )
    type_text, eq, default_text = rest.partition("=")
    optional = type_text.endswith("?")
    type_text = type_text.removesuffix("?")
    if ref := _REF_RE.fullmatch(type_text):
        return _parse_ref(resource, name, ref["target"], optional, eq)
    try:
        ftype = FieldType(type_text)
    except ValueError:
        raise SpecError(
            f"field {name!r} of resource {resource!r} has unknown type {type_text!r} "
            f"(types: {', '.join(t.value for t in FieldType)})"
        ) from None
    default: Any = None
    if eq:
        try:
            default = fieldtypes.parse_default(ftype, default_text)
        except DefaultError as exc:
            raise SpecError(
                f"default {default_text!r} of field {name!r} ({ftype.value}) {exc.reason}"
            ) from None
    try:
        return FieldSpec(
            name=name, type=ftype, optional=optional, has_default=bool(eq), default=default
        )
    except ValidationError as exc:
        raise SpecError(f"{first_error(exc)} (in resource {resource!r})") from None


def _parse_ref(resource: str, name: str, target: str | None, optional: bool, eq: str) -> FieldSpec:
    """`customer:ref` or `buyer:ref(customer)`: the column `customer_id` / `buyer_id`."""
    target = name if target is None else target
    if eq:
        raise SpecError(
            f"reference {name!r} of resource {resource!r} cannot have a default "
            f"(write {name}:ref? for an optional one)"
        )
    if name.endswith("_id"):
        raise SpecError(
            f"reference {name!r} of resource {resource!r} would be the column {name}_id; "
            f"write it as {name.removesuffix('_id')}:ref (the column is then {name})"
        )
    try:
        names.check_snake("field", name)
        names.check_snake("resource", target)
        return FieldSpec(name=f"{name}_id", type=FieldType.REF, optional=optional, ref=target)
    except (ValidationError, ValueError) as exc:
        raise SpecError(f"{first_error(exc)} (in resource {resource!r})") from None


def build_project(
    name: str,
    *,
    stack: str = Stack.FASTAPI,
    db: str = Database.SQLITE,
    module: str = "",
    resources: list[str] | None = None,
    auth: bool = False,
) -> ProjectSpec:
    """Validate every answer and return the spec the templates receive."""
    for flag, value, choices in (("--stack", stack, Stack), ("--db", db, Database)):
        if value not in {c.value for c in choices}:
            raise SpecError(
                f"{flag} {value!r} is not one of: {', '.join(c.value for c in choices)}"
            )
    parsed = [parse_resource(text) for text in (resources or [DEFAULT_RESOURCE])]
    try:
        return ProjectSpec(
            name=name,
            stack=Stack(stack),
            db=Database(db),
            module=module,
            auth=auth,
            resources=parsed,
        )
    except ValidationError as exc:
        raise SpecError(first_error(exc)) from None


def first_error(exc: ValidationError | ValueError) -> str:
    """One line for the user: the message of the first validation error, sans pydantic's noise."""
    if isinstance(exc, ValidationError):
        message = str(exc.errors()[0]["msg"])
        return message.removeprefix("Value error, ")
    return str(exc)


def spec_json(spec: ProjectSpec) -> str:
    """The spec as the JSON the templates and the generated project's tests see."""
    return json.dumps(spec.model_dump(mode="json"), indent=2)
