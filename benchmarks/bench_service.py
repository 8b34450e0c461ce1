# ruff: noqa: E501  (the baselines are source files embedded as strings; they keep their own lines)
"""Service benchmark: generated Go and FastAPI services against bare hand-written baselines.

For one spec (`product name:str price:float stock:int=0`), on SQLite:

- go-generated       the Go stack as mvpgen renders it (`bin/server`)
- go-baseline        bare net/http + database/sql + the same pure-Go SQLite driver, same pragmas
- fastapi-generated  the FastAPI stack as mvpgen renders it (`python -m <pkg> serve`)
- fastapi-baseline   bare FastAPI + the stdlib sqlite3 driver SQLAlchemy uses, same uvicorn

Each baseline does the same work as its generated service: GET reads the row by id; POST
validates the body, inserts the row and enqueues its job in one transaction. Every service
runs with its worker off (the baselines have none) and logs at WARNING, so the figures are
the HTTP path. The load generator is `hey` (installed with `go install` when missing); the
server is pinned to one core and `hey` to another with taskset.

    python benchmarks/bench_service.py [--duration 10] [--concurrency 32] [--workdir DIR]

Prints requests/s and p99 latency for each service and endpoint, then the ratios
generated/baseline (goal: 0.85 or better) and Go/FastAPI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mvpgen.render import generate  # noqa: E402
from mvpgen.spec import build_project  # noqa: E402

RESOURCE = "product name:str price:float stock:int=0"
PATH = "/api/v1/products"
BODY = json.dumps({"name": "widget", "price": 9.5, "stock": 3})
HEY_VERSION = "v0.1.4"

GO_BASELINE = r"""// Command baseline is the least a Go service can do for the benchmark's two requests.
package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"time"

	_ "modernc.org/sqlite"
)

