"""Job-throughput benchmark: how fast the generated workers drain the queue, per stack and database.

For one spec (`item name:str`) the FastAPI and Go stacks are rendered for SQLite and for
PostgreSQL. For each stack and database, and each number of worker processes (SQLite: 1;
PostgreSQL: 1, 2 and 4), on a fresh database:

1. enqueue: the API (worker off) takes `--jobs` POSTs from `hey` (16 connections); each
   creates a row and enqueues its `item.created` job in one transaction. That rate is the
   enqueue rate.
2. drain: the worker processes (`worker` subcommand, WORKER_CONCURRENCY=2 each, logs at INFO
   as in production) run every job with the sample handler, which stamps the row's
   `processed_at`: a no-op-ish handler, so the figure is the queue's own cost. The queued
   jobs are held until every worker has started, then released at once; jobs per second run
   from just before the release to the last success in the workers' own log lines, so process
   start-up (Python's imports) is not counted, and no job may succeed before that instant.

    python benchmarks/bench_jobs.py [--jobs 2000] [--only go|fastapi] [--workdir DIR]

Both stacks drain the same backlog, so their figures compare side by side.

PostgreSQL: the server MVPGEN_POSTGRES_URL names (an admin URL; one database per run is
created and dropped), else a throwaway one from scripts/_postgres.sh with durable settings
(fsync, synchronous_commit, full_page_writes on), stopped afterwards. The server's version and
durability settings are printed beside the figures, whichever server it was.
Needs Go, uv, and network access to PyPI and the Go module proxy (and `hey`, installed with
`go install` when missing). A few minutes in all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a script (python benchmarks/bench_jobs.py, in .venv): its folder is on sys.path, so
# the sibling bench_service imports as a module, and mvpgen is the installed one.
from bench_service import ensure_hey, free_port, run, stop

from mvpgen.render import generate
from mvpgen.spec import build_project

REPO = Path(__file__).resolve().parents[1]

RESOURCE = "item name:str"
PATH = "/api/v1/items"
BODY = json.dumps({"name": "widget"})
WORKER_COUNTS = {"sqlite": [1], "postgres": [1, 2, 4]}


@dataclass
class Project:
    """A rendered, built project and how to run its commands."""

    stack: str
    db: str
    root: Path
    command: list[str]  # + "serve" | "worker" | "migrate"
    env: dict[str, str]


@dataclass
class Result:
    stack: str
    db: str
    workers: int
    jobs: int
    enqueue_rate: float
    drain_rate: float


def prepare(stack: str, db: str, workdir: Path) -> Project:
    spec = build_project(f"bench-{stack}-{db}", stack=stack, db=db, resources=[RESOURCE])
    root = generate(spec, workdir / f"{stack}-{db}", git=False)
    keep = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env = {**keep, "LOG_FORMAT": "json", "JOB_POLL_SECONDS": "0.05", "WORKER_CONCURRENCY": "2"}
    if stack == "go":
        run(["go", "build", "-o", "bin/server", "./cmd/server"], root, {**env, "CGO_ENABLED": "0"})
        return Project(stack, db, root, ["./bin/server"], env)
    env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR", str(REPO / ".cache" / "uv"))
    run(["uv", "sync", "--locked", "--quiet"], root, env)
    return Project(stack, db, root, [str(root / ".venv/bin/python"), "-m", spec.package], env)


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", sql], check=True)


class Database:
    """A fresh database for one measurement: a SQLite file, or a database on the server."""

    def __init__(self, project: Project, workdir: Path, admin_url: str, n: int) -> None:
        self.admin_url = admin_url
        self.name = f"bench_jobs_{os.getpid()}_{project.stack}_{n}"
        if project.db == "sqlite":
            path = workdir / f"{self.name}.db"
            self.url = f"sqlite:///{path}"
        else:
            psql(admin_url, f'CREATE DATABASE "{self.name}"')
            parts = urllib.parse.urlsplit(admin_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def set_run_at(self, when: str) -> None:
        """Move every job's due time: far ahead holds the queue, back releases it."""
        if self.url.startswith("sqlite"):
            # The text form both stacks store (docs/contract.md), so text order is time order.
            stamp = {"future": "9999-01-01 00:00:00.000000", "past": "2000-01-01 00:00:00.000000"}
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as connection:
                connection.execute('UPDATE "jobs" SET "run_at" = ?', (stamp[when],))
            connection.close()
        else:
            stamp = {"future": "'infinity'", "past": "now()"}
            psql(self.url, f'UPDATE "jobs" SET "run_at" = {stamp[when]}')

    def drop(self) -> None:
        if self.url.startswith("postgres"):
            psql(self.admin_url, f'DROP DATABASE "{self.name}" WITH (FORCE)')


