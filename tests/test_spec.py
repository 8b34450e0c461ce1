import json
import keyword
import shlex
import sys

import pytest

from helpers import EVERY_TYPE_RESOURCES, TRICKY_RESOURCES, TRICKY_WORDS
from mvpgen import names
from mvpgen.errors import MvpgenError, SpecError
from mvpgen.spec import (
    DEFAULT_RESOURCE,
    Database,
    FieldType,
    ResourceSpec,
    Stack,
    build_project,
    parse_resource,
    spec_json,
)


def field(spec: str, name: str | None = None):
    """The field `name` (or the only field) of the resource `spec`."""
    resource = parse_resource(spec)
    if name is None:
        (only,) = resource.fields
        return only
    return next(f for f in resource.fields if f.name == name)


def spec_error(text: str) -> str:
    """The message `parse_resource(text)` refuses it with."""
    with pytest.raises(SpecError) as info:
        parse_resource(text)
    return str(info.value)


def project_error(name: str = "shop", **kwargs) -> str:
    with pytest.raises(SpecError) as info:
        build_project(name, **kwargs)
    return str(info.value)


# --- the grammar -------------------------------------------------------------------------------


def test_parse_the_design_example() -> None:
    resource = parse_resource("note title:str body:text? done:bool=false")
    assert resource.name == "note"
    assert resource.plural == "notes"
    assert [(f.name, f.type, f.optional, f.has_default, f.default) for f in resource.fields] == [
        ("title", FieldType.STR, False, False, None),
        ("body", FieldType.TEXT, True, False, None),
        ("done", FieldType.BOOL, False, True, False),
    ]
    assert [f.required for f in resource.fields] == [True, False, False]


@pytest.mark.parametrize("ftype", list(FieldType))
def test_every_field_type(ftype: FieldType) -> None:
    plain = field(f"thing value:{ftype.value}")
    assert plain.type is ftype
    assert (plain.optional, plain.has_default, plain.required) == (False, False, True)
    optional = field(f"thing value:{ftype.value}?")
    assert optional.type is ftype
    assert (optional.optional, optional.has_default, optional.required) == (True, False, False)


@pytest.mark.parametrize(
    "ftype, py_type, sa_type, go_type, schema",
    [
        ("str", "str", "sa.String(255)", "string", {"type": "string", "maxLength": 255}),
        ("text", "str", "sa.Text()", "string", {"type": "string"}),
        (
            "int",
            "int",
            "sa.BigInteger()",
            "int64",
            {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        ),
        ("float", "float", "sa.Float()", "float64", {"type": "number"}),
        ("bool", "bool", "sa.Boolean()", "bool", {"type": "boolean"}),
        ("date", "dt.date", "sa.Date()", "Date", {"type": "string", "format": "date"}),
        (
            "datetime",
            "dt.datetime",
            "sa.DateTime(timezone=True)",
            "time.Time",
            {"type": "string", "format": "date-time"},
        ),
        ("uuid", "uuid.UUID", "sa.Uuid()", "uuid.UUID", {"type": "string", "format": "uuid"}),
    ],
)
def test_type_mappings(ftype: str, py_type: str, sa_type: str, go_type: str, schema: dict) -> None:
    f = field(f"thing value:{ftype}")
    assert (f.py_type, f.sa_type, f.go_type, f.json_schema) == (py_type, sa_type, go_type, schema)


@pytest.mark.parametrize(
    "word, default, py_default",
    [
        ("stock:int=0", 0, "0"),
        ("stock:int=-7", -7, "-7"),
        ("stock:int=9223372036854775807", 2**63 - 1, "9223372036854775807"),
        ("stock:int=-9223372036854775808", -(2**63), "-9223372036854775808"),
        ("price:float=1.5", 1.5, "1.5"),
        ("price:float=3", 3.0, "3.0"),
        ("price:float=-0.25", -0.25, "-0.25"),
        ("done:bool=false", False, "False"),
        ("done:bool=true", True, "True"),
        ("done:bool=True", True, "True"),
        ("done:bool=FALSE", False, "False"),
        ("born:date=2024-02-29", "2024-02-29", "dt.date.fromisoformat('2024-02-29')"),
        (
            "at:datetime=2024-01-31T09:00:00Z",
            "2024-01-31T09:00:00Z",
            "dt.datetime.fromisoformat('2024-01-31T09:00:00Z')",
        ),
        (
            "token:uuid=12345678-1234-5678-1234-567812345678",
            "12345678-1234-5678-1234-567812345678",
            "uuid.UUID('12345678-1234-5678-1234-567812345678')",
        ),
        ("title:str=hello", "hello", "'hello'"),
        ("title:str=", "", "''"),
        ("body:text=long", "long", "'long'"),
    ],
)
def test_defaults_are_parsed_per_type(word: str, default: object, py_default: str) -> None:
    f = field(f"thing {word}")
    assert f.has_default
    assert not f.required
    assert f.default == default
    assert type(f.default) is type(default)
    assert f.py_default == py_default


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("2024-01-31T09:00:00Z", "2024-01-31T09:00:00Z"),
        ("2024-01-31T09:00:00+00:00", "2024-01-31T09:00:00Z"),
        ("2024-01-31T09:00:00+02:00", "2024-01-31T07:00:00Z"),
        ("2024-01-31T23:30:00-05:00", "2024-02-01T04:30:00Z"),
        ("2024-01-31T09:00:00.250+01:00", "2024-01-31T08:00:00.250000Z"),
    ],
)
def test_datetime_defaults_are_normalised_to_utc(raw: str, normalised: str) -> None:
    assert field(f"thing at:datetime={raw}").default == normalised


