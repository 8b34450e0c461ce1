"""`mvpgen bench`: the FastAPI and Go stacks of one spec, served and measured side by side.

Both projects are rendered into a temporary folder, installed and built as a user would, served
as real processes on 127.0.0.1 with their worker off, seeded, and loaded in turn with the same
load (the Go load generator of `mvpgen.load`). Then each is restarted with its worker on to
measure how fast it drains the jobs the load enqueued. Everything runs inside the temporary
folder (and, on PostgreSQL, in throwaway databases), which is removed at the end, as is every
process started, whatever happens.
"""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mvpgen import load
from mvpgen.errors import SpecError
from mvpgen.load import BenchError, LoadResult, Server, Servers
from mvpgen.render import generate
from mvpgen.spec import Database, ProjectSpec, ResourceSpec, build_project

STACKS = ("fastapi", "go")
ENDPOINTS = ("get", "list", "post")
SEEDED = 100  # rows created before the load; GET by id cycles through them
CONNECTIONS = 32
WARM_UP_SECONDS = 1.0
# How long the drain is watched at most: long enough for a rate, short enough for the budget.
DRAIN_SECONDS = 5.0

Progress = Callable[[str], None]


@dataclass
class Stack:
    """One stack under test: how to serve it, and what was measured."""

    name: str
    root: Path
    serve: list[str]
    env: dict[str, str]
    skipped: str = ""
    binary_mib: float | None = None
    cold_start_ms: float = 0.0
    rss_idle_mib: float = 0.0
    rss_load_mib: float = 0.0
    drain_jobs_per_s: float = 0.0
    loads: dict[str, LoadResult] = field(default_factory=dict)
    server: Server | None = None


def check_options(resources: list[str], db: str, duration: float) -> ProjectSpec:
    """Every option checked before anything is written; the spec both stacks render."""
    if not duration > 0:
        raise SpecError(f"--duration {duration:g} must be a positive number of seconds")
    if db == Database.POSTGRES and not os.environ.get("DATABASE_URL"):
        raise SpecError(
            "--db postgres needs DATABASE_URL: an admin URL such as "
            "postgresql://postgres@localhost:5432/postgres, to create throwaway databases on"
        )
    return build_project("bench", stack="go", db=db, resources=resources or None)


def run_bench(resources: list[str], db: str, duration: float, progress: Progress) -> dict[str, Any]:
    """Measure both stacks of the spec; the report as JSON-ready data."""
    spec = check_options(resources, db, duration)
    resource = spec.resources[0]
    go_missing = load.go_missing_reason()
    loadgen = None if go_missing else load.build_loadgen(progress)
    workdir = Path(tempfile.mkdtemp(prefix="mvpgen-bench-"))
    try:
        with databases(spec.db, workdir) as urls, load.servers() as group:
            stacks = [prepare_fastapi(resources, urls, workdir, progress)]
            stacks.append(prepare_go(resources, urls, workdir, go_missing, progress))
            measure(stacks, resource, group, loadgen, duration, progress)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report(spec, resource, duration, loadgen is not None, stacks)


@contextlib.contextmanager
def databases(db: str, workdir: Path) -> Iterator[dict[str, str]]:
    """A database per stack: a file in workdir, or a throwaway PostgreSQL database."""
    if db == Database.SQLITE:
        yield {stack: f"sqlite:///{workdir / stack}.db" for stack in STACKS}
        return
    admin = os.environ["DATABASE_URL"]
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(load.postgres_database(admin, name)) for name in STACKS}


def service_env(database_url: str) -> dict[str, str]:
    """Production settings (JSON logs at INFO), the worker off while the load runs."""
    keep = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    return {
        **keep,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "WORKER_ENABLED": "false",
    }


def step(command: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-800:]
        raise BenchError(f"{what} failed ({' '.join(command)}):\n{output}")


def prepare_fastapi(
    resources: list[str], urls: dict[str, str], workdir: Path, progress: Progress
) -> Stack:
    spec = build_project("bench-fastapi", stack="fastapi", db=_db(urls), resources=resources)
    uv = load.find_uv()
    if uv is None:
        return Stack("fastapi", workdir, [], {}, skipped="uv is not installed (pip install uv)")
    progress("fastapi: rendering and installing (uv sync)")
    root = generate(spec, workdir / "fastapi", git=False)
    env = service_env(urls["fastapi"])
    step([uv, "sync", "--locked", "--quiet"], root, env, "uv sync")
    python = str(root / ".venv" / "bin" / "python")
    step([python, "-m", spec.package, "migrate"], root, env, "migrate")
    return Stack("fastapi", root, [python, "-m", spec.package, "serve"], env)


