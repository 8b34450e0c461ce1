"""Stack-agnostic smoke client: drives the HTTP contract of a running generated project.

It knows nothing about how the project was built; it reads only the spec
(`ProjectSpec.model_dump(mode="json")`: resource `path`, `job_kind`, `sample`, and per field
`type`, `optional`, `has_default`, `default`, `sample`, `other_sample`, `wrong_sample`) and
talks HTTP, so the FastAPI, Go and hybrid stacks are all checked by the same code.

As a library::

    from smoke import run_smoke
    run_smoke("http://127.0.0.1:8000", spec_dict)

From a shell (the spec as written by `mvpgen.spec.spec_json`)::

    python tools/smoke.py http://127.0.0.1:8000 spec.json

With `"auth": true` in the spec (`mvpgen new --auth`) it first checks that resource and jobs
endpoints refuse requests without a valid token, signs up a user and acts for it from then on
(sign-up refusals, login failures that look alike, logout, reset), and at the end signs up a
second user, who must not see, change or delete any of the first user's rows or jobs, nor name
their rows in a reference (`run_isolation` runs that last step alone).

Every check that fails raises `SmokeFailure` naming the resource, the step, and the status and
body that were received. The checks follow docs/contract.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

MIB = 1024 * 1024
JOB_COLUMNS = (
    "id",
    "kind",
    "payload",
    "status",
    "attempts",
    "max_attempts",
    "run_at",
    "locked_until",
    "locked_by",
    "last_error",
    "created_at",
    "updated_at",
)
JOB_STATUSES = ("queued", "running", "succeeded", "dead")
SYSTEM_COLUMNS = ("id", "created_at", "updated_at", "processed_at")
# Columns a background job may change between two reads of the same row.
MOVING_COLUMNS = ("updated_at", "processed_at")
MISSING_ID = 987_654_321
UNKNOWN_FIELD = "no_such_field_xyz"

# Values of the right JSON type that the contract still refuses, per field type.
OUT_OF_RANGE: dict[str, list[tuple[str, Any]]] = {
    "str": [
        ("a string over 255 characters", "x" * 256),
        ("256 two-byte characters", "é" * 256),
        ("256 astral-plane characters", "😀" * 256),
        # PostgreSQL cannot store NUL: refused with a 422 on every database, never a 500.
        ("a NUL character", "before\u0000after"),
    ],
    "text": [("a NUL character", "before\u0000after")],
    "int": [("an integer beyond 64 bits", 2**63), ("a float for an int", 1.5)],
    "datetime": [("a datetime without a time zone", "2024-02-29T12:30:00")],
    "date": [
        ("an impossible date", "2023-02-30"),
        ("a datetime for a date", "2024-02-29T00:00:00Z"),
    ],
    "uuid": [("a string that is not a UUID", "not-a-uuid")],
}
# Raw JSON tokens that are not numbers in JSON (some parsers accept them anyway).
NON_FINITE = ("NaN", "Infinity", "-Infinity")


class SmokeFailure(AssertionError):
    """A contract check failed; the message says where and what was received."""


def _show(response: httpx.Response, limit: int = 1500) -> str:
    body = response.text
    if len(body) > limit:
        body = body[:limit] + f"... ({len(response.content)} bytes)"
    request = response.request
    return f"{request.method} {request.url.raw_path.decode()} -> {response.status_code} {body}"


def parse_datetime(value: Any) -> dt.datetime:
    """An RFC 3339 UTC datetime as the contract writes it (ending in `Z`)."""
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ValueError(f"{value!r} is not an RFC 3339 UTC datetime ending in 'Z'")
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def query_text(value: Any) -> str:
    """A JSON value as a query string writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_value(ftype: str, sent: Any, got: Any) -> bool:
    """Whether `got` (from the API) is the value `sent` (to the API) for a field of `ftype`."""
    if sent is None or got is None:
        return sent is None and got is None
    match ftype:
        case "datetime":
            try:
                return parse_datetime(got) == dt.datetime.fromisoformat(sent.replace("Z", "+00:00"))
            except (ValueError, AttributeError):
                return False
        case "uuid":
            return isinstance(got, str) and got == str(uuid.UUID(str(sent)))
        case "int":
            return type(got) is int and got == sent
        case "float":
            return isinstance(got, int | float) and not isinstance(got, bool) and got == sent
        case "bool":
            return isinstance(got, bool) and got is sent
        case _:
            return bool(got == sent)