def test_uuid_default_is_normalised() -> None:
    f = field("thing token:uuid=12345678123456781234567812345678")
    assert f.default == "12345678-1234-5678-1234-567812345678"


@pytest.mark.parametrize(
    "text, default",
    [
        ("thing motto:str='carpe diem'", "carpe diem"),
        ('thing motto:str="carpe diem"', "carpe diem"),
        ("thing 'motto:str=carpe diem'", "carpe diem"),
        ("thing motto:str=it\\'s", "it's"),
        ("thing motto:str='a=b'", "a=b"),
        ("thing motto:str='50% \"off\"'", '50% "off"'),
    ],
)
def test_str_defaults_are_quoted_like_a_shell(text: str, default: str) -> None:
    assert field(text).default == default


def test_optional_with_default() -> None:
    f = field("thing stock:int?=3")
    assert (f.optional, f.has_default, f.default, f.required) == (True, True, 3, False)


def test_no_default_is_not_a_default_of_none() -> None:
    f = field("thing title:str?")
    assert not f.has_default
    assert f.py_default == "None"


def test_str_default_of_255_characters_is_accepted() -> None:
    assert field(f"thing title:str={'a' * 255}").default == "a" * 255


def test_text_default_has_no_length_limit() -> None:
    assert field(f"thing body:text={'a' * 1000}").default == "a" * 1000


@pytest.mark.parametrize(
    "text, name, plural",
    [
        ("person/people name:str", "person", "people"),
        ("person name:str", "person", "people"),
        ("cactus/cacti name:str", "cactus", "cacti"),
        ("order_item qty:int", "order_item", "order_items"),
        ("category name:str", "category", "categories"),
        ("sheep name:str", "sheep", "sheep"),
        ("hero/heroes name:str", "hero", "heroes"),
    ],
)
def test_plural_is_derived_or_given(text: str, name: str, plural: str) -> None:
    resource = parse_resource(text)
    assert (resource.name, resource.plural, resource.table) == (name, plural, plural)
    assert resource.path == f"/api/v1/{plural}"


