"""The Go and FastAPI stacks describe the same API for the same spec (docs/contract.md).

Both stacks are rendered for one spec. The Go document is a file the template renders; the
FastAPI one is what the generated app's `openapi()` returns, so this needs the FastAPI project
installed (uv, from the lock file, sharing the matrix's uv cache). The documents are compared on
what a client relies on: the paths and methods, each operation's status codes, its parameters,
and the type (and format, nullability, required-ness, maxLength, minimum, maximum and default)
of every field of every request and response body. Titles, summaries, descriptions and
operation ids may differ.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

from mvpgen.render import generate, templates_root
from mvpgen.spec import ProjectSpec, build_project

pytestmark = pytest.mark.matrix

REPO = Path(__file__).resolve().parents[1]
# Every field type, optional fields, defaults, and names that are reserved somewhere.
RESOURCES = [
    "order type:str date:date default:bool=true range:int? select:uuid? map:text at:datetime? "
    "key:float=1.5 value:str?=hi buyer:ref(person) gift_for:ref(person)? limit:int? q:str?",
    "person/people name:str born:date=2024-02-29 seen:datetime=2024-01-31T09:00:00Z "
    "ref:uuid=12345678-1234-5678-1234-567812345678 score:float? active:bool?",
]
METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}
LIMITS = ("maxLength", "minimum", "maximum", "default")

Shape = Any


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{reason} (CI runs the parity test: install it)", pytrace=False)
    pytest.skip(reason)


def spec_for(stack: str, auth: bool = False) -> ProjectSpec:
    return build_project("parity", stack=stack, resources=RESOURCES, auth=auth)


def go_document(tmp_path: Path, auth: bool = False) -> dict[str, Any]:
    # Rendered once: xdist may set the module's fixture up again for the same parameter.
    root = tmp_path / ("go-auth" if auth else "go")
    if not root.is_dir():
        generate(spec_for("go", auth), root, git=False)
    doc: dict[str, Any] = json.loads((root / "internal" / "httpapi" / "openapi.json").read_text())
    return doc


def run_in_fastapi_project(tmp_path: Path, script: str, auth: bool = False) -> str:
    """Run a Python script in the generated FastAPI project's environment (installed once);
    returns its last line of output."""
    if not (templates_root() / "fastapi" / "project").is_dir():
        pytest.skip("the FastAPI template is not there yet")
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    uv = shutil.which("uv", path=path)
    if uv is None:
        skip_or_fail("the parity test needs uv to install the FastAPI project")
    root = tmp_path / ("fastapi-auth" if auth else "fastapi")
    if not root.is_dir():
        generate(spec_for("fastapi", auth), root, git=False)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME"}
    }
    env.setdefault("UV_CACHE_DIR", str(REPO / ".cache" / "uv"))
    env.update(PATH=path, UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    base = getattr(sys, "_base_executable", "") or sys.executable
    env.setdefault("UV_PYTHON", str(Path(base).resolve()))
    # Importing the app configures it from the environment: keep it off any real database.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'parity.db'}"
    result = subprocess.run(
        [uv, "run", "--locked", "python", "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"the FastAPI app failed:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def fastapi_document(tmp_path: Path, auth: bool = False) -> dict[str, Any]:
    package = spec_for("fastapi").package
    script = (
        f"import json; from {package}.main import create_app; "
        "print(json.dumps(create_app().openapi()))"
    )
    doc: dict[str, Any] = json.loads(run_in_fastapi_project(tmp_path, script, auth))
    return doc


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = doc["components"]["schemas"][name]
    return schema


def shape(doc: dict[str, Any], schema: dict[str, Any] | None) -> Shape:
    """What a client relies on in a schema: types, formats, nullability, fields, enums, and
    a scalar's maxLength, minimum, maximum and default."""
    if schema is None:
        return None
    schema = resolve(doc, schema)
    # The bounds and the default a client validates against or relies on when it leaves a
    # field out (absent and null compare equal: a null default says nothing).
    limits = {key: schema[key] for key in LIMITS if schema.get(key) is not None}
    if "anyOf" in schema:
        return ("anyOf", sorted((shape(doc, s) for s in schema["anyOf"]), key=repr), limits)
    if "enum" in schema:
        return ("enum", sorted(schema["enum"]), limits)
    kind = schema.get("type")
    if kind == "array":
        return ("array", shape(doc, schema.get("items")), limits)
    if kind == "object" and "properties" in schema:
        fields = {name: shape(doc, field) for name, field in schema["properties"].items()}
        return ("object", fields, sorted(schema.get("required", [])))
    return (kind or "any", schema.get("format"), limits)


def operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`METHOD /path` -> its parameters, request body and responses, as shapes."""
    found = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found[f"{method.upper()} {path}"] = {
                "parameters": {
                    f"{p['in']}:{p['name']}": (p.get("required", False), shape(doc, p["schema"]))
                    for p in op.get("parameters", [])
                },
                "body": shape(doc, body.get("schema")),
                "security": op.get("security"),
                "responses": {
                    status: shape(
                        doc, response.get("content", {}).get("application/json", {}).get("schema")
                    )
                    for status, response in op.get("responses", {}).items()
                },
            }
    return found


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parity")


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "auth"])
def documents(
    request: pytest.FixtureRequest, scratch: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both documents, without and with --auth."""
    auth: bool = request.param
    return go_document(scratch, auth), fastapi_document(scratch, auth)