def prepare_go(
    resources: list[str], urls: dict[str, str], workdir: Path, missing: str, progress: Progress
) -> Stack:
    if missing:
        return Stack("go", workdir, [], {}, skipped=missing)
    spec = build_project("bench-go", stack="go", db=_db(urls), resources=resources)
    progress("go: rendering and building (go build)")
    root = generate(spec, workdir / "go", git=False)
    env = service_env(urls["go"])
    build = ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", "bin/server", "./cmd/server"]
    step(build, root, {**env, "CGO_ENABLED": "0"}, "go build")
    step(["./bin/server", "migrate"], root, env, "migrate")
    binary = root / "bin" / "server"
    return Stack("go", root, [str(binary)], env, binary_mib=binary.stat().st_size / 2**20)


def _db(urls: dict[str, str]) -> str:
    return Database.SQLITE if urls["go"].startswith("sqlite:") else Database.POSTGRES


def measure(
    stacks: list[Stack],
    resource: ResourceSpec,
    group: Servers,
    loadgen: Path | None,
    duration: float,
    progress: Progress,
) -> None:
    """Serve every stack, load each in turn endpoint by endpoint, then time each one's drain."""
    running = [s for s in stacks if not s.skipped]
    body = json.dumps(resource.sample)
    for stack in running:
        progress(f"{stack.name}: starting, seeding {SEEDED} rows")
        stack.server = server = group.start(stack.name, stack.serve, stack.root, stack.env)
        stack.cold_start_ms = server.wait_ready()
        time.sleep(0.5)  # let start-up garbage settle before the idle figure
        stack.rss_idle_mib = server.rss_mb()
        for _ in range(SEEDED):
            load.post_json(server.base + resource.path, body)
    urls = {"get": resource.path + "/{id}", "list": resource.path, "post": resource.path}
    for stack in running:
        assert stack.server is not None
        url = stack.server.base + urls["get"]
        load.drive(loadgen, url, seconds=WARM_UP_SECONDS, connections=CONNECTIONS, ids=SEEDED)
    for endpoint in ENDPOINTS:
        for stack in running:
            progress(f"{stack.name}: {endpoint.upper()} load for {duration:g} s")
            assert stack.server is not None
            with peak_rss(stack.server) as peak:
                stack.loads[endpoint] = load.drive(
                    loadgen,
                    stack.server.base + urls[endpoint],
                    seconds=duration,
                    connections=CONNECTIONS,
                    ids=SEEDED,
                    body=body if endpoint == "post" else "",
                )
            stack.rss_load_mib = max(stack.rss_load_mib, peak[0])
        running.reverse()  # the next endpoint starts with the other stack
    for stack in running:
        assert stack.server is not None
        group.stop(stack.server)
    for stack in running:
        progress(f"{stack.name}: draining the queued jobs with the worker on")
        stack.drain_jobs_per_s = drain_rate(stack, group, min(duration, DRAIN_SECONDS))


@contextlib.contextmanager
def peak_rss(server: Server) -> Iterator[list[float]]:
    """The group's largest resident memory while the block runs, sampled every 100 ms."""
    peak = [server.rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], server.rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def drain_rate(stack: Stack, group: Servers, seconds: float) -> float:
    """Jobs succeeded per second by the stack's own worker, from a backlog, over `seconds`."""
    env = {**stack.env, "WORKER_ENABLED": "true"}
    server = group.start(stack.name, stack.serve, stack.root, env)
    try:
        server.wait_ready()
        first, started = succeeded(server), time.perf_counter()
        count, elapsed = first, 0.0
        while elapsed < seconds:
            time.sleep(0.1)
            count, elapsed = succeeded(server), time.perf_counter() - started
            if queued(server) == 0:
                break
    finally:
        group.stop(server)
    return (count - first) / elapsed


def succeeded(server: Server) -> int:
    return int(str(load.get_json(server.base + "/api/v1/jobs?status=succeeded&limit=1")["total"]))


def queued(server: Server) -> int:
    return int(str(load.get_json(server.base + "/api/v1/jobs?status=queued&limit=1")["total"]))


