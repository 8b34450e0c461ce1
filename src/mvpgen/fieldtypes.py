"""The field types of the resource grammar: one row per type, read by the spec, the templates
(through the spec's computed fields) and the tests.

Adding a type is one row in `TYPES` plus its runtime parsers in the templates (the Go
service's internal/httpapi/parse.go, the FastAPI project's core/fields.py).
"""

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
STR_MAX_LENGTH = 255


class FieldType(StrEnum):
    STR = "str"
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    UUID = "uuid"
    REF = "ref"  # a reference to a row of another resource: `customer:ref`, `buyer:ref(customer)`


class DefaultError(ValueError):
    """A default (the text after `=`) that is not a value of its field's type."""

    def __init__(self, reason: str = "is not valid") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TypeRow:
    """Everything about one field type, in every language a project is generated in."""

    py_type: str  # the Python annotation (models, Read schemas)
    py_input: str  # the validated input annotation of Create/Update schemas (core/fields.py)
    py_query: str  # the annotation of a list filter's value, read from a query string
    sa_type: str  # the SQLAlchemy column type, `sa` imported
    go_type: str  # the Go type in the store package, without an optional field's pointer
    go_parser: str  # the Go function (internal/httpapi/parse.go) reading one JSON value
    sqlite_type: str  # the column type, as SQLAlchemy creates it on SQLite
    postgres_type: str  # the column type, as SQLAlchemy creates it on PostgreSQL
    json_schema: dict[str, Any]  # OpenAPI 3.1, without nullability
    sample: Any  # a valid JSON value; a string is formatted with the field's `name`
    other_sample: Any  # a second valid JSON value, different from `sample`, for updates
    wrong_sample: Any  # a JSON value of the wrong type, for validation tests
    parse_default: Callable[[str], Any]  # the text after `=` -> a JSON value (or ValueError)
    py_default: Callable[[Any], str]  # that JSON value -> a Python expression
    go_default: Callable[[Any], str]  # that JSON value -> a Go expression in the store package
    # That JSON value -> an SQL literal in each database's storage format (docs/contract.md),
    # for the server default of a column added to a table that already has rows.
    sqlite_literal: Callable[[Any], str]
    postgres_literal: Callable[[Any], str]


def _str(raw: str) -> str:
    if len(raw) > STR_MAX_LENGTH:
        raise DefaultError(f"is longer than {STR_MAX_LENGTH} characters")
    return raw


def _int(raw: str) -> int:
    value = int(raw)
    if not INT64_MIN <= value <= INT64_MAX:
        raise DefaultError("does not fit in a 64-bit integer")
    return value


def _float(raw: str) -> float:
    number = float(raw)
    if number != number or number in (float("inf"), float("-inf")):
        raise DefaultError("is not a finite number")
    return number


