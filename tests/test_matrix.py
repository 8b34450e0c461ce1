"""The variant matrix: every variant rendered, installed, linted, tested,
served as a real process and driven over HTTP by the smoke client, then stopped with SIGTERM.

One test per variant of `tests/variants.py`, so pytest-xdist runs variants in parallel. The uv
cache is shared by every variant (`.cache/uv` at the top of the repository, or `UV_CACHE_DIR`).
Go's module and build caches are the machine's defaults (GOMODCACHE, GOCACHE), shared likewise.
A missing tool fails the test in CI (`CI=true`) and skips it elsewhere, with the reason, after
the variant was rendered; tests/conftest.py names the variants that did not run.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_check import run_ingest_check
from mvpgen.render import generate
from oversize_check import run_oversize_check
from smoke import SmokeFailure, run_isolation, run_smoke, wait_ready
from variants import VARIANTS, Variant, postgres_server_url

pytestmark = pytest.mark.matrix

REPO = Path(__file__).resolve().parents[1]
STOP_TIMEOUT = 15.0
READY_TIMEOUT = 90.0
STEP_TIMEOUTS = {"install": 600.0, "lint": 600.0, "test": 900.0, "build": 600.0}
# Variables the generated project reads: never inherited from the shell running the tests.
PROJECT_SETTINGS = (
    "DATABASE_URL",
    "HOST",
    "PORT",
    "ENVIRONMENT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "WORKER_ENABLED",
    "WORKER_CONCURRENCY",
    "JOB_MAX_ATTEMPTS",
    "JOB_LEASE_SECONDS",
    "JOB_BACKOFF_SECONDS",
    "JOB_POLL_SECONDS",
    "AUTH_TOKEN_DAYS",
    "AUTH_ARGON2_MEMORY_KIB",
    "AUTH_ARGON2_ITERATIONS",
    "AUTH_RATE_LIMIT",
    "AUTH_RATE_WINDOW_SECONDS",
    "SMTP_URL",
    "MAIL_FROM",
    "PUBLIC_URL",
)
# Schemathesis: test cases per operation in each generating phase. Set MVPGEN_SCHEMATHESIS_SEED
# to replay a run with the seed it printed.
SCHEMATHESIS_EXAMPLES = 15
# Lines that mean a process failed even if every exit code was right.
CRASH_MARKERS = ("Traceback (most recent call last)", "panic: ", "make: *** [")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def tool_path() -> str:
    """PATH with this interpreter's bin folder first: `uv` from the `test` extra lives there."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def base_python() -> str:
    """The machine's Python (not this virtualenv's), for uv to build the project's venv with."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    return str(Path(base).resolve())


def path_without_uv(scratch: Path) -> str:
    """A PATH of python3, make and go alone (links to the real programs), as on a machine where
    uv was never installed: none can leak in from this virtualenv or the shell's PATH."""
    folder = scratch / "bin-without-uv"
    folder.mkdir()
    for name, program in {"python3": base_python(), "make": "make", "go": "go"}.items():
        found = shutil.which(program, path=tool_path())
        assert found is not None, f"{program} is not on PATH"
        (folder / name).symlink_to(Path(found).resolve())
    return str(folder)


@pytest.fixture(scope="session")
def uv_cache_dir() -> Path:
    """One uv cache for every variant and every xdist worker (uv locks it itself)."""
    path = Path(os.environ.get("UV_CACHE_DIR") or REPO / ".cache" / "uv")
    path.mkdir(parents=True, exist_ok=True)
    return path


def project_env(uv_cache_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in PROJECT_SETTINGS
        and key not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME"}
        and not key.startswith("PYTEST_")
    }
    env.update(
        PATH=tool_path(),
        UV_CACHE_DIR=str(uv_cache_dir),
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON=base_python(),
        UV_NO_PROGRESS="1",
        PYTHONDONTWRITEBYTECODE="1",
        CGO_ENABLED="0",
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(text: str, lines: int = 120) -> str:
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes of process group `pgid`, as 'pid cmdline'."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: only ask whether the group still exists
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [f"process group {pgid}"]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            state, group = fields[0], int(fields[2])
            if group != pgid or state == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError, IndexError):
            continue
        members.append(f"{entry.name} {cmdline}")
    return members