def test_extra_whitespace_is_ignored() -> None:
    resource = parse_resource("  product   name:str\tprice:float  ")
    assert [f.name for f in resource.fields] == ["name", "price"]


# --- computed names ----------------------------------------------------------------------------


def test_resource_names_are_computed_once() -> None:
    resource = parse_resource("order_item qty:int")
    assert resource.pascal == "OrderItem"
    assert resource.camel == "orderItem"
    assert resource.title == "Order item"
    assert resource.title_plural == "Order items"
    assert resource.table == "order_items"
    assert resource.path == "/api/v1/order_items"
    assert resource.job_kind == "order_item.created"
    assert resource.py_package == "order_items"
    assert resource.py_class == "OrderItem"
    assert resource.go_name == "OrderItem"
    assert resource.go_plural == "OrderItems"


@pytest.mark.parametrize(
    "text, py_class",
    [("base name:str", "BaseRow"), ("session name:str", "SessionRow"), ("order x:int", "Order")],
)
def test_py_class_does_not_shadow_the_project_own_classes(text: str, py_class: str) -> None:
    assert parse_resource(text).py_class == py_class


def test_field_names_are_computed_once() -> None:
    resource = parse_resource("account user_id:int image_url:str? api_key:uuid")
    assert [f.go_name for f in resource.fields] == ["UserID", "ImageURL", "APIKey"]
    assert [f.py_name for f in resource.fields] == ["user_id", "image_url", "api_key"]


def test_samples_are_valid_values_of_their_type() -> None:
    resource = parse_resource(EVERY_TYPE_RESOURCES[1])
    for f in resource.fields:
        # A sample is a valid default of its own field type, and its wrong sample is not.
        for value in (f.sample, f.other_sample):
            text = value if isinstance(value, str) else json.dumps(value)
            assert field(f"thing v:{f.type.value}={shlex.quote(text)}").default == value
        assert f.other_sample != f.sample
        assert type(f.wrong_sample) is not type(f.sample)
    assert resource.sample == {f.name: f.sample for f in resource.fields}


def test_project_names() -> None:
    project = build_project("my-app", resources=["order status:str"])
    assert project.name == "my-app"
    assert project.package == "my_app"
    assert project.go_module == "my-app"
    assert project.title == "My App"
    assert project.stack is Stack.FASTAPI
    assert project.db is Database.SQLITE


def test_module_overrides_the_go_module() -> None:
    project = build_project("my-app", module="github.com/acme/my-app")
    assert project.go_module == "github.com/acme/my-app"
    assert project.package == "my_app"


def test_project_name_case_is_kept_for_the_folder_only() -> None:
    project = build_project("My_App")
    assert (project.name, project.package) == ("My_App", "my_app")


def test_no_resource_gives_the_sample_resource() -> None:
    project = build_project("shop")
    assert project.resources == [parse_resource(DEFAULT_RESOURCE)]
    assert build_project("shop", resources=[]).resources == project.resources


def test_resources_keep_their_order() -> None:
    project = build_project("shop", resources=EVERY_TYPE_RESOURCES)
    assert [r.name for r in project.resources] == ["product", "person"]
    assert {f.type for r in project.resources for f in r.fields} == set(FieldType) - {FieldType.REF}


def test_spec_json_is_what_the_templates_receive() -> None:
    project = build_project("shop", resources=EVERY_TYPE_RESOURCES)
    data = json.loads(spec_json(project))
    assert data["package"] == "shop"
    assert data["resources"][1]["plural"] == "people"
    assert data["resources"][1]["py_class"] == "Person"
    by_name = {f["name"]: f for f in data["resources"][1]["fields"]}
    assert by_name["wake_at"]["default"] == "2024-01-31T07:00:00Z"
    assert by_name["token"]["default"] == "12345678-1234-5678-1234-567812345678"
    assert by_name["motto"]["default"] == "carpe diem"
    assert data == project.model_dump(mode="json")


def test_models_forbid_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        ResourceSpec(name="order", plural="orders", fields=[], colour="red")  # type: ignore[call-arg]