def report(
    spec: ProjectSpec,
    resource: ResourceSpec,
    duration: float,
    go_load: bool,
    stacks: list[Stack],
) -> dict[str, Any]:
    """The figures as JSON-ready data: one entry per stack, and the Go/FastAPI ratios."""
    data: dict[str, Any] = {
        "resource": resource.name,
        "db": spec.db.value,
        "duration_s": duration,
        "connections": CONNECTIONS,
        "load_generator": "loadgen (Go)" if go_load else "Python threads (no Go toolchain)",
        "stacks": {},
    }
    for stack in stacks:
        if stack.skipped:
            data["stacks"][stack.name] = {"skipped": stack.skipped}
            continue
        entry: dict[str, Any] = {
            endpoint: {
                "rps": round(r.rps, 1),
                "p50_ms": r.p50_ms,
                "p99_ms": r.p99_ms,
                "errors": r.errors,
            }
            for endpoint, r in stack.loads.items()
        }
        entry |= {
            "drain_jobs_per_s": round(stack.drain_jobs_per_s, 1),
            "cold_start_ms": round(stack.cold_start_ms, 1),
            "rss_idle_mib": round(stack.rss_idle_mib, 1),
            "rss_load_mib": round(stack.rss_load_mib, 1),
        }
        if stack.binary_mib is not None:
            entry["binary_mib"] = round(stack.binary_mib, 1)
        data["stacks"][stack.name] = entry
    go, fastapi = data["stacks"].get("go", {}), data["stacks"].get("fastapi", {})
    if "skipped" not in go and "skipped" not in fastapi:
        data["ratios_go_to_fastapi"] = {
            key: round(value, 3)
            for key, (a, b) in _pairs(go, fastapi).items()
            if (value := a / b if b else 0.0)
        }
    return data


def _pairs(go: dict[str, Any], fastapi: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Every figure both stacks have, by a flat name (get_rps, drain_jobs_per_s, ...); none for
    a load that saw errors."""
    pairs: dict[str, tuple[float, float]] = {}
    for key, value in go.items():
        other = fastapi.get(key)
        if isinstance(value, dict) and isinstance(other, dict):
            if value["errors"] or other["errors"]:
                continue
            for figure in ("rps", "p50_ms", "p99_ms"):
                pairs[f"{key}_{figure}"] = (value[figure], other[figure])
        elif isinstance(value, float | int) and isinstance(other, float | int):
            pairs[key] = (float(value), float(other))
    return pairs


ROWS = [
    ("GET by id", "req/s", "get", "rps"),
    ("", "p50 ms", "get", "p50_ms"),
    ("", "p99 ms", "get", "p99_ms"),
    ("list", "req/s", "list", "rps"),
    ("", "p50 ms", "list", "p50_ms"),
    ("", "p99 ms", "list", "p99_ms"),
    ("POST", "req/s", "post", "rps"),
    ("", "p50 ms", "post", "p50_ms"),
    ("", "p99 ms", "post", "p99_ms"),
    ("job drain", "jobs/s", "drain_jobs_per_s", ""),
    ("cold start", "ms", "cold_start_ms", ""),
    ("memory idle", "MiB RSS", "rss_idle_mib", ""),
    ("memory load", "MiB RSS", "rss_load_mib", ""),
    ("binary", "MiB", "binary_mib", ""),
]


def table(data: dict[str, Any]) -> str:
    """The report as the aligned text table `mvpgen bench` prints."""
    fastapi, go = data["stacks"]["fastapi"], data["stacks"]["go"]
    ratios = data.get("ratios_go_to_fastapi", {})
    lines = [
        f"mvpgen bench: {data['resource']} on {data['db']}, {data['duration_s']:g} s per load, "
        f"{data['connections']} connections, load by {data['load_generator']}",
        "",
        f"{'':12} {'':8} {'fastapi':>10} {'go':>10} {'go/fastapi':>11}",
    ]
    for label, unit, key, figure in ROWS:
        cells = [_cell(stack, key, figure) for stack in (fastapi, go)]
        if cells == ["", ""]:
            continue
        ratio = ratios.get(f"{key}_{figure}" if figure else key)
        shown = "" if ratio is None else f"{ratio:.3f}" if ratio < 0.1 else f"{ratio:.2f}"
        lines.append(f"{label:12} {unit:8} {cells[0]:>10} {cells[1]:>10} {shown:>11}")
    for name, stack in (("fastapi", fastapi), ("go", go)):
        if "skipped" in stack:
            lines.append(f"{name} skipped: {stack['skipped']}")
        for endpoint in ENDPOINTS:
            errors = stack.get(endpoint, {}).get("errors")
            if errors:
                lines.append(f"{name} {endpoint.upper()}: {errors} errors (no ratio)")
    return "\n".join(lines)


def _cell(stack: dict[str, Any], key: str, figure: str) -> str:
    if "skipped" in stack:
        return "skipped"
    value = stack.get(key)
    if value is None:
        return "" if key == "binary_mib" else "-"
    if figure:
        value = value[figure]
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
