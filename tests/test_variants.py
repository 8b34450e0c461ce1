"""The matrix declares what it promises, and the smoke client's own helpers are right (fast)."""

from typing import Any

import pytest

from mvpgen.spec import FieldType
from smoke import parse_datetime, same_value
from variants import VARIANTS, Variant


def test_variant_ids_are_unique() -> None:
    ids = [v.id for v in VARIANTS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_every_variant_is_a_valid_spec(variant: Variant) -> None:
    spec = variant.spec()
    assert spec.stack.value == variant.stack and spec.db.value == variant.db


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_a_variant_needs_the_tools_of_its_stack_and_database(variant: Variant) -> None:
    # What require_tools looks for: a tool missing here would be neither skipped nor failed.
    tools = set(variant.tools)
    assert "make" in tools
    assert ("go" in tools) == (variant.stack in {"go", "hybrid"})
    assert ("uv" in tools) == (variant.stack in {"fastapi", "hybrid"})
    assert ("psql" in tools) == (variant.db == "postgres")


def _fields(stack: str = "fastapi") -> list[dict[str, Any]]:
    return [
        field
        for v in VARIANTS
        if v.stack == stack
        for resource in v.spec_data()["resources"]
        for field in resource["fields"]
    ]


def test_matrix_has_the_default_spec() -> None:
    assert any(not v.resources for v in VARIANTS if v.stack == "fastapi")


def test_matrix_covers_every_field_type_optional_and_default() -> None:
    fields = _fields()
    assert {f["type"] for f in fields} == {t.value for t in FieldType}
    for ftype in FieldType:
        kinds = {("optional" if f["optional"] else "default" if f["has_default"] else "required")
                 for f in fields if f["type"] == ftype.value}  # fmt: skip
        # A reference has no default: the matrix has a required and an optional one.
        wanted = {"optional", "required"} if ftype is FieldType.REF else {"optional", "default"}
        assert wanted <= kinds, f"{ftype.value} lacks {wanted - kinds}"


def test_matrix_has_an_irregular_plural_and_several_resources() -> None:
    resources = [r for v in VARIANTS for r in v.spec_data()["resources"]]
    assert any(r["name"] == "person" and r["plural"] == "people" for r in resources)
    assert any(len(v.spec_data()["resources"]) > 1 for v in VARIANTS)


def test_matrix_combines_auth_with_chained_references_in_both_languages() -> None:
    """With --auth a reference names only rows of the user's own: a variant has both, with a
    chain (a second user must make rows of their own two levels deep before referencing any),
    and runs the code of each language (the hybrid runs both)."""
    languages = {"fastapi": {"fastapi"}, "go": {"go"}, "hybrid": {"fastapi", "go"}}
    covered: set[str] = set()
    for variant in VARIANTS:
        ancestors = variant.spec_data()["ancestors"]
        if variant.auth and any(ancestors[name] for names in ancestors.values() for name in names):
            covered |= languages[variant.stack]
    assert covered == {"fastapi", "go"}


def test_matrix_has_the_tricky_names() -> None:
    names = {f["name"] for f in _fields()} | {
        r["name"] for v in VARIANTS for r in v.spec_data()["resources"]
    }
    wanted = {"order", "user", "group", "type", "key", "value", "date", "default", "status",
              "select", "range"}  # fmt: skip
    assert wanted <= names, wanted - names
    assert any(f["name"] == "date" and f["type"] == "date" for f in _fields())


def test_other_values_differ_from_the_samples() -> None:
    for field in _fields():
        assert not same_value(field["type"], field["sample"], field["other_sample"])


@pytest.mark.parametrize(
    ("ftype", "sent", "got", "same"),
    [
        ("datetime", "2024-02-29T12:30:00Z", "2024-02-29T12:30:00.000000Z", True),
        ("datetime", "2024-02-29T13:30:00+01:00", "2024-02-29T12:30:00Z", True),
        ("datetime", "2024-02-29T12:30:00Z", "2024-02-29T12:30:00", False),
        ("datetime", "2024-02-29T12:30:00Z", "2024-02-29T12:30:00+00:00", False),
        ("uuid", "12345678-1234-5678-1234-567812345678", "12345678123456781234567812345678", False),
        ("uuid", "12345678-1234-5678-1234-567812345678", "12345678-1234-5678-1234-567812345678",
         True),
        ("int", 42, 42.0, False),
        ("int", 1, True, False),
        ("float", 3.5, 3.5, True),
        ("float", 1.0, 1, True),
        ("bool", True, 1, False),
        ("str", "a", "a", True),
        ("text", None, None, True),
        ("text", "x", None, False),
    ],
)  # fmt: skip
def test_same_value(ftype: str, sent: object, got: object, same: bool) -> None:
    assert same_value(ftype, sent, got) is same


def test_parse_datetime_wants_utc_z() -> None:
    assert parse_datetime("2024-01-31T09:00:00Z").utcoffset() is not None
    for bad in ("2024-01-31T09:00:00", "2024-01-31T09:00:00+00:00", None, 5):
        with pytest.raises(ValueError):
            parse_datetime(bad)