# --- names users really pick -------------------------------------------------------------------


@pytest.mark.parametrize("word", TRICKY_WORDS)
def test_tricky_words_work_as_resources(word: str) -> None:
    resource = parse_resource(f"{word} title:str")
    assert resource.name == word
    assert resource.job_kind == f"{word}.created"
    assert resource.path == f"/api/v1/{resource.plural}"


@pytest.mark.parametrize("word", TRICKY_WORDS)
def test_tricky_words_work_as_fields(word: str) -> None:
    # The API and the column keep the user's name; the code names are usable identifiers that
    # shadow nothing, renamed (a trailing `_`) only where they would.
    f = field(f"thing {word}:str")
    assert f.py_name in (word, f"{word}_")
    assert f.py_name.isidentifier() and not keyword.iskeyword(f.py_name)
    assert f.py_name not in names.PY_SHADOWED
    assert f.go_name.isidentifier() and f.go_name[0].isupper()


def test_model_works_as_a_field() -> None:
    # (as a resource its package `models` would shadow models.py: refused above)
    assert field("car model:str").py_name == "model"


def test_tricky_project_from_the_issue() -> None:
    project = build_project("shop", resources=TRICKY_RESOURCES)
    assert [r.plural for r in project.resources] == ["orders", "users", "groups", "types"]
    order, user, group, type_ = project.resources
    assert group.py_class == "Group"
    assert [f.name for f in order.fields] == ["status", "key", "value", "default"]
    assert type_.go_name == "Type"
    assert type_.py_class == "Type"
    assert order.table == "orders"
    date = next(f for f in user.fields if f.name == "date")
    assert (date.type, date.py_name, date.py_type) == (FieldType.DATE, "date", "dt.date")


def test_field_date_of_type_date_does_not_shadow_the_type() -> None:
    f = field("event date:date")
    # The templates spell the type through the `dt` module, so `date` is free as an attribute.
    assert f.py_type == "dt.date"
    assert f.py_name == "date"


@pytest.mark.parametrize(
    "word, py_name",
    [
        ("json", "json_"),
        ("metadata", "metadata_"),
        ("registry", "registry_"),
        ("dt", "dt_"),
        ("uuid", "uuid_"),
        ("sa", "sa_"),
        ("copy", "copy_"),
        ("dict", "dict_"),
        ("schema", "schema_"),
        ("validate", "validate_"),
        ("fields", "fields_"),
        ("model_config", "model_config_"),
        ("title", "title"),
        ("type", "type"),
    ],
)
def test_py_name_renames_only_what_would_shadow(word: str, py_name: str) -> None:
    f = field(f"thing {word}:text")
    assert f.name == word
    assert f.py_name == py_name


def test_has_aliases_when_a_field_is_renamed() -> None:
    resource = parse_resource("thing json:text title:str")
    assert resource.has_aliases
    assert not parse_resource("thing title:str").has_aliases


# --- bad input: one line, naming the bad value -------------------------------------------------


def assert_one_line(message: str, *names: str) -> None:
    assert "\n" not in message
    assert "Traceback" not in message
    for name in names:
        assert name in message, f"{name!r} not named in {message!r}"


@pytest.mark.parametrize(
    "text, bad, suggestion",
    [
        ("Order title:str", "'Order'", "'order'"),
        ("orderItem title:str", "'orderItem'", "'order_item'"),
        ("order-item title:str", "'order-item'", "'order_item'"),
        ("order title:str Price:float", "'Price'", "'price'"),
        ("order unitPrice:float", "'unitPrice'", "'unit_price'"),
        ("order unit__price:float", "'unit__price'", "'unit_price'"),
        ("order _price:float", "'_price'", "'price'"),
        ("order price_:float", "'price_'", "'price'"),
        ("order 2price:float", "'2price'", None),
        ("order/Orders title:str", "'Orders'", "'orders'"),
        ("ordér title:str", "'ordér'", None),
    ],
)
def test_not_snake_case_is_refused_with_a_suggestion(
    text: str, bad: str, suggestion: str | None
) -> None:
    message = spec_error(text)
    assert_one_line(message, bad, "snake_case")
    if suggestion:
        assert f"try {suggestion}" in message