def _bool(raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise DefaultError("is not true or false")
    return raw.lower() == "true"


def _datetime(raw: str) -> str:
    moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise DefaultError("has no time zone (write it as 2024-01-31T09:00:00Z)")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _no_default(raw: str) -> Any:
    raise DefaultError("cannot be a default of a reference (make the reference optional instead)")


def _sql_text(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_utc(value: str) -> str:
    """A datetime as both databases store it: UTC, microseconds, no `T` (PostgreSQL adds +00)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _go_date(value: str) -> str:
    day = dt.date.fromisoformat(value)
    return f"Date{{Year: {day.year}, Month: {day.month}, Day: {day.day}}}"


def _go_datetime(value: str) -> str:
    t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (
        f"time.Date({t.year}, {t.month}, {t.day}, {t.hour}, {t.minute}, {t.second}, "
        f"{t.microsecond * 1000}, time.UTC)"
    )


def _go_string(value: str) -> str:
    # JSON without ASCII escapes is a valid Go string literal (no surrogate pairs).
    return json.dumps(value, ensure_ascii=False)


TYPES: dict[FieldType, TypeRow] = {
    FieldType.STR: TypeRow(
        py_type="str",
        py_input="Str255",
        py_query="QueryStr255",
        sa_type=f"sa.String({STR_MAX_LENGTH})",
        go_type="string",
        go_parser="parseShortString",
        sqlite_type=f"VARCHAR({STR_MAX_LENGTH})",
        postgres_type=f"VARCHAR({STR_MAX_LENGTH})",
        json_schema={"type": "string", "maxLength": STR_MAX_LENGTH},
        sample="sample {name}",
        other_sample="other {name}",
        wrong_sample={"not": "a string"},
        parse_default=_str,
        py_default=repr,
        go_default=_go_string,
        sqlite_literal=_sql_text,
        postgres_literal=_sql_text,
    ),
    FieldType.TEXT: TypeRow(
        py_type="str",
        py_input="Text",
        py_query="QueryText",
        sa_type="sa.Text()",
        go_type="string",
        go_parser="parseText",
        sqlite_type="TEXT",
        postgres_type="TEXT",
        json_schema={"type": "string"},
        sample="A longer text for {name}.",
        other_sample="Another text for {name}.\nWith a second line and unicode: café ✓",
        wrong_sample={"not": "a string"},
        parse_default=str,
        py_default=repr,
        go_default=_go_string,
        sqlite_literal=_sql_text,
        postgres_literal=_sql_text,
    ),
    FieldType.INT: TypeRow(
        py_type="int",
        py_input="Int64",
        py_query="QueryInt64",
        sa_type="sa.BigInteger()",
        go_type="int64",
        go_parser="parseInt64",
        sqlite_type="BIGINT",
        postgres_type="BIGINT",
        json_schema={"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
        sample=42,
        other_sample=-7,
        wrong_sample="not a number",
        parse_default=_int,
        py_default=repr,
        go_default=lambda value: f"int64({value})",
        sqlite_literal=lambda value: str(int(value)),
        postgres_literal=lambda value: str(int(value)),
    ),
    FieldType.FLOAT: TypeRow(
        py_type="float",
        py_input="Float",
        py_query="QueryFloat",
        sa_type="sa.Float()",
        go_type="float64",
        go_parser="parseFloat64",
        sqlite_type="FLOAT",
        postgres_type="FLOAT",
        json_schema={"type": "number"},
        sample=3.5,
        other_sample=0.25,
        wrong_sample="not a number",
        parse_default=_float,
        py_default=repr,
        go_default=lambda value: f"float64({value!r})",
        sqlite_literal=lambda value: repr(float(value)),
        postgres_literal=lambda value: repr(float(value)),
    ),
    FieldType.BOOL: TypeRow(
        py_type="bool",
        py_input="Bool",
        py_query="bool",
        sa_type="sa.Boolean()",
        go_type="bool",
        go_parser="parseBool",
        sqlite_type="BOOLEAN",
        postgres_type="BOOLEAN",
        json_schema={"type": "boolean"},
        sample=True,
        other_sample=False,
        wrong_sample="not a bool",
        parse_default=_bool,
        py_default=repr,
        go_default=lambda value: "true" if value else "false",
        sqlite_literal=lambda value: "1" if value else "0",
        postgres_literal=lambda value: "TRUE" if value else "FALSE",
    ),
    FieldType.DATE: TypeRow(
        py_type="dt.date",
        py_input="Date",
        py_query="QueryDate",
        sa_type="sa.Date()",
        go_type="Date",
        go_parser="parseDate",
        sqlite_type="DATE",
        postgres_type="DATE",
        json_schema={"type": "string", "format": "date"},
        sample="2024-02-29",
        other_sample="1999-12-31",
        wrong_sample={"not": "a string"},
        parse_default=lambda raw: dt.date.fromisoformat(raw).isoformat(),
        py_default=lambda value: f"dt.date.fromisoformat({value!r})",
        go_default=_go_date,
        sqlite_literal=_sql_text,
        postgres_literal=_sql_text,
    ),
    FieldType.DATETIME: TypeRow(
        py_type="dt.datetime",
        py_input="UTCDatetime",
        py_query="QueryDatetime",
        sa_type="sa.DateTime(timezone=True)",
        go_type="time.Time",
        go_parser="parseDateTime",
        sqlite_type="DATETIME",
        postgres_type="TIMESTAMPTZ",
        json_schema={"type": "string", "format": "date-time"},
        sample="2024-02-29T12:30:00Z",
        other_sample="1999-12-31T23:59:59Z",
        wrong_sample={"not": "a string"},
        parse_default=_datetime,
        py_default=lambda value: f"dt.datetime.fromisoformat({value!r})",
        go_default=_go_datetime,
        sqlite_literal=lambda value: _sql_text(_sql_utc(value)),
        postgres_literal=lambda value: _sql_text(_sql_utc(value) + "+00"),
    ),
    FieldType.UUID: TypeRow(
        py_type="uuid.UUID",
        py_input="uuid.UUID",
        py_query="uuid.UUID",
        sa_type="sa.Uuid()",
        go_type="uuid.UUID",
        go_parser="parseUUID",
        sqlite_type="CHAR(32)",
        postgres_type="UUID",
        json_schema={"type": "string", "format": "uuid"},
        sample="12345678-1234-5678-1234-567812345678",
        other_sample="87654321-4321-8765-4321-876543218765",
        wrong_sample={"not": "a string"},
        parse_default=lambda raw: str(uuid.UUID(raw)),
        py_default=lambda value: f"uuid.UUID({value!r})",
        go_default=lambda value: f"uuid.MustParse({json.dumps(value)})",
        sqlite_literal=lambda value: _sql_text(uuid.UUID(value).hex),
        postgres_literal=lambda value: _sql_text(str(uuid.UUID(value))),
    ),
}
# `customer:ref` is the column `customer_id`: an int (a foreign key to customers.id with an
# index), written and read as that row's id. The samples are the ids of the first and second
# row of the referenced resource: a test creates those rows before it uses them.
TYPES[FieldType.REF] = replace(
    TYPES[FieldType.INT], sample=1, other_sample=2, parse_default=_no_default
)

# Operators a list filter may add to a field's name (`?total__gte=10`), by field type; the bare
# name is equality. `isnull` is offered for optional fields of any type.
RANGE_OPERATORS = ("gte", "gt", "lte", "lt")
RANGE_TYPES = frozenset({FieldType.INT, FieldType.FLOAT, FieldType.DATE, FieldType.DATETIME})
# Fields searched by `?q=`.
SEARCH_TYPES = frozenset({FieldType.STR, FieldType.TEXT})


def parse_default(ftype: FieldType, raw: str) -> Any:
    """The text after `=` as a JSON-ready value of the type; `DefaultError` says why not."""
    try:
        return TYPES[ftype].parse_default(raw)
    except DefaultError:
        raise
    except ValueError:
        raise DefaultError() from None


def sample(ftype: FieldType, name: str, which: str = "sample") -> Any:
    """A field's `sample` or `other_sample`: string samples name the field."""
    value = getattr(TYPES[ftype], which)
    return value.format(name=name) if isinstance(value, str) else value
