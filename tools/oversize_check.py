"""Oversized bodies, sent as a plain client sends them: the whole body first, then the answer.

A 1.2 MB POST to every resource, with its length declared and streamed in chunks, many times
over, on a new connection each time (http.client, as urllib uses it): every one must end in a
readable 413. A service that closes the connection while the client is still sending leaves it
a broken pipe instead, now and then, which only repetition shows.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from smoke import SmokeFailure

BODY_BYTES = 1_200_000
TRIES = 20
CHUNK = 64 * 1024


def _send(base_url: str, path: str, body: bytes, streamed: bool, headers: dict[str, str]) -> str:
    """One request on a new connection: the status read back, or the error that ended it."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    headers = {"Content-Type": "application/json", **headers}

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), CHUNK):
            yield body[start : start + CHUNK]

    try:
        if streamed:
            connection.request("POST", path, body=chunks(), headers=headers, encode_chunked=True)
        else:
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return str(response.status)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def run_oversize_check(
    base_url: str,
    spec: dict[str, Any],
    tries: int = TRIES,
    *,
    ingest: bool = False,
    headers: dict[str, str] | None = None,
) -> int:
    """Every resource's POST (with `ingest`, the hybrid core's POST /ingest/{plural}), `tries`
    times declared and `tries` times streamed; returns the number of requests, all answered
    413. `headers` go on each (with --auth, a user's token)."""
    body = b'{"padding": "' + b"x" * BODY_BYTES + b'"}'
    sent = 0
    for resource in spec["resources"]:
        path = f"/ingest/{resource['plural']}" if ingest else resource["path"]
        for streamed in (False, True):
            outcomes = [_send(base_url, path, body, streamed, headers or {}) for _ in range(tries)]
            wrong = [outcome for outcome in outcomes if outcome != "413"]
            if wrong:
                how = "streamed" if streamed else "with its length declared"
                raise SmokeFailure(
                    f"a {len(body)}-byte POST {path} {how}: {len(wrong)} of "
                    f"{tries} did not end in a readable 413: {sorted(set(wrong))}"
                )
            sent += tries
    return sent