@pytest.mark.parametrize("word", ["class", "from", "import", "def", "None", "lambda", "async"])
def test_python_keywords_are_refused(word: str) -> None:
    message = spec_error(f"thing {word}:str")
    if word == "None":  # not snake_case either
        assert_one_line(message, "'None'")
    else:
        assert_one_line(message, f"'{word}'", "Python keyword")
    assert_one_line(spec_error(f"{word} title:str"), f"'{word}'")


def test_python_keyword_message_suggests_a_fix() -> None:
    message = spec_error("order class:str")
    assert_one_line(message, "'class'", "try class_name", "'order'")


def test_duplicate_field_is_refused() -> None:
    message = spec_error("order title:str total:int title:text")
    assert_one_line(message, "'title'", "twice", "'order'")


@pytest.mark.parametrize(
    "resources, bad",
    [
        (["order title:str", "order total:int"], "'order'"),
        (["order title:str", "orders total:int"], "'orders'"),
        (["person title:str", "person/people total:int"], "'person'"),
        (["person/folk title:str", "folk total:int"], "'folk'"),
        (["status title:str", "statuses total:int"], "'statuses'"),
        (["a/things title:str", "b/things total:int"], "'things'"),
    ],
)
def test_duplicate_resource_is_refused(resources: list[str], bad: str) -> None:
    assert_one_line(project_error(resources=resources), bad, "twice")


def test_distinct_resources_with_shared_prefixes_are_fine() -> None:
    project = build_project("shop", resources=["order a:str", "order_item b:str", "sheep c:int"])
    assert [r.plural for r in project.resources] == ["orders", "order_items", "sheep"]


@pytest.mark.parametrize("column", ["id", "created_at", "updated_at", "processed_at"])
def test_system_columns_are_refused(column: str) -> None:
    message = spec_error(f"order {column}:int")
    assert_one_line(message, f"'{column}'", "'order'", "already has")


@pytest.mark.parametrize(
    "text, bad",
    [
        ("order total:money", "'money'"),
        ("order total:Int", "'Int'"),
        ("order total:integer", "'integer'"),
        ("order total:string", "'string'"),
        ("order total:int??", "'int?'"),
    ],
)
def test_unknown_type_is_refused(text: str, bad: str) -> None:
    message = spec_error(text)
    assert_one_line(message, bad, "unknown type", "str, text, int, float, bool, date, datetime")


@pytest.mark.parametrize("word", ["total", "total:", "total:?", "total:=3"])
def test_missing_type_is_refused(word: str) -> None:
    message = spec_error(f"order {word}")
    assert_one_line(message, "'order'")
    assert "type" in message
    assert "total" in message


