"""Service benchmark: generated Go and FastAPI services against bare hand-written baselines.

For one spec (`product name:str price:float stock:int=0`), on SQLite or PostgreSQL:

- go-generated       the Go stack as mvpgen renders it (`bin/server`, built as `make build` does)
- go-baseline        baselines/go: bare net/http + database/sql, the same driver, pragmas and
                     write discipline (SQLite: a reader pool, all kept open, and one writer
                     connection), and what the contract asks of every request: an
                     X-Request-ID and one JSON log line (log/slog)
- fastapi-generated  the FastAPI stack as mvpgen renders it (`python -m <pkg> serve`)
- fastapi-baseline   baselines/fastapi: bare FastAPI, async endpoints, stdlib sqlite3 (psycopg's
                     async connections on PostgreSQL), the same uvicorn[standard]; a request id
                     and a JSON log line per request, written by hand
- fastapi-orm-baseline  the same bare service on SQLAlchemy's asyncio ORM instead, with the
                     generated service's engine settings: against it, what the generated code
                     itself costs shows apart from what its libraries cost

Each baseline does the same work as its generated service: GET reads a row by id (ids cycle
over 100 seeded rows); POST validates the body, inserts the row and enqueues its job in one
transaction. The generated services run with their worker off (the baselines have none), so
both sides do the same work; they log as in production (JSON, INFO: one line per request; the
FastAPI baseline writes the same line itself).

A generated service and its baseline are served side by side and loaded in turn, alternating
which goes first, for --rounds rounds; the report gives each figure's median and range, and
the ratio generated/baseline per round (goal: 0.85 or better against the bare baseline) as
median and range. Beside
req/s it gives the CPU time each service spent per request (from /proc) and the same ratio by
CPU cost, which moves much less than req/s when the machine is shared. A run in which the load
generator saw any error, or no request completed, gives no ratio. With two or more cores the
servers are pinned to the first and the load generator to the others.

    python benchmarks/bench_service.py [--db sqlite|postgres] [--stack go|fastapi]
        [--rounds 5] [--duration 5] [--concurrency 32] [--workdir DIR]

--db postgres takes an admin URL from DATABASE_URL (or MVPGEN_POSTGRES_URL) and makes one
throwaway database per service.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mvpgen.load import (
    LoadResult,
    Servers,
    build_loadgen,
    drive,
    find_uv,
    free_port,
    post_json,
    postgres_database,
    servers,
    stop_group,
)
from mvpgen.render import generate
from mvpgen.spec import build_project

HERE = Path(__file__).resolve().parent
RESOURCE = "product name:str price:float stock:int=0"
PATH = "/api/v1/products"
BODY = json.dumps({"name": "widget", "price": 9.5, "stock": 3})
SEEDED = 100
ENDPOINTS = ("GET", "POST")
HEY_VERSION = "v0.1.4"
# Each stack's generated service is compared with these: (stack, label, baseline service).
BASELINES = (
    ("go", "bare", "go-baseline"),
    ("fastapi", "bare", "fastapi-baseline"),
    ("fastapi", "orm", "fastapi-orm-baseline"),
)

# bench_jobs.py drives its load with hey and shares these.
__all__ = ["ensure_hey", "free_port", "run", "stop"]
stop = stop_group


@dataclass
class Service:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    runs: dict[str, list[LoadResult]] = field(default_factory=lambda: {e: [] for e in ENDPOINTS})
    # CPU microseconds the service spent per request, per run: steadier than req/s when the
    # machine is shared, since time the service did not get is not counted.
    cpu_us: dict[str, list[float]] = field(default_factory=lambda: {e: [] for e in ENDPOINTS})


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    print("$", " ".join(command), file=sys.stderr)
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def ensure_hey(workdir: Path) -> str:
    """hey on PATH, else the pinned version built into workdir with `go install`."""
    found = shutil.which("hey")
    if found:
        return found
    gobin = workdir / "bin"
    env = {**os.environ, "GOBIN": str(gobin)}
    run(["go", "install", f"github.com/rakyll/hey@{HEY_VERSION}"], HERE, env)
    return str(gobin / "hey")


def cores() -> tuple[str, str]:
    """The servers' core and the load generator's: different ones when there are two."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2 or shutil.which("taskset") is None:
        print(
            "warning: servers and load share the cores (one core, or no taskset)", file=sys.stderr
        )
        return "", ""
    return str(available[0]), ",".join(str(c) for c in available[1:])