type product struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Price       float64    `json:"price"`
	Stock       int64      `json:"stock"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ProcessedAt *time.Time `json:"processed_at"`
}

type input struct {
	Name  *string  `json:"name"`
	Price *float64 `json:"price"`
	Stock *int64   `json:"stock"`
}

const layout = "2006-01-02 15:04:05.000000"
const columns = `"id", "name", "price", "stock", "created_at", "updated_at", "processed_at"`

func scan(row *sql.Row) (product, error) {
	var p product
	var created, updated string
	var processed sql.NullString
	err := row.Scan(&p.ID, &p.Name, &p.Price, &p.Stock, &created, &updated, &processed)
	p.CreatedAt, _ = time.Parse(layout, created)
	p.UpdatedAt, _ = time.Parse(layout, updated)
	if processed.Valid {
		t, _ := time.Parse(layout, processed.String)
		p.ProcessedAt = &t
	}
	return p, err
}

func main() {
	db, err := sql.Open("sqlite", "file:"+os.Args[1]+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			http.Error(w, `{"detail":"bad id"}`, http.StatusUnprocessableEntity)
			return
		}
		p, err := scan(db.QueryRowContext(r.Context(), `SELECT `+columns+` FROM "products" WHERE "id" = ?`, id))
		if err == sql.ErrNoRows {
			http.Error(w, `{"detail":"not found"}`, http.StatusNotFound)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(p)
	})
	mux.HandleFunc("POST /api/v1/products", func(w http.ResponseWriter, r *http.Request) {
		var in input
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.Name == nil || in.Price == nil || len(*in.Name) > 255 {
			http.Error(w, `{"detail":"invalid"}`, http.StatusUnprocessableEntity)
			return
		}
		stock := int64(0)
		if in.Stock != nil {
			stock = *in.Stock
		}
		now := time.Now().UTC().Format(layout)
		tx, err := db.BeginTx(r.Context(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer tx.Rollback()
		var p product
		var created, updated string
		var processed sql.NullString
		err = tx.QueryRowContext(r.Context(),
			`INSERT INTO "products" ("name", "price", "stock", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?) RETURNING `+columns,
			*in.Name, *in.Price, stock, now, now).Scan(&p.ID, &p.Name, &p.Price, &p.Stock, &created, &updated, &processed)
		if err == nil {
			_, err = tx.ExecContext(r.Context(),
				`INSERT INTO "jobs" ("kind", "payload", "status", "attempts", "max_attempts", "run_at", "created_at", "updated_at")
				VALUES ('product.created', ?, 'queued', 0, 5, ?, ?, ?)`, `{"id":`+strconv.FormatInt(p.ID, 10)+`}`, now, now, now)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p.CreatedAt, _ = time.Parse(layout, created)
		p.UpdatedAt = p.CreatedAt
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/api/v1/products/"+strconv.FormatInt(p.ID, 10))
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(p)
	})
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[2], Handler: mux}
	panic(srv.ListenAndServe())
}
"""

FASTAPI_BASELINE = r'''"""The least a FastAPI service can do for the benchmark's two requests."""

import datetime as dt
import json
import sqlite3
import sys
import threading
from typing import Annotated

import uvicorn
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

DB_PATH, PORT = sys.argv[1], int(sys.argv[2])
COLUMNS = '"id", "name", "price", "stock", "created_at", "updated_at", "processed_at"'
local = threading.local()


def connection() -> sqlite3.Connection:
    # One connection per worker thread, as SQLAlchemy's pool would keep.
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(DB_PATH, isolation_level=None, check_same_thread=False)
        local.db.execute("PRAGMA busy_timeout = 10000")
        local.db.execute("PRAGMA journal_mode = WAL")
        local.db.execute("PRAGMA synchronous = NORMAL")
    return local.db


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=255)]
    price: float
    stock: int = 0


class ProductOut(BaseModel):
    id: int
    name: str
    price: float
    stock: int
    created_at: dt.datetime
    updated_at: dt.datetime
    processed_at: dt.datetime | None


def row_out(row: tuple) -> ProductOut:
    fields = dict(zip(["id", "name", "price", "stock", "created_at", "updated_at", "processed_at"], row))
    for key in ("created_at", "updated_at", "processed_at"):
        if fields[key] is not None:
            fields[key] = dt.datetime.fromisoformat(fields[key]).replace(tzinfo=dt.UTC)
    return ProductOut(**fields)


app = FastAPI()


@app.get("/api/v1/products/{row_id}", response_model=ProductOut)
def get_product(row_id: int) -> ProductOut:
    row = connection().execute(f'SELECT {COLUMNS} FROM "products" WHERE "id" = ?', (row_id,)).fetchone()
    if row is None:
        raise HTTPException(404, "not found")
    return row_out(row)


@app.post("/api/v1/products", status_code=201, response_model=ProductOut)
def create_product(data: ProductIn, response: Response) -> ProductOut:
    db = connection()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute(
            f'INSERT INTO "products" ("name", "price", "stock", "created_at", "updated_at") '
            f"VALUES (?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (data.name, data.price, data.stock, now, now),
        ).fetchone()
        db.execute(
            'INSERT INTO "jobs" ("kind", "payload", "status", "attempts", "max_attempts", '
            '"run_at", "created_at", "updated_at") VALUES (?, ?, ?, 0, 5, ?, ?, ?)',
            ("product.created", json.dumps({"id": row[0]}), "queued", now, now, now),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    response.headers["Location"] = f"/api/v1/products/{row[0]}"
    return row_out(row)


uvicorn.run(app, host="127.0.0.1", port=PORT, log_config=None, access_log=False)
'''


@dataclass
class Service:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]


@dataclass
class Result:
    rps: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    print("$", " ".join(command), file=sys.stderr)
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def ensure_hey(workdir: Path) -> str:
    found = shutil.which("hey")
    if found:
        return found
    gobin = workdir / "bin"
    run(
        ["go", "install", f"github.com/rakyll/hey@{HEY_VERSION}"],
        REPO,
        {**os.environ, "GOBIN": str(gobin)},
    )
    return str(gobin / "hey")


def cores() -> tuple[str, str]:
    """The server's core and the load generator's: two different ones when there are two."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        print("warning: one core only; server and load share it", file=sys.stderr)
        return str(available[0]), str(available[0])
    return str(available[0]), ",".join(str(c) for c in available[1:])


def base_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    return {**keep, "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json", "WORKER_ENABLED": "false"}


def prepare_go(workdir: Path) -> tuple[Service, Service]:
    root = generate(
        build_project("bench-go", stack="go", resources=[RESOURCE]), workdir / "go", git=False
    )
    (root / "cmd" / "baseline").mkdir()
    (root / "cmd" / "baseline" / "main.go").write_text(GO_BASELINE)
    env = {**os.environ, "CGO_ENABLED": "0"}
    run(["go", "build", "-o", "bin/server", "./cmd/server"], root, env)
    run(["go", "build", "-o", "bin/baseline", "./cmd/baseline"], root, env)
    generated_db, baseline_db = workdir / "go-generated.db", workdir / "go-baseline.db"
    for db in (generated_db, baseline_db):
        run(["./bin/server", "migrate"], root, {**base_env(), "DATABASE_URL": f"sqlite:///{db}"})
    return (
        Service(
            "go-generated",
            ["./bin/server"],
            root,
            {**base_env(), "DATABASE_URL": f"sqlite:///{generated_db}"},
        ),
        Service("go-baseline", ["./bin/baseline", str(baseline_db), "{port}"], root, base_env()),
    )


def prepare_fastapi(workdir: Path) -> tuple[Service, Service]:
    spec = build_project("bench-py", stack="fastapi", resources=[RESOURCE])
    root = generate(spec, workdir / "fastapi", git=False)
    (root / "baseline.py").write_text(FASTAPI_BASELINE)
    env = {
        **base_env(),
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(REPO / ".cache" / "uv")),
    }
    run(["uv", "sync", "--locked", "--quiet"], root, env)
    python = str(root / ".venv" / "bin" / "python")
    generated_db, baseline_db = workdir / "py-generated.db", workdir / "py-baseline.db"
    for db in (generated_db, baseline_db):
        run(
            [python, "-m", spec.package, "migrate"],
            root,
            {**env, "DATABASE_URL": f"sqlite:///{db}"},
        )
    return (
        Service(
            "fastapi-generated",
            [python, "-m", spec.package, "serve"],
            root,
            {**env, "DATABASE_URL": f"sqlite:///{generated_db}"},
        ),
        Service("fastapi-baseline", [python, "baseline.py", str(baseline_db), "{port}"], root, env),
    )


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        request = urllib.request.Request(
            url, data=BODY.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            urllib.request.urlopen(request, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url}")


def hey(binary: str, load_core: str, url: str, args: argparse.Namespace, post: bool) -> Result:
    command = [
        "taskset",
        "-c",
        load_core,
        binary,
        "-z",
        f"{args.duration}s",
        "-c",
        str(args.concurrency),
    ]
    if post:
        command += ["-m", "POST", "-T", "application/json", "-d", BODY]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99_match = re.search(r"99% in ([\d.]+) secs", output)
    if rps_match is None or p99_match is None:
        raise RuntimeError(f"unexpected output from hey:\n{output}")
    rps, p99 = float(rps_match.group(1)), float(p99_match.group(1)) * 1000
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", output))
    ok = "201" if post else "200"
    errors = sum(int(n) for code, n in statuses.items() if code != ok)
    if "Error distribution:" in output:
        failed = output.split("Error distribution:")[1]
        errors += sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", failed, re.MULTILINE))
    return Result(rps, p99, errors)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def bench(
    service: Service, hey_bin: str, server_core: str, load_core: str, args: argparse.Namespace
) -> dict[str, Result]:
    port = free_port()
    env = {**service.env, "HOST": "127.0.0.1", "PORT": str(port)}
    command = ["taskset", "-c", server_core, *(a.format(port=port) for a in service.command)]
    proc = subprocess.Popen(
        command,
        cwd=service.cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + PATH, proc)  # also creates row 1, which GET reads
        warm = argparse.Namespace(duration=2, concurrency=args.concurrency)
        hey(hey_bin, load_core, f"{base}{PATH}/1", warm, post=False)
        results = {
            "GET": hey(hey_bin, load_core, f"{base}{PATH}/1", args, post=False),
            "POST": hey(hey_bin, load_core, base + PATH, args, post=True),
        }
    finally:
        stop(proc)
    for endpoint, r in results.items():
        print(
            f"{service.name:18} {endpoint:4} {r.rps:10.0f} req/s  p99 {r.p99_ms:7.2f} ms  errors {r.errors}",
            file=sys.stderr,
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds per endpoint (default 10)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="connections (default 32)")
    parser.add_argument("--workdir", type=Path, help="keep the rendered services here")
    parser.add_argument("--only", choices=["go", "fastapi"], help="benchmark one stack")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mvpgen-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server_core, load_core = cores()
    hey_bin = ensure_hey(workdir)

    services: list[Service] = []
    if args.only in (None, "go"):
        services += prepare_go(workdir)
    if args.only in (None, "fastapi"):
        services += prepare_fastapi(workdir)
    results = {s.name: bench(s, hey_bin, server_core, load_core, args) for s in services}

    print(
        f"\nservice benchmark: {RESOURCE!r}, SQLite, {args.duration}s per endpoint, "
        f"{args.concurrency} connections, server on core {server_core}, load on {load_core}"
    )
    print(f"{'service':18} {'endpoint':8} {'req/s':>10} {'p99 ms':>8} {'errors':>7}")
    for name, by_endpoint in results.items():
        for endpoint, r in by_endpoint.items():
            print(f"{name:18} {endpoint:8} {r.rps:10.0f} {r.p99_ms:8.2f} {r.errors:7d}")
    print("\nratios (req/s)")
    for endpoint in ("GET", "POST"):
        for stack in ("go", "fastapi"):
            gen, bare = results.get(f"{stack}-generated"), results.get(f"{stack}-baseline")
            if gen and bare:
                ratio = gen[endpoint].rps / bare[endpoint].rps
                verdict = "ok" if ratio >= 0.85 else "below the 0.85 goal"
                print(f"{stack}-generated / {stack}-baseline {endpoint:4} {ratio:5.2f}  {verdict}")
        go, py = results.get("go-generated"), results.get("fastapi-generated")
        if go and py:
            print(
                f"go-generated / fastapi-generated {endpoint:4} {go[endpoint].rps / py[endpoint].rps:5.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
