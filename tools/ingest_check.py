"""The hybrid stack's own step of the matrix: a batch ingested through the Go service (core)
is served by the FastAPI service (api), and every row's job is run by the Go worker. With
--auth, a token from the API's sign-up opens core's ingest, core refuses a request without,
and a second user's batch naming the first user's rows is refused as naming missing rows.

Like the smoke client it reads only the spec and talks HTTP; failures raise `SmokeFailure`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from smoke import UNKNOWN_FIELD, SmokeFailure, same_value

BATCH = 5


def _expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise SmokeFailure(
            f"{what}: {response.request.method} {response.request.url} -> "
            f"{response.status_code} (want {status}) {response.text[:1500]}"
        )
    return response.json() if response.content else None


def run_ingest_check(
    core_url: str, api_url: str, spec: dict[str, Any], *, job_timeout: float = 30.0
) -> int:
    """Ingest a batch per resource through core, read it through api; return the checks passed."""
    checks = 0
    # The ids ingested per resource: the references of later resources (the spec lists the
    # referenced first) point at them.
    ingested: dict[str, list[int]] = {}
    with httpx.Client(timeout=30.0) as client:
        if spec.get("auth"):
            client.headers["Authorization"] = _sign_up(client, api_url)
            plural = spec["resources"][0]["plural"]
            refused = httpx.post(f"{core_url}/ingest/{plural}", json=[], timeout=30.0)
            _expect(refused, 401, "ingest without a token")
            checks += 2
        for resource in spec["resources"]:
            ingest = f"{core_url}/ingest/{resource['plural']}"
            collection = f"{api_url}{resource['path']}"
            where = f"{resource['name']}: "
            refs = {f["name"]: f["ref"] for f in resource["fields"] if f.get("ref")}
            sample = resource["sample"] | {name: ingested[ref][0] for name, ref in refs.items()}
            fields = {field["name"]: field["type"] for field in resource["fields"]}
            before = _expect(client.get(collection), 200, where + "list")["total"]

            # A reference to a row that does not exist refuses the batch, naming the field.
            for name in refs:
                bad = [sample, {**sample, name: 987_654_321}]
                body = _expect(client.post(ingest, json=bad), 422, where + f"a missing {name}")
                locs = [error["loc"] for error in body["detail"]]
                if locs != [["body", 1, name]]:
                    raise SmokeFailure(f"{where}422 locs {locs}, want [['body', 1, {name!r}]]")
                checks += 1

            # One bad item refuses the whole batch, naming the item's index; nothing is written.
            bad = [sample, {**sample, UNKNOWN_FIELD: 1}]
            body = _expect(client.post(ingest, json=bad), 422, where + "a batch with a bad item")
            locs = [error["loc"] for error in body["detail"]]
            if locs != [["body", 1, UNKNOWN_FIELD]]:
                raise SmokeFailure(f"{where}422 locs {locs}, want [['body', 1, {UNKNOWN_FIELD!r}]]")
            if _expect(client.get(collection), 200, where + "list")["total"] != before:
                raise SmokeFailure(f"{where}a refused batch wrote rows")
            checks += 2

            rows = _expect(client.post(ingest, json=[sample] * BATCH), 201, where + "ingest")
            if not isinstance(rows, list) or len(rows) != BATCH:
                raise SmokeFailure(f"{where}ingest of {BATCH} returned {rows!r}")
            ingested[resource["name"]] = [row["id"] for row in rows]
            checks += 1
            for row in rows:
                got = _expect(client.get(f"{collection}/{row['id']}"), 200, where + "read back")
                wrong = [
                    name
                    for name, ftype in fields.items()
                    if not same_value(ftype, sample[name], got[name])
                ]
                if wrong:
                    raise SmokeFailure(
                        f"{where}ingested row read through the API: {wrong} "
                        f"differ: sent {sample}, got {got}"
                    )
                checks += 1

            # The Go worker runs each row's `{name}.created` job: processed_at gets set.
            deadline = time.monotonic() + job_timeout
            pending = {row["id"] for row in rows}
            while pending:
                for rid in sorted(pending):
                    row = _expect(client.get(f"{collection}/{rid}"), 200, where + "job effect")
                    if row["processed_at"] is not None:
                        pending.discard(rid)
                if pending and time.monotonic() > deadline:
                    raise SmokeFailure(
                        f"{where}rows {sorted(pending)} ingested through core were not processed "
                        f"by its worker within {job_timeout:.0f} s"
                    )
                time.sleep(0.1)
            checks += 1
        if spec.get("auth"):
            checks += _check_others_rows_refused(core_url, api_url, spec, ingested)
    return checks


def _sign_up(client: httpx.Client, api_url: str) -> str:
    """A new account, signed up through api: the Authorization header that acts for it."""
    account = {"email": f"ingest-{uuid.uuid4().hex[:10]}@example.com", "password": "x" * 12}
    body = _expect(client.post(f"{api_url}/api/v1/auth/signup", json=account), 201, "signup")
    return f"Bearer {body['access_token']}"


def _check_others_rows_refused(
    core_url: str, api_url: str, spec: dict[str, Any], ingested: dict[str, list[int]]
) -> int:
    """A second user's batch naming the first user's `ingested` rows is refused as one naming
    rows that do not exist: a 422 `missing_reference` per reference, nothing written."""
    checks = 0
    with httpx.Client(timeout=30.0) as other:
        other.headers["Authorization"] = _sign_up(other, api_url)
        for resource in spec["resources"]:
            refs = {f["name"]: f["ref"] for f in resource["fields"] if f.get("ref")}
            if not refs:
                continue
            where = f"{resource['name']}: a second user's batch naming the first user's rows: "
            named = {name: ingested[ref][0] for name, ref in refs.items()}
            batch = [resource["sample"] | named]
            body = _expect(
                other.post(f"{core_url}/ingest/{resource['plural']}", json=batch), 422, where
            )
            got = sorted((e["loc"], e["msg"], e["type"]) for e in body["detail"])
            want = sorted(
                (["body", 0, name], f"{ref} {named[name]} does not exist", "missing_reference")
                for name, ref in refs.items()
            )
            if got != want:
                raise SmokeFailure(f"{where}errors {got}, want {want}")
            listed = _expect(other.get(f"{api_url}{resource['path']}"), 200, where + "list")
            if listed["total"] != 0:
                raise SmokeFailure(f"{where}the refused batch wrote rows: {listed}")
            checks += 2
    return checks