def service_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    return {
        **keep,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "WORKER_ENABLED": "false",
    }


def prepare_go(workdir: Path, db: str, urls: dict[str, str]) -> list[Service]:
    spec = build_project("bench-go", stack="go", db=db, resources=[RESOURCE])
    root = generate(spec, workdir / "go", git=False)
    baseline = root / "cmd" / "baseline"
    baseline.mkdir()
    for name in ("main.go", f"{db}.go"):
        shutil.copy(HERE / "baselines" / "go" / name, baseline / name)
    env = {**os.environ, "CGO_ENABLED": "0"}
    for target in ("server", "baseline"):
        build = ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", f"bin/{target}"]
        run([*build, f"./cmd/{target}"], root, env)
    for name in ("go-generated", "go-baseline"):
        run(["./bin/server", "migrate"], root, {**service_env(), "DATABASE_URL": urls[name]})
    return [
        Service(
            "go-generated",
            ["./bin/server"],
            root,
            {**service_env(), "DATABASE_URL": urls["go-generated"]},
        ),
        Service(
            "go-baseline", ["./bin/baseline", urls["go-baseline"], "{port}"], root, service_env()
        ),
    ]


def prepare_fastapi(workdir: Path, db: str, urls: dict[str, str]) -> list[Service]:
    spec = build_project("bench-py", stack="fastapi", db=db, resources=[RESOURCE])
    root = generate(spec, workdir / "fastapi", git=False)
    env = service_env()
    env.setdefault("UV_CACHE_DIR", str(HERE.parent / ".cache" / "uv"))
    uv = find_uv()
    if uv is None:
        sys.exit("the FastAPI services need uv (pip install uv)")
    run([uv, "sync", "--locked", "--quiet"], root, env)
    python = str(root / ".venv" / "bin" / "python")
    for name in ("fastapi-generated", "fastapi-baseline", "fastapi-orm-baseline"):
        run([python, "-m", spec.package, "migrate"], root, {**env, "DATABASE_URL": urls[name]})
    app = str(HERE / "baselines" / "fastapi" / "app.py")
    return [
        Service(
            "fastapi-generated",
            [python, "-m", spec.package, "serve"],
            root,
            {**env, "DATABASE_URL": urls["fastapi-generated"]},
        ),
        Service("fastapi-baseline", [python, app, urls["fastapi-baseline"], "{port}"], root, env),
        Service(
            "fastapi-orm-baseline",
            [python, app, urls["fastapi-orm-baseline"], "{port}", "orm"],
            root,
            env,
        ),
    ]


@contextlib.contextmanager
def databases(db: str, workdir: Path, names: list[str]) -> Iterator[dict[str, str]]:
    """A database per service: a file in workdir, or a throwaway PostgreSQL database."""
    if db == "sqlite":
        yield {name: f"sqlite:///{workdir / name}.db" for name in names}
        return
    admin = os.environ.get("DATABASE_URL") or os.environ.get("MVPGEN_POSTGRES_URL", "")
    if not admin:
        sys.exit("--db postgres needs an admin URL in DATABASE_URL (or MVPGEN_POSTGRES_URL)")
    with contextlib.ExitStack() as stack:
        yield {n: stack.enter_context(postgres_database(admin, n.replace("-", "_"))) for n in names}