@pytest.mark.parametrize(
    "word, bad, reason",
    [
        ("n:int=9223372036854775808", "'9223372036854775808'", "64-bit"),
        ("n:int=-9223372036854775809", "'-9223372036854775809'", "64-bit"),
        ("n:int=99999999999999999999999", "'99999999999999999999999'", "64-bit"),
        ("n:int=1.5", "'1.5'", "not valid"),
        ("n:int=abc", "'abc'", "not valid"),
        ("n:int=", "''", "not valid"),
        ("n:int=0x10", "'0x10'", "not valid"),
        ("n:float=nan", "'nan'", "finite"),
        ("n:float=NaN", "'NaN'", "finite"),
        ("n:float=inf", "'inf'", "finite"),
        ("n:float=-inf", "'-inf'", "finite"),
        ("n:float=1e999", "'1e999'", "finite"),
        ("n:float=cheap", "'cheap'", "not valid"),
        ("n:bool=maybe", "'maybe'", "true or false"),
        ("n:bool=1", "'1'", "true or false"),
        ("n:bool=yes", "'yes'", "true or false"),
        ("n:bool=", "''", "true or false"),
        ("n:date=2023-02-29", "'2023-02-29'", "not valid"),
        ("n:date=31/01/2024", "'31/01/2024'", "not valid"),
        ("n:date=tomorrow", "'tomorrow'", "not valid"),
        ("n:datetime=2024-01-31T09:00:00", "'2024-01-31T09:00:00'", "time zone"),
        ("n:datetime=2024-01-31", "'2024-01-31'", "time zone"),
        ("n:datetime=2024-01-31T25:00:00Z", "'2024-01-31T25:00:00Z'", "not valid"),
        ("n:datetime=now", "'now'", "not valid"),
        ("n:uuid=nope", "'nope'", "not valid"),
        ("n:uuid=12345678-1234-5678-1234-56781234567", None, "not valid"),
        ("n:str=" + "x" * 256, None, "255"),
    ],
)
def test_bad_default_is_refused(word: str, bad: str | None, reason: str) -> None:
    message = spec_error(f"order {word}")
    assert_one_line(message, "'n'", reason)
    ftype = word.split(":")[1].split("=")[0]
    assert f"({ftype})" in message
    if bad:
        assert f"default {bad}" in message


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_spec_is_refused(text: str) -> None:
    assert_one_line(spec_error(text), "empty")


@pytest.mark.parametrize("text", ["order", "order/orders", "  order  "])
def test_resource_without_fields_is_refused(text: str) -> None:
    assert_one_line(spec_error(text), "'order'", "no fields")


@pytest.mark.parametrize(
    "text", ["order title:str='unclosed", 'order title:str="unclosed', "order 'title:str"]
)
def test_unbalanced_quotes_are_refused(text: str) -> None:
    assert_one_line(spec_error(text), "unbalanced quotes", text)


@pytest.mark.parametrize(
    "text, plural",
    [
        ("job title:str", "'jobs'"),
        ("order/jobs title:str", "'jobs'"),
        ("test title:str", "'tests'"),
        ("migration title:str", "'migrations'"),
        ("thing/core title:str", "'core'"),
        ("alembic_version title:str", "'alembic_versions'"),
        # `src/PKG/models/` would shadow `src/PKG/models.py`, which lists every model.
        ("model title:str", "'models'"),
        ("thing/main title:str", "'main'"),
        ("health/health title:str", "'health'"),
    ],
)
def test_reserved_plurals_are_refused(text: str, plural: str) -> None:
    assert_one_line(spec_error(text), plural, "uses itself")


def test_an_empty_resource_name_is_refused() -> None:
    assert_one_line(spec_error("/things title:str"), "''")


@pytest.mark.parametrize(
    "name, reason",
    [
        ("1app", "start with a letter"),
        ("my app", "start with a letter"),
        ("my.app", "start with a letter"),
        ("my/app", "start with a letter"),
        ("-app", "start with a letter"),
        ("_app", "start with a letter"),
        ("", "start with a letter"),
        ("shop\n", "start with a letter"),
        ("app", "shadows"),
        ("json", "shadows"),
        ("Json", "shadows"),
        ("os", "shadows"),
        ("typing", "shadows"),
        ("fastapi", "shadows"),
        ("sqlalchemy", "shadows"),
        ("pydantic", "shadows"),
        ("alembic", "shadows"),
        ("uvicorn", "shadows"),
        ("tests", "shadows"),
        ("class", "shadows"),
    ],
)
def test_bad_project_names_are_refused(name: str, reason: str) -> None:
    message = project_error(name)
    assert_one_line(message, repr(name), reason)


def test_shadowing_project_name_suggests_a_fix() -> None:
    assert "try json-app" in project_error("json")
    # and the suggestion itself is accepted
    assert build_project("json-app").package == "json_app"