def make_lost_wait_race(returncode: int | None, output: str) -> bool:
    """Whether make exited 2 only because it lost a race with its own signal handler.

    GNU make 4.3, signalled together with its recipe, sometimes reaps the recipe's process in
    its main loop and then again in the handler: `make: *** wait: No child processes.  Stop.`
    and exit 2, although the recipe itself stopped cleanly (about 1 stop in 8 when the recipe
    exits at once; reproduced with `exec python3 -c ...` as the recipe). That is make's noise,
    not the service's: anything else wrong still shows as leftovers, crash markers or a
    `make: *** [target] Error N` line, which this does not excuse.
    """
    return (
        returncode == 2
        and "make: *** wait: No child processes." in output
        and re.search(r"^make: \*\*\* \[", output, re.MULTILINE) is None
    )


@dataclass
class StepResult:
    name: str
    returncode: int
    output: str
    seconds: float


class Project:
    """A rendered variant and the commands run in it, with their output kept for a failure."""

    def __init__(self, variant: Variant, root: Path, env: dict[str, str]) -> None:
        self.variant = variant
        self.root = root
        self.env = env
        self.steps: list[StepResult] = []

    def make(self, target: str, **extra_env: str) -> StepResult:
        """`make TARGET` in its own process group; a failure fails the test with its output."""
        timeout = STEP_TIMEOUTS.get(target, 600.0)
        start = time.monotonic()
        proc = subprocess.Popen(
            ["make", target],
            cwd=self.root,
            env={**self.env, **extra_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            output += f"\n[killed after {timeout:.0f} s]"
        result = StepResult(f"make {target}", proc.returncode, output, time.monotonic() - start)
        self.steps.append(result)
        print(f"$ make {target}  -> exit {result.returncode} in {result.seconds:.1f} s")
        print(output)
        if result.returncode != 0:
            pytest.fail(
                f"{self.variant.id}: `make {target}` exited {result.returncode} "
                f"after {result.seconds:.1f} s in {self.root}\n{tail(output)}",
                pytrace=False,
            )
        return result

    def timings(self) -> str:
        return ", ".join(f"{s.name} {s.seconds:.1f}s" for s in self.steps)


class Server:
    """`make run` (or `make worker`) as a real process in its own process group, output to a
    log file."""

    def __init__(
        self, project: Project, port: int, database_url: str, target: str = "run", **env: str
    ) -> None:
        self.project = project
        self.port = port
        self.target = target
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = project.root.parent / f"{target}-{port}.log"
        process_env = dict(project.env)
        process_env.update(HOST="127.0.0.1", PORT=str(port), DATABASE_URL=database_url, **env)
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            ["make", target],
            cwd=project.root,
            env=process_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> list[str]:
        """SIGTERM the whole group; return what went wrong (empty: a clean exit)."""
        problems: list[str] = []
        pgid = self.proc.pid
        start = time.monotonic()
        if self.alive():
            os.killpg(pgid, signal.SIGTERM)
        else:
            problems.append(f"`make {self.target}` had already exited with {self.proc.returncode}")
        try:
            returncode = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = None
            problems.append(
                f"`make {self.target}` was still running {STOP_TIMEOUT:.0f} s after SIGTERM"
            )
        while group_members(pgid) and time.monotonic() - start < STOP_TIMEOUT:
            time.sleep(0.1)
        if leftovers := group_members(pgid):
            problems.append("processes left running after SIGTERM:\n  " + "\n  ".join(leftovers))
        if leftovers or returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait()
        # GNU make, signalled itself, waits for its recipe and then dies of the same signal, so
        # -SIGTERM is make's clean exit; a recipe that failed makes it print `make: *** [...]`.
        output = self.output()
        if returncode not in (None, 0, -signal.SIGTERM) and not make_lost_wait_race(
            returncode, output
        ):
            problems.append(f"`make {self.target}` exited with {returncode}")
        for marker in CRASH_MARKERS:
            if marker in output:
                problems.append(f"the server's output holds {marker!r}")
        for code in re.findall(r"^make: \*\*\* \[.*\] Error (\d+)$", output, re.MULTILINE):
            if int(code) > 128 and int(code) - 128 in signal.valid_signals():
                name = signal.Signals(int(code) - 128).name
                problems.append(
                    f"make's recipe exited {code} (128 + {name}): a process died of the signal "
                    "or re-raised it after shutting down, instead of exiting 0 (uvicorn re-raises "
                    "the signal it caught unless the program handles it)"
                )
        print(
            f"$ make {self.target}  -> stopped in {time.monotonic() - start:.1f} s, "
            f"exit {returncode}"
        )
        self.log.close()
        return problems


@pytest.fixture
def served() -> Iterator[list[Server]]:
    """Servers started by a test; any still running at teardown is killed."""
    servers: list[Server] = []
    yield servers
    for server in servers:
        if server.alive() or group_members(server.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


def require_tools(variant: Variant) -> None:
    path = tool_path()
    missing = [tool for tool in variant.tools if shutil.which(tool, path=path) is None]
    if variant.db == "postgres" and not postgres_server_url():
        missing.append("a PostgreSQL server in MVPGEN_POSTGRES_URL (scripts/test starts one)")
    if not missing:
        return
    reason = f"{variant.id} needs {', '.join(missing)}"
    if in_ci():
        pytest.fail(f"{reason} (CI runs the whole matrix: install them)", pytrace=False)
    pytest.skip(reason)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_variant(
    variant: Variant, tmp_path: Path, uv_cache_dir: Path, served: list[Server]
) -> None:
    spec = variant.spec()
    start = time.monotonic()
    # Rendering needs none of the project's tools: a machine without them still renders (and
    # so checks) every variant before skipping the rest.
    root = generate(spec, tmp_path / spec.name, git=False)
    print(f"rendered {variant.id} into {root} in {time.monotonic() - start:.1f} s")
    require_tools(variant)
    project = Project(variant, root, project_env(uv_cache_dir))
    # Without uv: `make install` bootstraps the project's own, and `make run` uses it.
    no_uv = {"PATH": path_without_uv(tmp_path)} if variant.without_uv else {}

    for step in variant.steps:
        env = variant.test_env() if step == "test" else no_uv if step == "install" else {}
        result = project.make(step, **env)
        if step == "install" and no_uv:
            assert "uv is not on PATH: installing uv" in result.output, result.output
            assert (root / ".tools" / "bin" / "uv").is_file(), "no uv in .tools/"

    if variant.db == "sqlite":
        check_settings(project, tmp_path)
    database_url = variant.database_url(tmp_path)
    checks = serve_and_smoke(project, served, database_url, **no_uv)
    if variant.scale_out:
        checks += scale_out_and_smoke(project, served, database_url)
    if variant.stopped_under_load:
        checks += stop_under_load(project, served, database_url)
    print(
        f"{variant.id}: {project.timings()}, smoke {checks} checks, total "
        f"{time.monotonic() - start:.1f}s"
    )


def check_settings(project: Project, scratch: Path) -> None:
    """Start-up settings, the same in every stack: LOG_LEVEL in any case works, and an SQLite
    file in a folder that does not exist stops the service with one line naming the folder."""
    ok = project.make("migrate", LOG_LEVEL="warning", DATABASE_URL=f"sqlite:///{scratch}/lvl.db")
    assert "Traceback" not in ok.output, ok.output
    missing = scratch / "no-such-folder"
    url = f"sqlite:///{missing / 'app.db'}"
    commands = [(["make", "migrate"], project.root)]
    if project.variant.stack == "hybrid":  # `make migrate` is the API's: start the Go side too
        commands.append((["./bin/server"], project.root / "core"))
    for command, folder in commands:
        result = subprocess.run(
            command,
            cwd=folder,
            env={**project.env, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        output = result.stdout + result.stderr
        named = [line for line in output.splitlines() if f"the folder {missing} does not" in line]
        assert result.returncode != 0, f"{command} started with {url}:\n{output}"
        assert len(named) == 1, f"{command}: want one line naming {missing}:\n{output}"
        assert "Traceback" not in output and "panic" not in output, output


def serve_and_smoke(project: Project, served: list[Server], database_url: str, **env: str) -> int:
    """`make run` (with `env` on top of the project's), the smoke client against it, SIGTERM;
    returns the number of checks.

    Hybrid: `make run` serves the API on PORT and the Go service on CORE_PORT; the smoke client
    drives the API (whose jobs only the Go worker runs), then a batch is ingested through Go.
    """
    variant, spec = project.variant, project.variant.spec()
    core_port = free_port() if variant.stack == "hybrid" else None
    extra_env = {"CORE_PORT": str(core_port)} if core_port else {}
    server = Server(project, free_port(), database_url, **extra_env, **env)
    served.append(server)
    smoke_start = time.monotonic()
    failure = None
    try:
        wait_ready(server.base_url, READY_TIMEOUT, alive=server.alive)
        checks = run_smoke(server.base_url, spec.model_dump(mode="json"))
        if core_port:
            core_url = f"http://127.0.0.1:{core_port}"
            wait_ready(core_url, READY_TIMEOUT, alive=server.alive)
            checks += run_ingest_check(core_url, server.base_url, spec.model_dump(mode="json"))
            if variant.auth:
                # The smoke run drove the API alone: the users' isolation step, references
                # included, against the Go service's own endpoints too.
                checks += run_isolation(core_url, spec.model_dump(mode="json"))
        # With --auth, both act for a user signed up here. Schemathesis comes last: its own
        # sign-ups and logins spend this address's attempts for the rate limit's window.
        headers = sign_up(server.base_url) if variant.auth else {}
        checks += run_oversize_check(server.base_url, spec.model_dump(mode="json"), headers=headers)
        checks += run_schemathesis(server.base_url, project.root.parent, headers)
        if core_port:
            checks += run_oversize_check(
                core_url, spec.model_dump(mode="json"), ingest=True, headers=headers
            )
            checks += run_schemathesis(core_url, project.root.parent, headers)
    except SmokeFailure as exc:
        failure = str(exc)
    if failure is not None:
        server.stop()
        pytest.fail(
            f"{variant.id}: smoke test against `make run` failed:\n{failure}\n\n"
            f"--- make run output (tail) ---\n{tail(server.output())}",
            pytrace=False,
        )
    smoke_seconds = time.monotonic() - smoke_start
    problems = server.stop()
    if problems:
        pytest.fail(
            f"{variant.id}: `make run` did not stop cleanly on SIGTERM:\n- "
            + "\n- ".join(problems)
            + f"\n\n--- make run output (tail) ---\n{tail(server.output())}",
            pytrace=False,
        )
    print(f"{variant.id}: smoke {checks} checks in {smoke_seconds:.1f}s")
    return checks


def sign_up(base_url: str) -> dict[str, str]:
    """A new account on the service: the Authorization header that acts for it."""
    account = {"email": f"fuzz-{uuid.uuid4().hex[:10]}@example.com", "password": "x" * 12}
    response = httpx.post(f"{base_url}/api/v1/auth/signup", json=account, timeout=30)
    if response.status_code != 201:
        raise SmokeFailure(f"sign-up for the fuzzing: {response.status_code} {response.text}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run_schemathesis(base_url: str, scratch: Path, headers: dict[str, str] | None = None) -> int:
    """Schemathesis against the service's own OpenAPI document: every check, every phase
    (examples, coverage, fuzzing, stateful), the seed printed; returns the number of test cases.

    Any failure (a 5xx, a status or body the document does not describe, a valid request
    refused, an invalid one accepted, a missing Allow on 405...) fails the step. `headers`
    (with --auth, a user's token) go on every request; its `ignored_auth` check then also
    sends each request that needs a token without one, which must be a 401.
    """
    seed = int(os.environ.get("MVPGEN_SCHEMATHESIS_SEED") or random.randrange(2**31))
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base_url}/openapi.json",
        "--checks=all",
        # A schema-valid body may still name a row that does not exist (a reference): the
        # contract answers 422 naming the field, which this check would count as a failure.
        "--exclude-checks=positive_data_acceptance",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--max-examples={SCHEMATHESIS_EXAMPLES}",
        f"--seed={seed}",
        "--workers=1",
        "--request-timeout=20",
        "--generation-database=none",
        # NUL in bodies and query strings: PostgreSQL cannot store it, so a 422, never a 500.
        "--generation-allow-x00=true",
        "--no-color",
    ]
    for name, value in (headers or {}).items():
        command.append(f"--header={name}: {value}")
    if headers:
        # Logout would revoke the token every later request carries.
        command.append("--exclude-path=/api/v1/auth/logout")
    start = time.monotonic()
    result = subprocess.run(
        command, cwd=scratch, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600
    )
    seconds = time.monotonic() - start
    found = re.search(r"(\d+) generated", result.stdout)
    cases = int(found.group(1)) if found else 0
    print(f"schemathesis {base_url}: seed {seed}, {cases} cases in {seconds:.1f} s")
    if result.returncode != 0 or not cases:
        raise SmokeFailure(
            f"schemathesis (seed {seed}; replay: MVPGEN_SCHEMATHESIS_SEED={seed}) exited "
            f"{result.returncode}:\n{tail(result.stdout, 150)}\n{tail(result.stderr, 30)}"
        )
    return cases


def scale_out_and_smoke(project: Project, served: list[Server], database_url: str) -> int:
    """The API with its in-process worker off, three `make worker` processes doing the jobs.

    The smoke client waits for its jobs to succeed, then the run waits for every job; each
    process logs JSON, and each job must appear as succeeded in exactly one worker's log and
    in none of the API's (proof the separate workers did the work: an API that ignored
    WORKER_ENABLED=false would fail here). Then SIGTERM to each, and each must stop cleanly.
    Hybrid: WORKER_ENABLED=false reaches both services `make run` starts, so neither works the
    queue and the three Go workers of `make worker` run every job; the core service still
    serves, on a free CORE_PORT.
    """
    variant, spec = project.variant, project.variant.spec()
    extra_env = {"CORE_PORT": str(free_port())} if variant.stack == "hybrid" else {}
    # JSON logs: each process's "job succeeded" lines name the jobs it ran.
    if variant.auth:
        # The first run's schemathesis spent this address's sign-up and login attempts for the
        # rate limit's window; the smoke client signs up and logs in again.
        extra_env["AUTH_RATE_LIMIT"] = "1000"
    api = Server(
        project, free_port(), database_url, WORKER_ENABLED="false", LOG_FORMAT="json", **extra_env
    )
    served.append(api)
    workers: list[Server] = []
    failure = None
    jobs: list[int] = []
    try:
        wait_ready(api.base_url, READY_TIMEOUT, alive=api.alive)  # migrated: workers may start
        newest_before = 0 if variant.auth else newest_job_id(api.base_url)
        for _ in range(3):
            workers.append(
                Server(
                    project,
                    free_port(),
                    database_url,
                    "worker",
                    WORKER_CONCURRENCY="2",
                    LOG_FORMAT="json",
                )
            )
            served.append(workers[-1])
            # One at a time: each `make worker` may build first, and two builds of one
            # binary at once race.
            wait_logged(workers[-1], "worker started")
        checks = run_smoke(api.base_url, spec.model_dump(mode="json"))
        if variant.auth:
            # The jobs API wants a user's token: the smoke run saw its own jobs succeed, and
            # the logs say who ran every job.
            jobs = sorted({job for w in workers for job in jobs_logged(w, "job succeeded")})
        else:
            jobs = settled_jobs(api.base_url, after=newest_before)
    except SmokeFailure as exc:
        failure = str(exc)
    problems = [f"api: {p}" for p in api.stop()]
    for n, worker in enumerate(workers):
        problems += [f"worker {n}: {p}" for p in worker.stop()]
    if failure is None:
        problems += who_ran(jobs, api, workers)
    if failure is not None or problems:
        logs = "\n".join(
            f"--- make {server.target} output (tail) ---\n{tail(server.output(), 40)}"
            for server in [api, *workers]
        )
        pytest.fail(
            f"{variant.id}: scale-out run (API without its worker, three `make worker`) "
            f"failed:\n{failure or ''}\n- " + "\n- ".join(problems) + f"\n\n{logs}",
            pytrace=False,
        )
    return checks


def newest_job_id(base_url: str) -> int:
    page = httpx.get(f"{base_url}/api/v1/jobs", params={"limit": 1}, timeout=10).json()
    return int(page["items"][0]["id"]) if page["items"] else 0


def settled_jobs(base_url: str, *, after: int, timeout: float = 60.0) -> list[int]:
    """Wait until no job is queued or running; the ids of the jobs newer than `after`, each
    of which must have succeeded (the sample handlers succeed even for a deleted row)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while True:
            pending = sum(
                client.get("/api/v1/jobs", params={"status": status, "limit": 1}).json()["total"]
                for status in ("queued", "running")
            )
            if pending == 0:
                break
            if time.monotonic() > deadline:
                raise SmokeFailure(f"{pending} jobs still queued or running after {timeout:.0f} s")
            time.sleep(0.2)
        jobs: dict[int, str] = {}
        offset = 0
        while True:
            page = client.get("/api/v1/jobs", params={"limit": 100, "offset": offset}).json()
            jobs.update({job["id"]: job["status"] for job in page["items"] if job["id"] > after})
            offset += 100
            if offset >= page["total"] or not page["items"] or page["items"][-1]["id"] <= after:
                break
    if unsettled := {job: status for job, status in jobs.items() if status != "succeeded"}:
        raise SmokeFailure(f"jobs that did not succeed: {unsettled}")
    return sorted(jobs)


def wait_logged(server: Server, message: str, timeout: float = READY_TIMEOUT) -> None:
    """Until `server` writes a JSON log line whose message is `message`."""
    deadline = time.monotonic() + timeout
    while not any(record.get("msg") == message for record in json_lines(server)):
        if not server.alive():
            raise SmokeFailure(f"`make {server.target}` exited before logging {message!r}")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"`make {server.target}` did not log {message!r} in {timeout:.0f} s")
        time.sleep(0.1)


def json_lines(server: Server) -> list[dict[str, object]]:
    """The JSON log lines of `server` (make's own lines and other text are left out)."""
    records = []
    for line in server.output().splitlines():
        with contextlib.suppress(ValueError):
            if isinstance(record := json.loads(line), dict):
                records.append(record)
    return records


def jobs_logged(server: Server, message: str) -> list[int]:
    """The job ids of the JSON log lines of `server` whose message is `message`."""
    return [int(str(r["job_id"])) for r in json_lines(server) if r.get("msg") == message]


def who_ran(jobs: list[int], api: Server, workers: list[Server]) -> list[str]:
    """Problems unless the `make worker` processes, and they alone, ran each job exactly once.

    An API that ignored WORKER_ENABLED=false would log jobs of its own here.
    """
    problems = []
    if started := jobs_logged(api, "job started"):
        problems.append(f"the API (WORKER_ENABLED=false) ran jobs itself: {sorted(started)}")
    ran = Counter(job for worker in workers for job in jobs_logged(worker, "job succeeded"))
    if missing := [job for job in jobs if ran[job] == 0]:
        problems.append(f"no `make worker` process logged these jobs as succeeded: {missing}")
    if twice := sorted(job for job, count in ran.items() if count > 1):
        problems.append(f"jobs run more than once: {twice}")
    if not jobs:
        problems.append("the run made no jobs: nothing shows the workers worked")
    shares = [len(jobs_logged(worker, "job succeeded")) for worker in workers]
    print(f"scale-out: {len(jobs)} jobs, run by the three workers as {shares}")
    return problems


# The load of the stop-under-load step: a few clients on keep-alive connections, each posting
# at most this many rows, to 127.0.0.1 only.
LOAD_CLIENTS = 8
LOAD_POSTS_EACH = 60
DRAIN_SECONDS = 2.0


@dataclass
class LoadResult:
    acknowledged: list[int]  # ids of the rows a 201 acknowledged
    failures: list[str]  # requests sent that got no answer, or an answer other than 201


def stop_under_load(project: Project, served: list[Server], database_url: str) -> int:
    """SIGTERM to `make run` while clients post, then a restart on the same database.

    The clients behave as behind a load balancer: they stop starting requests once /readyz
    answers 503, which the server does for SHUTDOWN_DRAIN_SECONDS before it stops. With the
    drain period on, no request may fail mid-flight (a reset, a closed keep-alive connection:
    a client could not tell whether it was written), and after the restart every acknowledged
    row is there, with its one job run exactly once.
    """
    variant, spec = project.variant, project.variant.spec()
    resource = spec.model_dump(mode="json")["resources"][0]
    core = {"CORE_PORT": str(free_port())} if variant.stack == "hybrid" else {}
    drain = {"SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    server = Server(project, free_port(), database_url, **drain, **core)
    served.append(server)
    try:
        wait_ready(server.base_url, READY_TIMEOUT, alive=server.alive)
        newest_before = newest_job_id(server.base_url)
    except SmokeFailure as exc:
        server.stop()
        pytest.fail(f"{variant.id}: `make run` did not start:\n{exc}\n{tail(server.output())}")
    load = Load(server.base_url, resource)
    load.start()
    load.wait_for(LOAD_CLIENTS * 5)  # under way on every connection
    problems = server.stop()
    result = load.finish()
    if not load.saw_draining:
        problems.append("the clients never saw /readyz answer 503 before the server stopped")
    problems += [f"mid-flight failure: {failure}" for failure in result.failures]

    restarted = Server(project, free_port(), database_url, **core)
    served.append(restarted)
    try:
        wait_ready(restarted.base_url, READY_TIMEOUT, alive=restarted.alive)
        problems += account_for(restarted.base_url, resource, result.acknowledged, newest_before)
    except SmokeFailure as exc:
        problems.append(str(exc))
    problems += [f"restarted: {p}" for p in restarted.stop()]
    if problems:
        pytest.fail(
            f"{variant.id}: SIGTERM under load ({LOAD_CLIENTS} clients, drain "
            f"{DRAIN_SECONDS:.0f} s), then a restart:\n- "
            + "\n- ".join(problems)
            + f"\n\n--- make run output (tail) ---\n{tail(server.output(), 60)}",
            pytrace=False,
        )
    print(
        f"{variant.id}: stopped under load: {len(result.acknowledged)} rows acknowledged, "
        "all there after the restart, each job run once"
    )
    return len(result.acknowledged)


class Load:
    """Clients posting the resource's sample on keep-alive connections, and a balancer that
    polls /readyz and stops them starting requests once it answers anything but 200."""

    def __init__(self, base_url: str, resource: dict[str, Any]) -> None:
        self.base_url = base_url
        self.resource = resource
        self.ready = threading.Event()
        self.ready.set()
        self.saw_draining = False
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.result = LoadResult([], [])
        self.threads = [threading.Thread(target=self.client) for _ in range(LOAD_CLIENTS)]
        self.threads.append(threading.Thread(target=self.balancer))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait_for(self, acknowledged: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.result.acknowledged) < acknowledged and time.monotonic() < deadline:
            time.sleep(0.05)

    def finish(self) -> LoadResult:
        self.done.set()
        for thread in self.threads:
            thread.join()
        return self.result

    def client(self) -> None:
        path, body = self.resource["path"], self.resource["sample"]
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            for _ in range(LOAD_POSTS_EACH):
                if not self.ready.is_set() or self.done.is_set():
                    return
                try:
                    response = client.post(path, json=body)
                except httpx.ConnectError:
                    return  # refused before anything was sent: nothing to account for
                except httpx.HTTPError as exc:
                    with self.lock:
                        self.result.failures.append(f"POST {path}: {type(exc).__name__}: {exc}")
                    return
                with self.lock:
                    if response.status_code == 201:
                        self.result.acknowledged.append(int(response.json()["id"]))
                    else:
                        self.result.failures.append(
                            f"POST {path} -> {response.status_code} {response.text[:200]}"
                        )

    def balancer(self) -> None:
        while not self.done.is_set():
            try:
                status = httpx.get(f"{self.base_url}/readyz", timeout=5).status_code
            except httpx.HTTPError:
                status = 0
            if status != 200:
                self.saw_draining = status == 503
                self.ready.clear()
                return
            time.sleep(0.1)


def account_for(
    base_url: str, resource: dict[str, Any], acknowledged: list[int], newest_before: int
) -> list[str]:
    """Problems unless every acknowledged row is there, with exactly one job for it (and one
    for no other row), run once."""
    problems = []
    jobs = settled_jobs(base_url, after=newest_before)
    with httpx.Client(base_url=base_url, timeout=10) as client:
        missing = [
            rid
            for rid in acknowledged
            if client.get(f"{resource['path']}/{rid}").status_code != 200
        ]
        details = [client.get(f"/api/v1/jobs/{job}").json() for job in jobs]
    if missing:
        problems.append(f"acknowledged rows missing after the restart: {missing}")
    mine = Counter(job["payload"]["id"] for job in details if job["kind"] == resource["job_kind"])
    if wrong := {rid: mine[rid] for rid in acknowledged if mine[rid] != 1}:
        problems.append(f"acknowledged rows without exactly one job (row: jobs): {wrong}")
    if unknown := sorted(set(mine) - set(acknowledged)):
        problems.append(f"jobs for rows no 201 acknowledged: {unknown}")
    if twice := [job["id"] for job in details if job["attempts"] != 1]:
        problems.append(f"jobs run more than once (attempts != 1): {twice}")
    return problems