def test_same_paths_and_methods(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    go, fastapi = (sorted(operations(doc)) for doc in documents)
    assert go == fastapi


def test_same_status_codes(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    go, fastapi = (operations(doc) for doc in documents)
    for name in sorted(go.keys() & fastapi.keys()):
        assert sorted(go[name]["responses"]) == sorted(fastapi[name]["responses"]), name


def test_same_parameters(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    go, fastapi = (operations(doc) for doc in documents)
    for name in sorted(go.keys() & fastapi.keys()):
        assert go[name]["parameters"] == fastapi[name]["parameters"], name


def test_same_body_and_response_fields(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    go, fastapi = (operations(doc) for doc in documents)
    for name in sorted(go.keys() & fastapi.keys()):
        assert go[name]["body"] == fastapi[name]["body"], f"{name}: request body"
        for status in sorted(go[name]["responses"].keys() & fastapi[name]["responses"].keys()):
            assert go[name]["responses"][status] == fastapi[name]["responses"][status], (
                f"{name}: {status} response"
            )


def test_every_list_parameter_is_documented(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """Both documents list every filter of the spec, `sort`, and `q` where there is text."""
    for resource in spec_for("go").resources:
        wanted = {f"query:{f['param']}" for f in resource.filters}
        wanted |= {"query:limit", "query:offset", "query:sort"}
        wanted |= {"query:q"} if resource.search_fields else set()
        for doc in documents:
            found = operations(doc)[f"GET {resource.path}"]["parameters"]
            assert set(found) == wanted, resource.name


def test_a_referenced_resource_documents_the_409(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    for doc in documents:
        responses = operations(doc)["DELETE /api/v1/people/{row_id}"]["responses"]
        assert "409" in responses
        assert "409" not in operations(doc)["DELETE /api/v1/orders/{row_id}"]["responses"]


def nullable(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    return any(kind.get("type") == "null" for kind in resolve(doc, schema).get("anyOf", []))


def test_patch_refuses_null_where_the_document_says_so(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """A PATCH field is nullable exactly when the field is optional (nullable on create): the
    services answer 422 to null for the others, and the documents must not invite it."""
    for doc in documents:
        schemas = doc["components"]["schemas"]
        updates = [name for name in schemas if name.endswith("Update")]
        assert updates, "no Update schema"
        for name in updates:
            create = schemas[name.removesuffix("Update") + "Create"]["properties"]
            for field, schema in schemas[name]["properties"].items():
                assert nullable(doc, schema) == nullable(doc, create[field]), f"{name}.{field}"


def test_bad_json_is_a_documented_422_never_400(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """A body that is not JSON (or not UTF-8) is answered 422 in every stack: every operation
    with a body documents 422, and no document lists a 400 no service sends."""
    for doc in documents:
        for name, op in operations(doc).items():
            assert "400" not in op["responses"], name
            if op["body"] is not None:
                assert "422" in op["responses"], name


def test_fastapi_405_lists_every_method_of_the_path(
    scratch: Path, documents: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """405 carries Allow with every method the document gives the path (RFC 9110), not only
    those of the first route that matched. (The Go mux does this itself; the matrix's
    schemathesis run checks Allow against every stack as served.)"""
    _, fastapi = documents
    package = spec_for("fastapi").package
    paths = [path.replace("{row_id}", "1").replace("{job_id}", "1") for path in fastapi["paths"]]
    script = (
        "import json; from fastapi.testclient import TestClient; "
        f"from {package}.main import create_app; client = TestClient(create_app()); "
        f"print(json.dumps({{p: [client.request('PUT', p).status_code, "
        f"client.request('PUT', p).headers.get('allow', '')] for p in {paths!r}}}))"
    )
    auth = "securitySchemes" in fastapi.get("components", {})
    answers = json.loads(run_in_fastapi_project(scratch, script, auth))
    for path, item in fastapi["paths"].items():
        concrete = path.replace("{row_id}", "1").replace("{job_id}", "1")
        documented = sorted(method.upper() for method in item if method in METHODS)
        status, allow = answers[concrete]
        assert status == 405, f"PUT {path}: {status}"
        assert sorted(m.strip() for m in allow.split(",")) == documented, f"PUT {path}: {allow}"


def test_same_security(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The bearer scheme (so /docs has an Authorize button), and which operations need it."""
    go, fastapi = documents
    schemes = [doc.get("components", {}).get("securitySchemes") for doc in documents]
    assert schemes[0] == schemes[1]
    go_ops, fastapi_ops = operations(go), operations(fastapi)
    for name in sorted(go_ops.keys() & fastapi_ops.keys()):
        assert go_ops[name]["security"] == fastapi_ops[name]["security"], name