@pytest.mark.parametrize("name", sorted({"asyncio", "logging", "uuid", "datetime", "email"}))
def test_stdlib_module_names_are_refused(name: str) -> None:
    assert name in sys.stdlib_module_names
    assert_one_line(project_error(name), repr(name))


@pytest.mark.parametrize("name", ["shop", "my-app", "my_app", "MyApp", "app2", "a", "order"])
def test_good_project_names(name: str) -> None:
    assert build_project(name).name == name


@pytest.mark.parametrize(
    "module",
    ["github.com//x", "/abs", "has space", "x/", "-x", "github.com/acme/my app", "x\n", "é/x"],
)
def test_bad_go_module_paths_are_refused(module: str) -> None:
    assert_one_line(project_error(module=module), repr(module), "Go module path")


@pytest.mark.parametrize(
    "module", ["github.com/acme/my-app", "github.com/acme/my-app/v2", "example.com/x", "shop"]
)
def test_good_go_module_paths(module: str) -> None:
    assert build_project("shop", module=module).go_module == module


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"db": "mysql"}, ["--db 'mysql'", "sqlite, postgres"]),
        ({"stack": "rails"}, ["--stack 'rails'", "fastapi, go, hybrid"]),
        ({"stack": "FastAPI"}, ["--stack 'FastAPI'"]),
    ],
)
def test_unknown_stack_and_db_are_refused(kwargs: dict, named: list[str]) -> None:
    assert_one_line(project_error(**kwargs), *named)


@pytest.mark.parametrize("db", sorted(Database))
@pytest.mark.parametrize("stack", sorted(Stack))
def test_every_stack_takes_every_database(stack: Stack, db: Database) -> None:
    project = build_project("shop", stack=stack.value, db=db.value)
    assert (project.stack, project.db) == (stack, db)


def test_the_first_bad_resource_is_named() -> None:
    message = project_error(resources=["order title:str", "user Name:str"])
    assert_one_line(message, "'Name'", "'user'")


def test_spec_error_is_a_bad_input_error() -> None:
    assert issubclass(SpecError, MvpgenError)
    assert SpecError.exit_code == 2


def test_build_project_checks_flags_before_resources() -> None:
    # The unknown db is reported even though the resource is also bad.
    message = project_error(db="mysql", resources=["Order x:str"])
    assert "--db 'mysql'" in message


@pytest.mark.parametrize("word", ["str", "int", "float", "bool"])
def test_fields_named_like_builtin_types_are_renamed_in_python(word: str) -> None:
    # `str: Mapped[str]` then `title: Mapped[str]` in one class body: the second `str` names the
    # field, and mypy --strict rejects the generated model. The API keeps the user's name.
    resource = parse_resource(f"thing {word}:str title:str")
    assert resource.fields[0].name == word
    assert resource.fields[0].py_name == f"{word}_"


@pytest.mark.parametrize(
    "word", ["model_dump", "model_validate", "model_fields", "parse_obj", "from_orm"]
)
def test_fields_named_like_pydantic_attributes_are_renamed_in_python(word: str) -> None:
    # pydantic refuses a field `model_dump` outright and warns on the others.
    assert field(f"thing {word}:str").py_name == f"{word}_"


def test_renamed_python_attributes_never_collide_with_another_field() -> None:
    # A rename adds `_`, and no snake_case name the grammar accepts ends with `_`.
    assert "title_" not in [f.name for f in parse_resource("thing str:str title:str").fields]
    assert_one_line(spec_error("thing str_:str"), "'str_'", "snake_case")


@pytest.mark.parametrize(
    "resources, named",
    [
        (["base a:str", "base_row b:str"], ["'base'", "'base_row'", "'BaseRow'"]),
        (
            ["line2_item a:str", "line_2_item b:str"],
            ["'line2_item'", "'line_2_item'", "'Line2Item'"],
        ),
    ],
)
def test_resources_with_the_same_class_name_are_refused(
    resources: list[str], named: list[str]
) -> None:
    assert_one_line(project_error(resources=resources), *named)