class Smoke:
    """One smoke run against `base_url` for the resources of `spec`."""

    def __init__(
        self,
        base_url: str,
        spec: dict[str, Any],
        *,
        job_timeout: float = 30.0,
        request_timeout: float = 15.0,
        log: Callable[[str], None] = print,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.spec = spec
        self.job_timeout = job_timeout
        self.log = log
        self.client = httpx.Client(base_url=self.base_url, timeout=request_timeout)
        # With --auth: the user every request acts for (signed up by check_auth).
        self.auth = bool(spec.get("auth"))
        self.user_id: int | None = None
        self.resource = "-"
        self.step = "-"
        self.checks = 0

    # ---------------------------------------------------------------- plumbing

    def fail(self, message: str, response: httpx.Response | None = None) -> SmokeFailure:
        where = f"[{self.resource}] {self.step}"
        detail = f"\n    got: {_show(response)}" if response is not None else ""
        return SmokeFailure(f"{where}: {message}{detail}")

    def check(self, ok: bool, message: str, response: httpx.Response | None = None) -> None:
        self.checks += 1
        if not ok:
            raise self.fail(message, response)

    def begin(self, step: str) -> None:
        self.step = step
        self.log(f"  [{self.resource}] {step}")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise self.fail(f"{method} {url} raised {type(exc).__name__}: {exc}") from exc
        return response

    def expect(self, response: httpx.Response, status: int, what: str = "") -> httpx.Response:
        self.check(
            response.status_code == status,
            f"expected {status}{' ' + what if what else ''}, got {response.status_code}",
            response,
        )
        # Every response, error or not, carries a request id.
        self.check(bool(response.headers.get("x-request-id")), "no X-Request-ID header", response)
        return response

    def json_of(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self.fail("the body is not JSON", response) from None

    def close(self) -> None:
        self.client.close()

    # ---------------------------------------------------------------- the run

    def run(self) -> None:
        self.resource = "app"
        self.check_health()
        self.check_openapi()
        self.check_request_id()
        if self.auth:
            self.check_auth()
        self.check_jobs_api()
        for resource in self.spec["resources"]:
            self.resource = resource["name"]
            ResourceSmoke(self, resource).run()
        self.resource = "app"
        if self.auth:
            self.check_isolation()
        self.log(f"smoke: {self.checks} checks passed")

    def job_payload(self, rid: int) -> dict[str, int]:
        """The payload of a row's `created` job: its id, and its owner's with --auth."""
        if self.user_id is None:
            return {"id": rid}
        return {"id": rid, "owner_id": self.user_id}

    # ---------------------------------------------------------------- --auth

    def sign_up(self, label: str) -> tuple[str, str, dict[str, Any]]:
        """A new account: its email, password and the sign-up's answer."""
        email = f"smoke-{label}-{uuid.uuid4().hex[:10]}@example.com"
        password = f"pw {uuid.uuid4().hex}"
        response = self.expect(
            self.request(
                "POST", "/api/v1/auth/signup", json={"email": email, "password": password}
            ),
            201,
        )
        body = self.json_of(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        self.check(
            isinstance(token, str) and len(token) >= 43 and body.get("token_type") == "bearer",
            "the sign-up's answer has no bearer access_token of 256 bits or more",
            response,
        )
        self.check(
            password not in response.text and "argon2" not in response.text,
            "the sign-up's answer shows the password or its hash",
            response,
        )
        return email, password, body

    def act_as_new_user(self, label: str) -> tuple[str, str]:
        """Sign up a new account and act for it from now on; its email and password."""
        email, password, body = self.sign_up(label)
        self.user_id = body["user"]["id"]
        self.client.headers["Authorization"] = f"Bearer {body['access_token']}"
        return email, password

    def check_auth(self) -> None:
        """Sign-up, login, logout, me, refusals; then every later request acts for one user."""
        paths = ["/api/v1/jobs"] + [r["path"] for r in self.spec["resources"]]
        self.begin("no token -> 401 with WWW-Authenticate: Bearer")
        for path in paths:
            response = self.expect(self.request("GET", path), 401)
            self.check(
                response.headers.get("www-authenticate", "").startswith("Bearer"),
                "a 401 without WWW-Authenticate: Bearer",
                response,
            )
        self.begin("a made-up token -> 401")
        made_up = {"Authorization": f"Bearer {uuid.uuid4().hex}{uuid.uuid4().hex}"}
        for path in paths:
            self.expect(self.request("GET", path, headers=made_up), 401)

        self.begin("POST /api/v1/auth/signup")
        email, password = self.act_as_new_user("a")
        self.begin("sign-up with the same email in other case -> 409")
        self.expect(
            self.request(
                "POST", "/api/v1/auth/signup", json={"email": email.upper(), "password": password}
            ),
            409,
        )
        self.begin("sign-up with a short password -> 422")
        response = self.expect(
            self.request(
                "POST", "/api/v1/auth/signup", json={"email": f"x{email}", "password": "short"}
            ),
            422,
        )
        self.check_422_names(response, "password")

        self.begin("login failures look alike")
        wrong = self.expect(
            self.request("POST", "/api/v1/auth/login", json={"email": email, "password": "x" * 9}),
            401,
        )
        unknown = self.expect(
            self.request(
                "POST", "/api/v1/auth/login", json={"email": f"no{email}", "password": "x" * 9}
            ),
            401,
        )
        self.check(
            wrong.json() == unknown.json(),
            f"an unknown email answers {unknown.text}, a wrong password {wrong.text}",
        )
        self.begin("login, me, logout")
        response = self.expect(
            self.request("POST", "/api/v1/auth/login", json={"email": email, "password": password}),
            200,
        )
        second = {"Authorization": f"Bearer {self.json_of(response)['access_token']}"}
        response = self.expect(self.request("GET", "/api/v1/auth/me", headers=second), 200)
        self.check(self.json_of(response).get("email") == email, "me is someone else", response)
        self.expect(self.request("POST", "/api/v1/auth/logout", headers=second), 204)
        self.expect(self.request("GET", "/api/v1/auth/me", headers=second), 401)
        self.expect(self.request("GET", "/api/v1/auth/me"), 200)

        self.begin("a password change revokes the user's other tokens, keeps this one")
        response = self.expect(
            self.request("POST", "/api/v1/auth/login", json={"email": email, "password": password}),
            200,
        )
        elsewhere = {"Authorization": f"Bearer {self.json_of(response)['access_token']}"}
        change = "/api/v1/auth/password"
        new_password = f"pw {uuid.uuid4().hex}"
        wrong = {"current_password": "x" * 9, "new_password": new_password}
        self.check_422_names(
            self.expect(self.request("POST", change, json=wrong), 422), "current_password"
        )
        right = {"current_password": password, "new_password": new_password}
        self.expect(self.request("POST", change, json=right), 204)
        self.expect(self.request("GET", "/api/v1/auth/me", headers=elsewhere), 401)
        self.expect(self.request("GET", "/api/v1/auth/me"), 200)
        for old_or_new, status in ((password, 401), (new_password, 200)):
            login = {"email": email, "password": old_or_new}
            self.expect(self.request("POST", "/api/v1/auth/login", json=login), status)

        self.begin("password reset -> 202 whether or not the account exists")
        known = self.expect(
            self.request("POST", "/api/v1/auth/password-reset", json={"email": email}), 202
        )
        nobody = self.expect(
            self.request("POST", "/api/v1/auth/password-reset", json={"email": f"no{email}"}),
            202,
        )
        self.check(known.text == nobody.text, "the reset answers tell accounts apart", nobody)

    def check_isolation(self) -> None:
        """A second user sees, changes and deletes none of the first user's rows or jobs, and
        cannot reference the first user's rows: such a reference is answered as one to a row
        that does not exist (422 `missing_reference`), and a PATCH of their row is a 404
        whatever it references. Each user makes the rows their own references point at."""
        self.begin("a second user signs up")
        _, _, body = self.sign_up("b")
        other_id = body["user"]["id"]
        other = {"Authorization": f"Bearer {body['access_token']}"}
        # Per resource, a row of each user's; the spec lists referenced resources first, so
        # every row's references name rows of its own user's made before it.
        mine: dict[str, dict[str, Any]] = {}
        theirs: dict[str, dict[str, Any]] = {}
        for resource in self.spec["resources"]:
            self.resource = resource["name"]
            self.begin("each user creates a row whose references name their own rows")
            mine[resource["name"]] = self.create_owned(resource, mine, {})
            theirs[resource["name"]] = self.create_owned(resource, theirs, other)
        # Only now, with every row in place: the second user's DELETE of a row the first user's
        # rows reference must be the 404 of a row they cannot see, not the 409 that says it is
        # there.
        for resource in self.spec["resources"]:
            self.resource = resource["name"]
            self.check_rows_isolated(resource, mine, theirs, other)
        for resource in reversed(self.spec["resources"]):  # referencing rows first
            self.resource = resource["name"]
            self.begin("each user deletes their own row")
            for rows, headers in ((mine, {}), (theirs, other)):
                url = f"{resource['path']}/{rows[resource['name']]['id']}"
                self.expect(self.request("DELETE", url, headers=headers), 204)
        self.resource = "app"
        self.check_jobs_isolated(other, other_id, made=len(theirs))

    def create_owned(
        self, resource: dict[str, Any], rows: dict[str, dict[str, Any]], headers: dict[str, str]
    ) -> dict[str, Any]:
        """A row of the resource's sample whose references name `rows` (per resource: a row of
        the same user's), created by the user `headers` act for (none: the first user)."""
        refs = {f["name"]: rows[f["ref"]]["id"] for f in resource["fields"] if f.get("ref")}
        body = resource["sample"] | refs
        response = self.expect(
            self.request("POST", resource["path"], json=body, headers=headers), 201
        )
        row: dict[str, Any] = self.json_of(response)
        return row

    def check_rows_isolated(
        self,
        resource: dict[str, Any],
        mine: dict[str, dict[str, Any]],
        theirs: dict[str, dict[str, Any]],
        other: dict[str, str],
    ) -> None:
        """The second user (`other`) reaches none of the first user's rows of `resource`, nor
        names them in a reference; neither user's row changes."""
        name, path = resource["name"], resource["path"]
        row, own = mine[name], theirs[name]
        url = f"{path}/{row['id']}"
        self.begin("the second user lists their own row alone")
        page = self.json_of(self.expect(self.request("GET", path, headers=other), 200))
        self.check(
            page.get("total") == 1 and [item["id"] for item in page["items"]] == [own["id"]],
            f"the second user's list is not their row {own['id']} alone: {page}",
        )
        self.begin("the second user's GET, PATCH {} and DELETE of the first user's row -> 404")
        for method in ("GET", "PATCH", "DELETE"):
            body = {} if method == "PATCH" else None
            response = self.request(method, url, json=body, headers=other)
            self.expect_not_found(response, name, row["id"])
        refs = {f["name"]: f["ref"] for f in resource["fields"] if f.get("ref")}
        if refs:
            named = {column: mine[target]["id"] for column, target in refs.items()}
            self.begin("the second user's create naming the first user's rows -> 422")
            response = self.request("POST", path, json=resource["sample"] | named, headers=other)
            self.check_missing_references(response, refs, named)
            self.begin("the second user's PATCH of their row naming the first user's rows -> 422")
            response = self.request("PATCH", f"{path}/{own['id']}", json=named, headers=other)
            self.check_missing_references(response, refs, named)
            self.begin("the second user's PATCH of the first user's row -> 404, whatever it names")
            bodies = {
                "the first user's rows": named,
                "the second user's rows": {c: theirs[t]["id"] for c, t in refs.items()},
                "missing rows": dict.fromkeys(refs, MISSING_ID),
            }
            for what, body in bodies.items():
                response = self.request("PATCH", url, json=body, headers=other)
                self.expect_not_found(response, name, row["id"], f"naming {what}")
            self.begin("the second user's filter on the first user's rows lists nothing")
            for column, value in named.items():
                params = {column: value}
                page = self.json_of(
                    self.expect(self.request("GET", path, params=params, headers=other), 200)
                )
                self.check(page.get("total") == 0, f"?{column}={value} lists rows: {page}")
        self.begin("each user's row is as it was")
        fields = [f["name"] for f in resource["fields"]]
        for before, headers in ((row, {}), (own, other)):
            response = self.request("GET", f"{path}/{before['id']}", headers=headers)
            after = self.json_of(self.expect(response, 200))
            self.check(
                {f: after.get(f) for f in fields} == {f: before[f] for f in fields},
                f"refused requests changed the row: {after}, was {before}",
                response,
            )

    def expect_not_found(
        self, response: httpx.Response, resource: str, rid: int, what: str = ""
    ) -> None:
        """The 404 of a row that does not exist: `{"detail": "<resource> <id> not found"}`."""
        self.expect(response, 404, what)
        want = f"{resource} {rid} not found"
        self.check(
            self.json_of(response) == {"detail": want}, f'expected {{"detail": "{want}"}}', response
        )

    def check_missing_references(
        self, response: httpx.Response, refs: dict[str, str], named: dict[str, int]
    ) -> None:
        """A 422 with one `missing_reference` error per reference (`refs`: column -> resource),
        worded as for a row that does not exist, for the ids `named`."""
        self.expect(response, 422)
        body = self.json_of(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        self.check(isinstance(detail, list), "a 422 without a list of errors", response)
        got = sorted(
            (tuple(error.get("loc", ())), str(error.get("msg")), str(error.get("type")))
            for error in detail
        )
        want = sorted(
            (("body", column), f"{target} {named[column]} does not exist", "missing_reference")
            for column, target in refs.items()
        )
        self.check(got == want, f"expected the errors {want}", response)

    def check_jobs_isolated(self, other: dict[str, str], other_id: int, made: int) -> None:
        """The second user (`other`, who created `made` rows) sees their own jobs alone."""
        self.begin("a second user sees none of the first user's jobs")
        mine = self.json_of(self.expect(self.request("GET", "/api/v1/jobs"), 200))
        self.check(mine.get("total", 0) > 0, f"the first user has no jobs: {mine}")
        for job in mine["items"][:3]:
            self.expect(self.request("GET", f"/api/v1/jobs/{job['id']}"), 200)
            self.expect(self.request("GET", f"/api/v1/jobs/{job['id']}", headers=other), 404)
        theirs = self.json_of(self.expect(self.request("GET", "/api/v1/jobs", headers=other), 200))
        self.check(
            theirs.get("total") == made
            and all(job["payload"].get("owner_id") == other_id for job in theirs["items"]),
            f"the second user's job list is not the {made} jobs of their own rows: {theirs}",
        )

    def check_health(self) -> None:
        self.begin("GET /healthz")
        response = self.expect(self.request("GET", "/healthz"), 200)
        self.check(
            self.json_of(response) == {"status": "ok"}, 'body is not {"status":"ok"}', response
        )
        self.begin("GET /readyz")
        self.expect(self.request("GET", "/readyz"), 200)

    def check_openapi(self) -> None:
        self.begin("GET /openapi.json")
        response = self.expect(self.request("GET", "/openapi.json"), 200)
        document = self.json_of(response)
        self.check(
            isinstance(document, dict) and str(document.get("openapi", "")).startswith("3."),
            f"not an OpenAPI 3 document (openapi={document.get('openapi')!r})",
        )
        paths: dict[str, Any] = document.get("paths") or {}
        wanted = [("/api/v1/jobs", {"get"}), ("/api/v1/jobs/{}", {"get"})]
        for resource in self.spec["resources"]:
            wanted += [
                (resource["path"], {"get", "post"}),
                (resource["path"] + "/{}", {"get", "patch", "delete"}),
            ]
        for path, methods in wanted:
            if path.endswith("/{}"):
                prefix = path[:-2]
                found = [
                    p
                    for p in paths
                    if p.startswith(prefix + "{")
                    and p.endswith("}")
                    and "/" not in p[len(prefix) :]
                ]
                shown = prefix + "{id}"
            else:
                found = [p for p in paths if p == path]
                shown = path
            self.check(bool(found), f"{shown} is missing from the OpenAPI paths {sorted(paths)}")
            have = {m.lower() for m in paths[found[0]]}
            self.check(
                methods <= have, f"{shown} lacks methods {sorted(methods - have)} in OpenAPI"
            )
        self.begin("GET /docs")
        response = self.expect(self.request("GET", "/docs"), 200)
        self.check(
            "text/html" in response.headers.get("content-type", ""),
            f"/docs is not HTML (content-type {response.headers.get('content-type')!r})",
            response,
        )

    def check_request_id(self) -> None:
        self.begin("X-Request-ID echoed")
        mine = f"smoke-{uuid.uuid4().hex[:12]}"
        response = self.request("GET", "/healthz", headers={"X-Request-ID": mine})
        self.check(
            response.headers.get("x-request-id") == mine,
            f"sent X-Request-ID {mine!r}, got {response.headers.get('x-request-id')!r}",
        )
        self.begin("X-Request-ID generated")
        one = self.request("GET", "/healthz").headers["x-request-id"]
        two = self.request("GET", "/healthz").headers["x-request-id"]
        self.check(one != two, f"two requests got the same generated X-Request-ID {one!r}")

    def check_jobs_api(self) -> None:
        self.begin("GET /api/v1/jobs envelope")
        response = self.expect(self.request("GET", "/api/v1/jobs"), 200)
        page = self.json_of(response)
        self.check_envelope(page, limit=20, offset=0, response=response)
        ids = [job["id"] for job in page["items"]]
        self.check(ids == sorted(ids, reverse=True), f"jobs are not newest first: ids {ids}")
        # NUL: PostgreSQL cannot compare it, so a 422 naming the parameter, never a 500.
        for query in ("limit=0", "limit=101", "offset=-1", "kind=a%00b"):
            self.begin(f"GET /api/v1/jobs?{query} -> 422")
            response = self.expect(self.request("GET", f"/api/v1/jobs?{query}"), 422)
            self.check_422_names(response, query.split("=")[0], where="query")
        self.begin("GET /api/v1/jobs/{missing} -> 404")
        self.expect(self.request("GET", f"/api/v1/jobs/{MISSING_ID}"), 404)

    # ---------------------------------------------------------------- shared checks

    def check_envelope(
        self, page: Any, *, limit: int, offset: int, response: httpx.Response | None = None
    ) -> None:
        self.check(
            isinstance(page, dict) and set(page) == {"items", "total", "limit", "offset"},
            f"list envelope must be exactly items/total/limit/offset, got keys "
            f"{sorted(page) if isinstance(page, dict) else type(page).__name__}",
            response,
        )
        self.check(isinstance(page["items"], list), "items is not a list", response)
        self.check(
            type(page["total"]) is int and page["total"] >= 0, "total is not a count", response
        )
        self.check(
            page["limit"] == limit and page["offset"] == offset,
            f"envelope says limit={page['limit']} offset={page['offset']}, "
            f"expected limit={limit} offset={offset}",
            response,
        )
        self.check(len(page["items"]) <= limit, f"more than {limit} items returned", response)

    def check_422_names(
        self,
        response: httpx.Response,
        field: str | None,
        *,
        where: str = "body",
        error_type: str | None = None,
    ) -> None:
        """A 422 whose detail is FastAPI's list of errors; one `loc` names `field`, and every
        error is of `error_type` when one is given."""
        body = self.json_of(response)
        detail = body.get("detail") if isinstance(body, dict) else None
        self.check(
            isinstance(detail, list)
            and len(detail) > 0
            and all(isinstance(e, dict) and isinstance(e.get("loc"), list) for e in detail),
            'a 422 body must be {"detail": [{"loc": [...], "msg": ..., "type": ...}, ...]}',
            response,
        )
        for error in detail:
            self.check(
                error["loc"][:1] and error["loc"][0] in ("body", "query", "path"),
                f"loc must start with body, query or path: {error['loc']!r}",
                response,
            )
            self.check(
                isinstance(error.get("msg"), str) and isinstance(error.get("type"), str),
                "each error needs a msg and a type",
                response,
            )
        if field is not None:
            self.check(
                any(error["loc"][0] == where and field in error["loc"] for error in detail),
                f"no error names {where}.{field} in its loc",
                response,
            )
        if error_type is not None:
            self.check(
                all(error["type"] == error_type for error in detail),
                f"every error's type must be {error_type!r}",
                response,
            )


class ResourceSmoke:
    """The checks of one resource: CRUD, pagination, validation, the created job."""

    def __init__(self, smoke: Smoke, resource: dict[str, Any]) -> None:
        self.s = smoke
        self.r = resource
        self.name: str = resource["name"]
        self.path: str = resource["path"]
        self.fields: list[dict[str, Any]] = resource["fields"]
        self.sample: dict[str, Any] = resource["sample"]
        self.created: list[int] = []
        # Rows of other resources this run made for the references to point at: (path, id).
        self.parents: list[tuple[str, int]] = []

    # ---------------------------------------------------------------- helpers

    def total(self) -> int:
        response = self.s.expect(self.s.request("GET", self.path, params={"limit": 1}), 200)
        page = self.s.json_of(response)
        self.s.check(isinstance(page, dict) and "total" in page, "list has no total", response)
        return int(page["total"])

    def check_row(self, row: Any, sent: dict[str, Any], response: httpx.Response) -> None:
        """Every system column present, every sent field echoed."""
        s = self.s
        s.check(isinstance(row, dict), "the row is not a JSON object", response)
        for column in SYSTEM_COLUMNS:
            s.check(column in row, f"the row has no {column!r}", response)
        s.check(type(row["id"]) is int and row["id"] > 0, "id is not a positive integer", response)
        for column in ("created_at", "updated_at"):
            try:
                parse_datetime(row[column])
            except ValueError as exc:
                raise s.fail(f"{column}: {exc}", response) from None
        if row["processed_at"] is not None:
            try:
                parse_datetime(row["processed_at"])
            except ValueError as exc:
                raise s.fail(f"processed_at: {exc}", response) from None
        expected = {f["name"] for f in self.fields} | set(SYSTEM_COLUMNS)
        s.check(
            set(row) == expected,
            f"the row's keys {sorted(row)} are not its fields and system columns "
            f"{sorted(expected)}",
            response,
        )
        for field in self.fields:
            name = field["name"]
            if name in sent:
                s.check(
                    same_value(field["type"], sent[name], row[name]),
                    f"field {name!r} ({field['type']}): sent {sent[name]!r}, got {row[name]!r}",
                    response,
                )

    def same_row(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        keep = [k for k in a if k not in MOVING_COLUMNS]
        return {k: a[k] for k in keep} == {k: b.get(k) for k in keep}

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        s = self.s
        response = s.expect(s.request("POST", self.path, json=body), 201)
        row = s.json_of(response)
        self.check_row(row, body, response)
        location = response.headers.get("location", "")
        want = f"{self.path}/{row['id']}"
        s.check(
            location == want or location.endswith(self.s.base_url + want),
            f"Location header is {location!r}, expected {want!r}",
            response,
        )
        self.created.append(row["id"])
        return row

    def bad_request(
        self,
        step: str,
        method: str,
        url: str,
        *,
        status: int,
        names: str | None = None,
        where: str = "body",
        error_type: str | None = None,
        before: int,
        **kwargs: Any,
    ) -> None:
        """Send a request the contract refuses; expect `status` and nothing written."""
        s = self.s
        s.begin(step)
        response = s.expect(s.request(method, url, **kwargs), status)
        if status == 422:
            s.check_422_names(response, names, where=where, error_type=error_type)
        else:
            body = s.json_of(response)
            s.check(isinstance(body, dict) and "detail" in body, 'no {"detail": ...}', response)
        after = self.total()
        s.check(after == before, f"list total went from {before} to {after}: a row was written")

    # ---------------------------------------------------------------- the run

    def run(self) -> None:
        try:
            self.create_referenced()
            self.check_list_queries()
            self.run_checks()
            self.check_references()
        finally:
            self.cleanup()

    # ---------------------------------------------------------------- references, list queries

    def create_referenced(self) -> None:
        """Two rows of every resource the samples reference (directly or through another);
        the samples then point at the first, the other samples at the second."""
        s = self.s
        by_name = {r["name"]: r for r in s.spec["resources"]}
        ids: dict[str, tuple[int, int]] = {}
        for name in s.spec["ancestors"][self.name]:
            parent = by_name[name]
            s.begin(f"POST two {name} rows to reference")
            body = parent["sample"] | {
                f["name"]: ids[f["ref"]][0] for f in parent["fields"] if f.get("ref")
            }
            made = []
            for _ in range(2):
                response = s.expect(s.request("POST", parent["path"], json=body), 201)
                made.append(s.json_of(response)["id"])
                self.parents.append((parent["path"], made[-1]))
            ids[name] = (made[0], made[1])
        if not ids:
            return
        self.fields = [
            f | {"sample": ids[f["ref"]][0], "other_sample": ids[f["ref"]][1]}
            if f.get("ref")
            else f
            for f in self.fields
        ]
        self.sample = {f["name"]: f["sample"] for f in self.fields}

    def check_references(self) -> None:
        """A reference to a missing row is a 422 naming the field; deleting a row another
        references is a 409 naming the referencing resource; an optional one clears with null."""
        s = self.s
        refs = [f for f in self.fields if f.get("ref")]
        if not refs:
            return
        s.begin("POST sample to reference")
        row = self.create(self.sample)
        total = self.total()
        by_name = {r["name"]: r for r in s.spec["resources"]}
        for field in refs:
            name = field["name"]
            self.bad_request(
                f"POST {name} naming a missing {field['ref']} -> 422",
                "POST",
                self.path,
                json={**self.sample, name: MISSING_ID},
                status=422,
                names=name,
                before=total,
            )
            self.bad_request(
                f"PATCH {name} naming a missing {field['ref']} -> 422",
                "PATCH",
                f"{self.path}/{row['id']}",
                json={name: MISSING_ID},
                status=422,
                names=name,
                before=total,
            )
            # A row naming the other sample's row, which no row of another resource references
            # (the referenced rows' own references name the first rows), so the 409 names this
            # resource rather than one of theirs.
            s.begin(f"POST {name} naming the other {field['ref']} -> 201")
            referrer = self.create({**self.sample, name: field["other_sample"]})
            total += 1
            target = f"{by_name[field['ref']]['path']}/{referrer[name]}"
            s.begin(f"DELETE the referenced {field['ref']} -> 409")
            response = s.expect(s.request("DELETE", target), 409)
            detail = s.json_of(response).get("detail", "")
            want = f"{field['ref']} {referrer[name]} is referenced by {self.name} "
            s.check(str(detail).startswith(want), f"the 409 detail does not say {want!r}", response)
            s.expect(s.request("GET", target), 200)
            if field["optional"]:
                s.begin(f"PATCH {name}: null -> 200")
                url = f"{self.path}/{row['id']}"
                response = s.expect(s.request("PATCH", url, json={name: None}), 200)
                s.check(s.json_of(response)[name] is None, f"{name} is not null", response)
        s.begin("the refused writes left the row as it was")
        response = s.expect(s.request("GET", f"{self.path}/{row['id']}"), 200)
        kept = {f["name"]: row[f["name"]] for f in self.fields if not f["optional"]}
        self.check_row(s.json_of(response), kept, response)

    def check_list_queries(self) -> None:
        """The spec's list cases: filters, sort, `q` (with values shaped like injections, which
        must come back as data), `total`, and 422s naming the parameter."""
        s = self.s
        cases = self.r["list_cases"]
        s.begin("list queries: rows a and b")
        # On an empty table the lists are compared whole; otherwise only on this run's rows.
        exact = self.total() == 0
        other = {f["name"]: f["other_sample"] for f in self.fields}
        rows = {"a": self.create(self.sample), "b": self.create(other)}
        self.run_list_cases(cases["cases"], rows, exact)
        search = cases["search"]
        if search:
            s.begin("list queries: row c, with text shaped like an injection")
            rows["c"] = self.create(self.sample | {search["field"]: search["value"]})
            self.run_list_cases(search["cases"], rows, exact)
        for case in cases["errors"]:
            s.begin(f"GET ?{'&'.join(f'{k}={v}' for k, v in case['query'].items())} -> 422")
            response = s.expect(s.request("GET", self.path, params=case["query"]), 422)
            s.check_422_names(response, case["loc"], where="query")
        for rid in [row["id"] for row in rows.values()]:
            s.expect(s.request("DELETE", f"{self.path}/{rid}"), 204)
            self.created.remove(rid)

    def run_list_cases(
        self, cases: list[dict[str, Any]], rows: dict[str, dict[str, Any]], exact: bool
    ) -> None:
        s = self.s
        mine = {row["id"] for row in rows.values()}
        for case in cases:
            params = {
                key: query_text(rows[v["row"]][v["field"]]) if isinstance(v, dict) else v
                for key, v in case["query"].items()
            }
            s.begin(f"GET ?{params} -> rows {case['expect']}")
            response = s.expect(s.request("GET", self.path, params=params | {"limit": 100}), 200)
            page = s.json_of(response)
            got = [item["id"] for item in page["items"]]
            want = [rows[name]["id"] for name in case["expect"]]
            if not exact:
                # Other rows (an earlier run's, a fuzzer's) may fill the first pages: walk them
                # all, so this run's rows are found wherever the order puts them.
                for offset in range(100, page["total"], 100):
                    more = params | {"limit": 100, "offset": offset}
                    later = s.json_of(s.expect(s.request("GET", self.path, params=more), 200))
                    got += [item["id"] for item in later["items"]]
                got = [rid for rid in got if rid in mine]
            s.check(got == want, f"expected ids {want}, got {got}", response)
            s.check(
                page["total"] == len(want) if exact else page["total"] >= len(want),
                f"total {page['total']} does not count the {len(want)} rows selected",
                response,
            )

    def run_checks(self) -> None:
        s = self.s
        s.begin("list before")
        before = self.total()
        # Row ids may be reused after a delete (SQLite does), so only jobs newer than this count.
        newest_job = self.newest_job_id()

        s.begin("POST sample -> 201")
        row = self.create(self.sample)
        rid = row["id"]

        s.begin("GET by id -> 200, same row")
        response = s.expect(s.request("GET", f"{self.path}/{rid}"), 200)
        got = s.json_of(response)
        s.check(self.same_row(row, got), f"GET differs from POST: {row!r} vs {got!r}", response)

        self.check_defaults()
        self.check_list(before, rid)
        self.check_patch(row)
        total = self.total()
        self.check_validation(rid, total)
        self.check_body_size(total)
        self.check_patch_body_size(rid)
        self.check_unicode(rid)
        self.check_concurrent_writes()
        self.check_paging()
        self.check_missing()
        self.check_job(rid, newest_job)

        total = self.total()
        s.begin("DELETE -> 204")
        response = s.expect(s.request("DELETE", f"{self.path}/{rid}"), 204)
        s.check(response.content == b"", "a 204 must have an empty body", response)
        self.created.remove(rid)
        s.begin("GET deleted -> 404")
        self.expect_404(s.request("GET", f"{self.path}/{rid}"), rid)
        s.begin("DELETE deleted -> 404")
        self.expect_404(s.request("DELETE", f"{self.path}/{rid}"), rid)
        s.check(self.total() == total - 1, "the list total did not drop by one after DELETE")

    def check_defaults(self) -> None:
        """POST with only the required fields: defaults applied, optional fields null."""
        s = self.s
        s.begin("POST required fields only -> defaults and nulls")
        minimal = {f["name"]: f["sample"] for f in self.fields if f["required"]}
        row = self.create(minimal)
        for field in self.fields:
            if field["required"]:
                continue
            want = field["default"] if field["has_default"] else None
            s.check(
                same_value(field["type"], want, row[field["name"]]),
                f"field {field['name']!r} left out: expected {want!r}, got {row[field['name']]!r}",
            )

    def check_list(self, before: int, rid: int) -> None:
        s = self.s
        s.begin("list envelope, default limit")
        response = s.expect(s.request("GET", self.path), 200)
        page = s.json_of(response)
        s.check_envelope(page, limit=20, offset=0, response=response)
        total = page["total"]
        s.check(
            total == before + 2, f"total {total}, expected {before + 2} after two creates", response
        )

        s.begin("list ordered by id ascending")
        response = s.expect(s.request("GET", self.path, params={"limit": 100}), 200)
        page = s.json_of(response)
        s.check_envelope(page, limit=100, offset=0, response=response)
        ids = [item["id"] for item in page["items"]]
        s.check(ids == sorted(ids), f"items are not in id order: {ids}", response)

        s.begin("pagination limit=1, offset")
        seen = []
        for offset in (total - 2, total - 1):
            response = s.expect(
                s.request("GET", self.path, params={"limit": 1, "offset": offset}), 200
            )
            page = s.json_of(response)
            s.check_envelope(page, limit=1, offset=offset, response=response)
            s.check(len(page["items"]) == 1, "limit=1 did not return one item", response)
            s.check(page["total"] == total, "total changed with the page", response)
            seen.append(page["items"][0]["id"])
        s.check(
            seen == self.created[-2:],
            f"the last two pages hold {seen}, expected {self.created[-2:]}",
        )
        s.check(rid in seen, f"row {rid} not found on its page")

        s.begin("offset past the end -> empty page")
        response = s.expect(s.request("GET", self.path, params={"offset": total + 5}), 200)
        page = s.json_of(response)
        s.check_envelope(page, limit=20, offset=total + 5, response=response)
        s.check(page["items"] == [] and page["total"] == total, "expected no items", response)

        for query in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
            ((key, value),) = query.items()
            self.bad_request(
                f"GET ?{key}={value} -> 422",
                "GET",
                self.path,
                params=query,
                status=422,
                names=key,
                where="query",
                before=total,
            )

    def check_patch(self, row: dict[str, Any]) -> None:
        s = self.s
        rid = row["id"]
        field = self.fields[0]
        name = field["name"]
        new = field["other_sample"]
        s.begin(f"PATCH {name} -> 200, others kept")
        response = s.expect(s.request("PATCH", f"{self.path}/{rid}", json={name: new}), 200)
        patched = s.json_of(response)
        self.check_row(patched, {**self.sample, name: new}, response)
        s.check(patched["id"] == rid, "PATCH changed the id", response)
        s.check(patched["created_at"] == row["created_at"], "PATCH changed created_at", response)
        s.check(
            parse_datetime(patched["updated_at"]) >= parse_datetime(row["updated_at"]),
            "updated_at went backwards",
            response,
        )
        s.begin("GET after PATCH -> persisted")
        response = s.expect(s.request("GET", f"{self.path}/{rid}"), 200)
        again = s.json_of(response)
        s.check(same_value(field["type"], new, again[name]), f"{name} not persisted", response)

        s.begin("PATCH every field at once -> 200")
        everything = {f["name"]: f["other_sample"] for f in self.fields}
        response = s.expect(s.request("PATCH", f"{self.path}/{rid}", json=everything), 200)
        self.check_row(s.json_of(response), everything, response)

        optional = [f for f in self.fields if f["optional"]]
        if optional:
            target = optional[0]["name"]
            s.begin(f"PATCH optional {target} to null -> 200")
            response = s.expect(s.request("PATCH", f"{self.path}/{rid}", json={target: None}), 200)
            s.check(s.json_of(response)[target] is None, f"{target} is not null", response)

        s.begin("PATCH empty body -> 200, nothing changed")
        before = s.json_of(s.expect(s.request("GET", f"{self.path}/{rid}"), 200))
        response = s.expect(s.request("PATCH", f"{self.path}/{rid}", json={}), 200)
        after = s.json_of(response)
        s.check(self.same_row(before, after), "an empty PATCH changed the row", response)

        s.begin("PATCH back to the sample")
        response = s.expect(s.request("PATCH", f"{self.path}/{rid}", json=self.sample), 200)
        self.check_row(s.json_of(response), self.sample, response)

        s.begin("PATCH unknown id -> 404")
        self.expect_404(
            s.request("PATCH", f"{self.path}/{MISSING_ID}", json={name: new}), MISSING_ID
        )

    def check_validation(self, rid: int, total: int) -> None:
        s = self.s
        for field in self.fields:
            name = field["name"]
            self.bad_request(
                f"POST {name}={field['wrong_sample']!r} (wrong type) -> 422",
                "POST",
                self.path,
                json={**self.sample, name: field["wrong_sample"]},
                status=422,
                names=name,
                before=total,
            )
            for what, value in OUT_OF_RANGE.get(field["type"], []):
                self.bad_request(
                    f"POST {name}: {what} -> 422",
                    "POST",
                    self.path,
                    json={**self.sample, name: value},
                    status=422,
                    names=name,
                    before=total,
                )
            if field["type"] == "float":
                for token in NON_FINITE:
                    body = json.dumps({**self.sample, name: 0.5}).replace("0.5", token, 1)
                    self.bad_request(
                        f"POST {name}={token} -> 422",
                        "POST",
                        self.path,
                        content=body,
                        headers={"content-type": "application/json"},
                        status=422,
                        before=total,
                    )
            if not field["optional"]:
                self.bad_request(
                    f"POST {name}=null (not optional) -> 422",
                    "POST",
                    self.path,
                    json={**self.sample, name: None},
                    status=422,
                    names=name,
                    before=total,
                )
            if field["required"]:
                body = {k: v for k, v in self.sample.items() if k != name}
                self.bad_request(
                    f"POST without required {name} -> 422",
                    "POST",
                    self.path,
                    json=body,
                    status=422,
                    names=name,
                    before=total,
                )
        self.bad_request(
            "POST unknown field -> 422",
            "POST",
            self.path,
            json={**self.sample, UNKNOWN_FIELD: 1},
            status=422,
            names=UNKNOWN_FIELD,
            before=total,
        )
        for system in ("id", "created_at"):
            self.bad_request(
                f"POST with system column {system} -> 422",
                "POST",
                self.path,
                json={**self.sample, system: 5 if system == "id" else "2024-01-01T00:00:00Z"},
                status=422,
                names=system,
                before=total,
            )
        self.bad_request(
            "POST malformed JSON -> 422",
            "POST",
            self.path,
            content=b'{"broken": ',
            headers={"content-type": "application/json"},
            status=422,
            error_type="json_invalid",
            before=total,
        )
        # JSON is UTF-8 without a byte order mark; a parser that guesses encodings (Python's
        # json.loads does) would read these as the sample.
        encodings = {"utf-16": "UTF-16", "utf-32": "UTF-32", "utf-8-sig": "UTF-8 after a BOM"}
        for encoding, label in encodings.items():
            self.bad_request(
                f"POST the sample in {label} -> 422 json_invalid",
                "POST",
                self.path,
                content=json.dumps(self.sample).encode(encoding),
                headers={"content-type": "application/json"},
                status=422,
                error_type="json_invalid",
                before=total,
            )
        self.bad_request(
            "POST a JSON array -> 422",
            "POST",
            self.path,
            json=[self.sample],
            status=422,
            before=total,
        )
        first = self.fields[0]
        self.bad_request(
            f"PATCH {first['name']} wrong type -> 422",
            "PATCH",
            f"{self.path}/{rid}",
            json={first["name"]: first["wrong_sample"]},
            status=422,
            names=first["name"],
            before=total,
        )
        self.bad_request(
            "PATCH unknown field -> 422",
            "PATCH",
            f"{self.path}/{rid}",
            json={UNKNOWN_FIELD: 1},
            status=422,
            names=UNKNOWN_FIELD,
            before=total,
        )
        s.begin("the row is untouched by the refused PATCHes")
        response = s.expect(s.request("GET", f"{self.path}/{rid}"), 200)
        self.check_row(s.json_of(response), self.sample, response)
        self.bad_request(
            "GET /{not-an-int} -> 422",
            "GET",
            f"{self.path}/abc",
            status=422,
            where="path",
            before=total,
        )

    def check_body_size(self, total: int) -> None:
        s = self.s
        encoded = json.dumps(self.sample).encode()
        padded = encoded[:-1] + b" " * (MIB - len(encoded)) + b"}"
        s.begin("POST a body of exactly 1 MiB -> 201")
        assert len(padded) == MIB
        response = s.expect(
            s.request(
                "POST", self.path, content=padded, headers={"content-type": "application/json"}
            ),
            201,
        )
        row = s.json_of(response)
        self.check_row(row, self.sample, response)
        self.created.append(row["id"])
        total += 1
        too_big = padded[:-1] + b" }"
        self.bad_request(
            "POST a body of 1 MiB + 1 byte -> 413",
            "POST",
            self.path,
            content=too_big,
            headers={"content-type": "application/json"},
            status=413,
            before=total,
        )

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(too_big), 64 * 1024):
                yield too_big[start : start + 64 * 1024]

        self.bad_request(
            "POST 1 MiB + 1 byte, chunked (no Content-Length) -> 413",
            "POST",
            self.path,
            content=chunks(),
            headers={"content-type": "application/json"},
            status=413,
            before=total,
        )

    def check_patch_body_size(self, rid: int) -> None:
        """PATCH has the same 1 MiB limit as POST: a 413, and the row untouched."""
        s = self.s
        s.begin("PATCH a body of 1 MiB + 1 byte -> 413, row untouched")
        before = s.json_of(s.expect(s.request("GET", f"{self.path}/{rid}"), 200))
        body = b"{" + b" " * (MIB - 1) + b"}"
        response = s.expect(
            s.request(
                "PATCH",
                f"{self.path}/{rid}",
                content=body + b" ",
                headers={"content-type": "application/json"},
            ),
            413,
        )
        s.check(isinstance(s.json_of(response), dict), 'no {"detail": ...}', response)
        after = s.json_of(s.expect(s.request("GET", f"{self.path}/{rid}"), 200))
        s.check(self.same_row(before, after), "a refused PATCH changed the row", response)

    def check_unicode(self, rid: int) -> None:
        """Text beyond ASCII is stored and echoed exactly, up to the 255-character limit
        counted in characters, not bytes (nor UTF-16 units); a PATCH with NUL is refused too.
        (Over the limit and NUL on POST: OUT_OF_RANGE, in check_validation.)"""
        s = self.s
        total = self.total()
        for field in self.fields:
            name, ftype = field["name"], field["type"]
            if ftype not in ("str", "text"):
                continue
            values = {
                "multibyte, 255 characters": "é" * 254 + "ß",
                "astral plane, 255 characters": "😀" * 254 + "𝄞",
                "mixed scripts and a combining accent": "Zoë 東京 مرحبا e\u0301 ✓",
            }
            for what, value in values.items():
                s.begin(f"POST {name}: {what} -> 201, echoed exactly")
                row = self.create({**self.sample, name: value})
                s.check(row[name] == value, f"{name}: sent {value!r}, got {row[name]!r}")
                got = s.json_of(s.expect(s.request("GET", f"{self.path}/{row['id']}"), 200))
                s.check(got[name] == value, f"{name} read back as {got[name]!r}")
                total += 1
            self.bad_request(
                f"PATCH {name} with NUL (\\u0000) -> 422",
                "PATCH",
                f"{self.path}/{rid}",
                json={name: "\u0000"},
                status=422,
                names=name,
                before=total,
            )

    def check_concurrent_writes(self, threads: int = 8, each: int = 4) -> None:
        """Writes from several connections at once: every one a 201 with an id of its own."""
        s = self.s
        s.begin(f"{threads} clients POST {each} rows each at once -> all 201")
        before = self.total()

        def write(_: int) -> list[httpx.Response]:
            # Each client on its own connection, acting for the same user (with --auth).
            with httpx.Client(
                base_url=s.base_url, timeout=s.client.timeout, headers=s.client.headers
            ) as client:
                return [client.post(self.path, json=self.sample) for _ in range(each)]

        with ThreadPoolExecutor(threads) as pool:
            responses = [r for batch in pool.map(write, range(threads)) for r in batch]
        ids = []
        for response in responses:
            s.expect(response, 201)
            ids.append(s.json_of(response)["id"])
            self.created.append(ids[-1])
        s.check(len(set(ids)) == len(ids), f"concurrent writes shared ids: {sorted(ids)}")
        after = self.total()
        s.check(after == before + len(ids), f"total went from {before} to {after}, not +{len(ids)}")

    def check_paging(self) -> None:
        """Walking the list with the default page (20) sees every row once, in id order."""
        s = self.s
        s.begin("walk every page of the default size")
        total = self.total()
        s.check(total > 20, f"only {total} rows: the walk would not pass the first page")
        seen: list[int] = []
        for offset in range(0, total, 20):
            response = s.expect(s.request("GET", self.path, params={"offset": offset}), 200)
            page = s.json_of(response)
            s.check_envelope(page, limit=20, offset=offset, response=response)
            s.check(len(page["items"]) == min(20, total - offset), "a short page", response)
            seen += [item["id"] for item in page["items"]]
        s.check(seen == sorted(set(seen)), "the pages repeat or reorder rows")
        s.check(len(seen) == total, f"the pages hold {len(seen)} rows, the total says {total}")
        s.check(set(self.created) <= set(seen), "rows this run created are missing from the pages")

    def check_missing(self) -> None:
        s = self.s
        s.begin("GET unknown id -> 404")
        self.expect_404(s.request("GET", f"{self.path}/{MISSING_ID}"), MISSING_ID)
        s.begin("DELETE unknown id -> 404")
        self.expect_404(s.request("DELETE", f"{self.path}/{MISSING_ID}"), MISSING_ID)

    def expect_404(self, response: httpx.Response, rid: int) -> None:
        self.s.expect_not_found(response, self.name, rid)

    def newest_job_id(self) -> int:
        s = self.s
        params = {"kind": self.r["job_kind"], "limit": 1}
        response = s.expect(s.request("GET", "/api/v1/jobs", params=params), 200)
        items = s.json_of(response).get("items") or [{"id": 0}]
        return int(items[0]["id"])

    def check_job(self, rid: int, after_job: int) -> None:
        """The `{name}.created` job of row `rid` reaches `succeeded` and its effect shows.

        Only jobs with an id above `after_job` (the newest before the row was created) count.
        """
        s = self.s
        kind = self.r["job_kind"]
        s.begin(f"job {kind} for row {rid} reaches succeeded")
        deadline = time.monotonic() + s.job_timeout
        job: dict[str, Any] | None = None
        while True:
            response = s.expect(
                s.request("GET", "/api/v1/jobs", params={"kind": kind, "limit": 100}), 200
            )
            page = s.json_of(response)
            s.check_envelope(page, limit=100, offset=0, response=response)
            s.check(
                all(item.get("kind") == kind for item in page["items"]),
                f"?kind={kind} returned jobs of other kinds",
                response,
            )
            mine = [
                j
                for j in page["items"]
                if j["id"] > after_job and j.get("payload") == s.job_payload(rid)
            ]
            s.check(
                len(mine) <= 1, f"{len(mine)} {kind} jobs for row {rid}, expected one", response
            )
            job = mine[0] if mine else None
            if job is not None:
                s.check(job["status"] in JOB_STATUSES, f"unknown job status {job['status']!r}")
                if job["status"] == "succeeded":
                    break
                s.check(
                    job["status"] != "dead", f"the job died: {job.get('last_error')!r}", response
                )
            if time.monotonic() > deadline:
                state = "was never enqueued" if job is None else f"is still {job['status']!r}"
                raise s.fail(
                    f"after {s.job_timeout:.0f} s the job {state} (payload {{'id': {rid}}})",
                    response,
                )
            time.sleep(0.2)

        s.begin("GET /api/v1/jobs/{id} has every column")
        response = s.expect(s.request("GET", f"/api/v1/jobs/{job['id']}"), 200)
        detail = s.json_of(response)
        s.check(
            isinstance(detail, dict) and set(JOB_COLUMNS) <= set(detail),
            f"missing job columns {sorted(set(JOB_COLUMNS) - set(detail))}",
            response,
        )
        s.check(detail["id"] == job["id"] and detail["kind"] == kind, "wrong job", response)
        s.check(
            detail["payload"] == s.job_payload(rid),
            f"payload is not {s.job_payload(rid)}",
            response,
        )
        s.check(detail["status"] == "succeeded", "status is not succeeded", response)
        s.check(
            type(detail["attempts"]) is int and 1 <= detail["attempts"] <= detail["max_attempts"],
            "attempts is not within 1..max_attempts",
            response,
        )
        s.check(detail["locked_until"] is None, "a succeeded job keeps its lease", response)
        for column in ("run_at", "created_at", "updated_at"):
            try:
                parse_datetime(detail[column])
            except ValueError as exc:
                raise s.fail(f"job {column}: {exc}", response) from None

        s.begin("?status=succeeded lists the job")
        response = s.expect(
            s.request(
                "GET", "/api/v1/jobs", params={"kind": kind, "status": "succeeded", "limit": 100}
            ),
            200,
        )
        page = s.json_of(response)
        s.check(
            all(j["status"] == "succeeded" for j in page["items"]),
            "?status=succeeded returned other statuses",
            response,
        )
        s.check(any(j["id"] == job["id"] for j in page["items"]), "the job is not listed", response)

        s.begin("the job's effect: processed_at is set")
        response = s.expect(s.request("GET", f"{self.path}/{rid}"), 200)
        row = s.json_of(response)
        s.check(row.get("processed_at") is not None, "processed_at is still null", response)

    def cleanup(self) -> None:
        """Delete the rows this run created (then the rows they referenced), so repeated runs
        start from the same place."""
        rows = [(self.path, rid) for rid in self.created] + self.parents[::-1]
        for path, rid in rows:
            with contextlib.suppress(httpx.HTTPError):
                self.s.client.delete(f"{path}/{rid}")
        self.created.clear()
        self.parents.clear()


def run_smoke(
    base_url: str,
    spec: dict[str, Any],
    *,
    job_timeout: float = 30.0,
    log: Callable[[str], None] = print,
) -> int:
    """Drive the whole contract against `base_url`; return the number of checks passed."""
    smoke = Smoke(base_url, spec, job_timeout=job_timeout, log=log)
    try:
        smoke.run()
    finally:
        smoke.close()
    return smoke.checks


def run_isolation(
    base_url: str, spec: dict[str, Any], *, log: Callable[[str], None] = print
) -> int:
    """With --auth: two new users, a row of every resource each, and the checks that neither
    reaches the other's rows nor references them (the last step of a whole run, alone);
    return the number of checks passed."""
    smoke = Smoke(base_url, spec, log=log)
    try:
        smoke.resource = "app"
        smoke.begin("a first user signs up")
        smoke.act_as_new_user("a")
        smoke.check_isolation()
    finally:
        smoke.close()
    return smoke.checks


def wait_ready(
    base_url: str, timeout: float = 60.0, *, alive: Callable[[], bool] = lambda: True
) -> None:
    """Poll `/readyz` until it answers 200; raise SmokeFailure after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            raise SmokeFailure(f"the server exited before /readyz answered ({last})")
        try:
            response = httpx.get(f"{base_url.rstrip('/')}/readyz", timeout=2.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.2)
    raise SmokeFailure(f"/readyz did not answer 200 within {timeout:.0f} s ({last})")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tools/smoke.py BASE_URL SPEC_JSON_FILE", file=sys.stderr)
        return 2
    base_url, spec_file = argv
    with open(spec_file, encoding="utf-8") as handle:
        spec = json.load(handle)
    try:
        wait_ready(base_url, timeout=10)
        run_smoke(base_url, spec)
    except SmokeFailure as exc:
        print(f"FAILED {exc}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