def start(
    project: Project, args: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [*project.command, *args],
            cwd=project.root,
            env={**project.env, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def enqueue(
    project: Project, database_url: str, jobs: int, hey_bin: str, log: Path
) -> tuple[float, int]:
    """POST about `jobs` rows through the API with its worker off (hey sends a multiple of its
    16 connections); returns rows (and jobs) per second, and how many were created."""
    port = free_port()
    env = {"DATABASE_URL": database_url, "PORT": str(port), "WORKER_ENABLED": "false"}
    api = start(project, ["serve"], {**env, "LOG_LEVEL": "WARNING"}, log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if api.poll() is not None:
                raise RuntimeError(f"the API exited:\n{log.read_text()}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer from {base}") from None
                time.sleep(0.1)
        command = [hey_bin, "-n", str(jobs), "-c", "16", "-m", "POST"]
        command += ["-T", "application/json", "-d", BODY, base + PATH]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        stop(api)
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", output))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if set(statuses) != {"201"} or "Error distribution" in output or rate is None:
        raise RuntimeError(f"not every POST created a row:\n{output}")
    return float(rate.group(1)), int(statuses["201"])


def log_times(log: Path, message: str) -> list[float]:
    """When each JSON log line with this message was written, as Unix times."""
    times = []
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("msg") == message:
            # Go writes nanoseconds and Z, Python microseconds and +00:00.
            text = re.sub(r"(\.\d{6})\d*", r"\1", record["time"]).replace("Z", "+00:00")
            times.append(dt.datetime.fromisoformat(text).timestamp())
    return times


def wait_on_workers(
    procs: list[subprocess.Popen[bytes]],
    logs: list[Path],
    done: Callable[[], bool],
    deadline: float,
    timeout_message: str,
    poll: float,
) -> None:
    """Until `done()`; a worker that exits, or the deadline, ends the run with its reason."""
    while not done():
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"a worker exited:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(timeout_message)
        time.sleep(poll)


def drain(project: Project, database: Database, jobs: int, workers: int, workdir: Path) -> float:
    """Run `workers` worker processes until every job succeeded; returns jobs per second.

    The queued jobs are held (due in the far future) until every worker has started, then
    released at once: the clock starts there, so process start-up is not counted.
    """
    name = f"worker-{project.stack}-{project.db}-{workers}"
    logs = [workdir / f"{name}-{n}.log" for n in range(workers)]
    env = {"DATABASE_URL": database.url, "LOG_LEVEL": "INFO"}
    database.set_run_at("future")
    procs = [start(project, ["worker"], env, log) for log in logs]
    try:
        deadline = time.monotonic() + 300

        def started() -> bool:
            return all(log_times(log, "worker started") for log in logs)

        def drained() -> bool:
            return sum(len(log_times(log, "job succeeded")) for log in logs) >= jobs

        wait_on_workers(procs, logs, started, deadline, "the workers did not start", 0.05)
        # The clock starts before the release: a job may succeed before the UPDATE returns.
        released = time.time()
        database.set_run_at("past")
        wait_on_workers(procs, logs, drained, deadline, "the queue did not drain in 5 minutes", 0.2)
    finally:
        for proc in procs:
            stop(proc)
    done = sorted(t for log in logs for t in log_times(log, "job succeeded"))
    if len(done) != jobs or done[0] < released:
        early = sum(t < released for t in done)
        raise RuntimeError(
            f"{len(done)} jobs succeeded, want {jobs}; {early} of them before the release"
        )
    return jobs / (done[-1] - released)


def measure(
    project: Project, jobs: int, workers: int, workdir: Path, admin_url: str, hey_bin: str
) -> Result:
    database = Database(project, workdir, admin_url, workers)
    try:
        run(
            [*project.command, "migrate"],
            project.root,
            {**project.env, "DATABASE_URL": database.url},
        )
        enqueue_log = workdir / f"api-{project.stack}-{project.db}-{workers}.log"
        enqueue_rate, jobs = enqueue(project, database.url, jobs, hey_bin, enqueue_log)
        drain_rate = drain(project, database, jobs, workers, workdir)
    finally:
        database.drop()
    result = Result(project.stack, project.db, workers, jobs, enqueue_rate, drain_rate)
    print(
        f"{result.stack:8} {result.db:8} {workers} worker(s): enqueue {enqueue_rate:7.0f}/s, "
        f"drain {drain_rate:7.0f} jobs/s",
        file=sys.stderr,
    )
    return result


# What makes a commit durable, or fast: printed beside the PostgreSQL figures.
DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "wal_level")


def server_settings(admin_url: str) -> str:
    """The PostgreSQL server's version and durability settings, as `name=value` pairs."""
    names = ", ".join(f"'{name}'" for name in DURABILITY_SETTINGS)
    query = (
        "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings "
        f"WHERE name IN ({names})"
    )
    settings = subprocess.run(
        ["psql", "-Atc", query, admin_url], capture_output=True, text=True, check=True
    ).stdout.strip()
    version = subprocess.run(
        ["psql", "-Atc", "SHOW server_version", admin_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return f"PostgreSQL {version}: {settings}"


def with_postgres() -> int:
    """Run this script again beside a throwaway PostgreSQL server, stopped when it ends.

    The server is durable (fsync, synchronous_commit and full_page_writes on, as in
    production), unlike the test suite's: a commit's cost is part of what is measured.
    """
    script = (
        f'export MVPGEN_POSTGRES_DURABLE=1 && source "{REPO}/scripts/_postgres.sh" && '
        "start_postgres && "
        '[ -n "${MVPGEN_POSTGRES_URL:-}" ] || { echo "no PostgreSQL server" >&2; exit 1; }; '
        # Not `exec`, and not the last command: the EXIT trap must stop the server.
        '"$@"; status=$?; exit $status'
    )
    return subprocess.run(["bash", "-c", script, "bash", sys.executable, *sys.argv]).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per run (2000)")
    parser.add_argument("--workdir", type=Path, help="keep the rendered projects and logs here")
    parser.add_argument("--only", choices=["go", "fastapi"], help="benchmark one stack")
    args = parser.parse_args()
    admin_url = os.environ.get("MVPGEN_POSTGRES_URL", "")
    if not admin_url:
        return with_postgres()
    if shutil.which("psql") is None:
        print("error: psql is needed to make the PostgreSQL databases", file=sys.stderr)
        return 1
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mvpgen-bench-jobs-"))
    workdir.mkdir(parents=True, exist_ok=True)
    hey_bin = ensure_hey(workdir)

    results: list[Result] = []
    for stack in ("go", "fastapi"):
        if args.only not in (None, stack):
            continue
        for db in ("sqlite", "postgres"):
            project = prepare(stack, db, workdir)
            for workers in WORKER_COUNTS[db]:
                results.append(measure(project, args.jobs, workers, workdir, admin_url, hey_bin))

    print(f"\njob throughput ({os.cpu_count()} cores; WORKER_CONCURRENCY=2 per worker process)")
    if any(r.db == "postgres" for r in results):
        print(server_settings(admin_url))
    print(f"{'stack':8} {'db':9} {'workers':>7} {'jobs':>6} {'enqueue/s':>10} {'drained/s':>10}")
    for r in results:
        print(
            f"{r.stack:8} {r.db:9} {r.workers:7d} {r.jobs:6d} "
            f"{r.enqueue_rate:10.0f} {r.drain_rate:10.0f}"
        )
    by_key = {(r.stack, r.db, r.workers): r.drain_rate for r in results}
    pairs = [k for k in by_key if k[0] == "go" and ("fastapi", *k[1:]) in by_key]
    if pairs:
        print(
            "\nGo/FastAPI drain ratio: "
            + ", ".join(
                f"{db} x{w}: {by_key[('go', db, w)] / by_key[('fastapi', db, w)]:.1f}"
                for _, db, w in pairs
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