def test_fields_with_the_same_code_name_are_refused() -> None:
    assert_one_line(spec_error("thing line2:str line_2:int"), "'line2'", "'line_2'", "'Line2'")


def test_similar_but_distinct_names_are_fine() -> None:
    project = build_project("shop", resources=["order a:str", "order_item b:str", "type c:int"])
    assert [r.py_class for r in project.resources] == ["Order", "OrderItem", "Type"]
    assert [f.go_name for f in parse_resource("x user_id:int userid:int").fields] == [
        "UserID",
        "Userid",
    ]


# --- references and list queries --------------------------------------------------------------


def test_a_reference_is_a_column_named_after_it() -> None:
    project = build_project(
        "shop",
        resources=["order total:float customer:ref buyer:ref(customer)?", "customer name:str"],
    )
    customer, order = project.resources  # referenced first, whatever the command line's order
    assert (customer.name, order.name) == ("customer", "order")
    by_name = {f.name: f for f in order.fields}
    assert (by_name["customer_id"].ref, by_name["customer_id"].ref_table) == (
        "customer",
        "customers",
    )
    assert (by_name["buyer_id"].ref, by_name["buyer_id"].optional) == ("customer", True)
    assert project.referrers["customer"] == [
        {"resource": "order", "table": "orders", "column": "customer_id"},
        {"resource": "order", "table": "orders", "column": "buyer_id"},
    ]
    assert project.ancestors == {"customer": [], "order": ["customer"]}


def test_ancestors_are_transitive_and_in_dependency_order() -> None:
    project = build_project(
        "shop", resources=["line order:ref", "order customer:ref", "customer name:str"]
    )
    assert [r.name for r in project.resources] == ["customer", "order", "line"]
    assert project.ancestors["line"] == ["customer", "order"]


@pytest.mark.parametrize(
    "resources, reason",
    [
        (["order customer:ref"], "references 'customer', which is not a resource"),
        (["ant bee:ref", "bee ant:ref"], "cycle (ant -> bee -> ant)"),
        (["ant bee:ref", "bee cat:ref?", "cat ant:ref"], "cycle (ant -> bee -> cat -> ant)"),
        (["ant boss:ref(ant)?"], "resource 'ant' references itself"),
        (["ant bee:ref=3", "bee x:int"], "cannot have a default"),
        (["ant bee_id:ref", "bee x:int"], "write it as bee:ref"),
        (["ant bee:ref(Bee)", "bee x:int"], "not snake_case"),
    ],
)
def test_bad_references_are_refused_in_one_line(resources: list[str], reason: str) -> None:
    message = project_error(resources=resources)
    assert reason in message and "\n" not in message


def test_list_filters_per_field_type() -> None:
    resource = build_project(
        "shop", resources=["order total:float? title:str limit:int paid:bool"]
    ).resources[0]
    params = {f["param"]: f["op"] for f in resource.filters}
    assert params == {
        "total": "eq",
        "total__isnull": "isnull",
        "total__gte": "gte",
        "total__gt": "gt",
        "total__lte": "lte",
        "total__lt": "lt",
        "title": "eq",
        # A field named like a list parameter is matched with __eq.
        "limit__eq": "eq",
        "limit__gte": "gte",
        "limit__gt": "gt",
        "limit__lte": "lte",
        "limit__lt": "lt",
        "paid": "eq",
    }
    assert resource.search_fields == ["title"]
    assert resource.sort_columns == [
        "id",
        "total",
        "title",
        "limit",
        "paid",
        "created_at",
        "updated_at",
    ]
    cases = resource.list_cases
    assert {"query": {"sort": "no_such_column"}, "loc": "sort"} in cases["errors"]
    assert cases["search"]["field"] == "title"