def bench_pair(
    pair: list[Service], group: Servers, loadgen: Path, args: argparse.Namespace
) -> None:
    """Serve and seed each service, then load each in turn, reversing the order every round."""
    server_core, load_core = cores()
    served = []
    for service in pair:
        command = (
            ["taskset", "-c", server_core, *service.command] if server_core else service.command
        )
        server = group.start(service.name, command, service.cwd, service.env)
        server.wait_ready()
        for _ in range(SEEDED):
            post_json(server.base + PATH, BODY)
        served.append((service, server))
    for _, server in served:  # warm up: connections, caches, heaps
        drive(
            loadgen,
            server.base + PATH + "/{id}",
            seconds=1,
            connections=args.concurrency,
            ids=SEEDED,
            cpus=load_core,
        )
    for round_ in range(args.rounds):
        order = served if round_ % 2 == 0 else served[::-1]
        for endpoint in ENDPOINTS:
            for service, server in order:
                url = server.base + PATH + ("/{id}" if endpoint == "GET" else "")
                cpu = server.cpu_seconds()
                result = drive(
                    loadgen,
                    url,
                    seconds=args.duration,
                    connections=args.concurrency,
                    ids=SEEDED,
                    body=BODY if endpoint == "POST" else "",
                    cpus=load_core,
                )
                service.runs[endpoint].append(result)
                cpu = (server.cpu_seconds() - cpu) * 1e6 / max(result.requests, 1)
                service.cpu_us[endpoint].append(cpu)
                print(
                    f"round {round_ + 1}/{args.rounds} {service.name:20} {endpoint:4} "
                    f"{result.rps:8.0f} req/s  p99 {result.p99_ms:7.2f} ms  {cpu:6.0f} µs CPU/req  "
                    f"errors {result.errors}",
                    file=sys.stderr,
                )
    for _, server in served:
        group.stop(server)


def spread(values: list[float], digits: int = 0) -> str:
    """median [min-max]"""
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{median:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"


def report(services: list[Service], args: argparse.Namespace) -> None:
    print(
        f"\nservice benchmark: {RESOURCE!r}, {args.db}, {args.rounds} rounds alternating, "
        f"{args.duration}s per endpoint per round, {args.concurrency} connections; "
        "median [min-max]"
    )
    header = f"{'service':20} {'endpoint':8} {'req/s':>22} {'p99 ms':>24} {'CPU µs/req':>20}"
    print(f"{header} {'errors':>7}")
    for s in services:
        for endpoint, runs in s.runs.items():
            rps = spread([r.rps for r in runs])
            p99 = spread([r.p99_ms for r in runs], 2)
            cpu = spread(s.cpu_us[endpoint]) if s.cpu_us[endpoint] else "-"
            errors = sum(r.errors for r in runs)
            print(f"{s.name:20} {endpoint:8} {rps:>22} {p99:>24} {cpu:>20} {errors:7d}")
    by_name = {s.name: s for s in services}
    print("\nratio generated/baseline, req/s per round (goal: 0.85 or better against bare)")
    for stack, against, baseline in BASELINES:
        gen, bare = by_name.get(f"{stack}-generated"), by_name.get(baseline)
        if gen is None or bare is None:
            continue
        for endpoint in ENDPOINTS:
            label = f"{stack:8} {endpoint:4} {against:4}"
            failed = [(s, r) for s in (gen, bare) for r in s.runs[endpoint] if r.errors]
            if failed:
                service, result = failed[0]
                print(
                    f"{label} no ratio: the load saw errors ({service.name}: {result.errors}, "
                    f"first: {result.first_error[:160]})"
                )
                continue
            ratios = [
                g.rps / b.rps for g, b in zip(gen.runs[endpoint], bare.runs[endpoint], strict=True)
            ]
            verdict = "ok" if statistics.median(ratios) >= 0.85 else "below 0.85"
            # The same ratio from CPU cost: baseline µs per request over generated µs.
            costs = zip(gen.cpu_us[endpoint], bare.cpu_us[endpoint], strict=True)
            by_cpu = [b / g for g, b in costs if g > 0]
            cpu = f"  by CPU per request {spread(by_cpu, 2)}" if by_cpu else ""
            print(f"{label} {spread(ratios, 2)}  {verdict}{cpu}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--stack", choices=["go", "fastapi"], help="benchmark one stack only")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per run (default 5)")
    parser.add_argument("--concurrency", type=int, default=32, help="connections (default 32)")
    parser.add_argument("--workdir", type=Path, help="render the services here and keep them")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mvpgen-bench-service-"))
    stacks = [args.stack] if args.stack else ["go", "fastapi"]
    names = [f"{stack}-generated" for stack in stacks]
    names += [baseline for stack, _, baseline in BASELINES if stack in stacks]
    loadgen = build_loadgen()
    services: list[Service] = []
    try:
        with databases(args.db, workdir, names) as urls, servers() as group:
            for stack in stacks:
                prepare = prepare_go if stack == "go" else prepare_fastapi
                pair = prepare(workdir, args.db, urls)
                bench_pair(pair, group, loadgen, args)
                services += pair
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    report(services, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
