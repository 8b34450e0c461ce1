"""A resource's list queries: the filters, sorts and search its list endpoint takes, and the
cases (queries and the rows they select) the generated tests and the smoke client run.

Each function reads only the resource's fields; `model.ResourceSpec` exposes them to the
templates as computed fields.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mvpgen.fieldtypes import RANGE_OPERATORS, RANGE_TYPES, SEARCH_TYPES, TYPES, FieldType

if TYPE_CHECKING:
    from mvpgen.model import FieldSpec

# The list endpoints' own query parameters. A field of one of these names is matched with
# `NAME__eq` instead of `NAME=`; every other field's equality filter is its bare name.
LIST_PARAMS = ("limit", "offset", "sort", "q")
# Columns a list may be sorted by besides the user fields.
SORT_COLUMNS = ("id", "created_at", "updated_at")


def filters(fields: Sequence["FieldSpec"]) -> list[dict[str, Any]]:
    """The list endpoint's filter parameters, one per field and operator, in field order.

    Each: `param` (the query parameter), `field` (the column), `py_name` (the attribute of
    the FastAPI query model), `op` (`eq`, `isnull`, `gte`, `gt`, `lte`, `lt`), `type` (of the
    value: the field's, `bool` for `isnull`) and `schema` (its OpenAPI schema, nullability
    aside).
    """
    found = []
    for field in fields:
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


def sort_columns(fields: Sequence["FieldSpec"]) -> list[str]:
    """What `?sort=` accepts, each optionally with a leading `-`."""
    return [*SORT_COLUMNS[:1], *(field.name for field in fields), *SORT_COLUMNS[1:]]


def sort_pattern(fields: Sequence["FieldSpec"]) -> str:
    """The regular expression of a valid `sort` (empty, or columns with an optional `-`),
    in both OpenAPI documents: a client generating values from them sends valid ones."""
    column = "-?(?:" + "|".join(sort_columns(fields)) + ")"
    return f"^(?:{column}(?:,{column})*)?$"


def search_fields(fields: Sequence["FieldSpec"]) -> list[str]:
    """The columns `?q=` searches (none: the list has no `q`)."""
    return [field.name for field in fields if field.type in SEARCH_TYPES]


def list_cases(fields: Sequence["FieldSpec"]) -> dict[str, Any]:
    """List queries and what they return, for the generated tests and the smoke client.

    Rows `a` (every field at its `sample`) and `b` (at its `other_sample`) exist; a case's
    `query` values are text, or `{"row": "a", "field": name}` for that row's value of the
    field as the API returned it; `expect` lists the rows returned, in order. After those,
    row `c` (row `a` with `search.value` in the field `search.field`) is created and the
    `search.cases` run. Each of `errors` is a 422 naming the parameter `loc`.
    """
    cases: list[dict[str, Any]] = [{"query": {"no_such_parameter": "1"}, "expect": ["a", "b"]}]
    errors: list[dict[str, Any]] = [{"query": {"sort": "no_such_column"}, "loc": "sort"}]
    for field in fields:
        eq = next(f["param"] for f in filters(fields) if f["field"] == field.name)
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
        if field.type is FieldType.DATE:
            errors.append({"query": {eq: "2024-02-29T00:00:00Z"}, "loc": eq})
    search: dict[str, Any] = {}
    if search_fields(fields):
        errors.append({"query": {"q": "a\x00b"}, "loc": "q"})
        first = next(f for f in fields if f.name == search_fields(fields)[0])
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
