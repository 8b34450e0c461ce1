"""What the benchmarks share: served processes, the load generator, throwaway databases.

`mvpgen bench` and `benchmarks/bench_service.py` both start services as real processes on
127.0.0.1, drive load at them with the small Go program in `loadgen/` (built once into a cache
folder with the Go toolchain the Go stack needs anyway; a Python client cannot saturate a Go
service), and stop everything they started, whatever happens.
"""

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from mvpgen.errors import MvpgenError

LOADGEN_SOURCE = Path(__file__).parent / "loadgen"


class BenchError(MvpgenError):
    """A benchmark could not run: a service did not start, a tool failed."""

    exit_code = 1


@dataclass(frozen=True)
class LoadResult:
    """What one load run saw. Latencies in milliseconds."""

    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    first_error: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mvpgen"


def go_missing_reason() -> str:
    """Why the Go half cannot run here, or "" when it can."""
    if shutil.which("go") is None:
        return "no Go toolchain: `go` is not on PATH (https://go.dev/dl/)"
    return ""


def find_uv() -> str | None:
    """uv on PATH, or the one installed beside this Python (mvpgen's own virtualenv)."""
    beside = Path(sys.executable).parent / "uv"
    return shutil.which("uv") or (str(beside) if beside.exists() else None)


def build_loadgen(progress: Callable[[str], None] | None = None) -> Path:
    """The load generator's binary, built on first use into the cache folder.

    The source has no dependencies, so this needs the Go toolchain only, no network. The binary
    is named after a hash of its source, so an upgraded mvpgen builds its own.
    """
    digest = hashlib.sha256()
    for name in ("go.mod", "main.go"):
        digest.update((LOADGEN_SOURCE / name).read_bytes())
    binary = cache_dir() / f"loadgen-{digest.hexdigest()[:12]}"
    if binary.exists():
        return binary
    if progress:
        progress("building the load generator (once, into the cache folder)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(f".{os.getpid()}.tmp")
    result = subprocess.run(
        ["go", "build", "-o", str(partial), "."],
        cwd=LOADGEN_SOURCE,
        env={**os.environ, "CGO_ENABLED": "0"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BenchError(f"building the load generator failed: {result.stderr.strip()}")
    partial.replace(binary)
    return binary


def drive(
    loadgen: Path | None,
    url: str,
    *,
    seconds: float,
    connections: int,
    ids: int = 1,
    body: str = "",
    cpus: str = "",
) -> LoadResult:
    """Drive load at `url` ({id} cycles through 1..ids): POST when there is a body, else GET.

    Without a load generator (no Go toolchain) a Python client stands in; it cannot saturate a
    fast service, so its figures are a floor.
    """
    if loadgen is None:
        return _python_drive(
            url, seconds=seconds, connections=min(connections, 8), ids=ids, body=body
        )
    command = [str(loadgen), "-url", url, "-ids", str(ids), "-c", str(connections)]
    command += ["-d", f"{seconds}s"]
    if body:
        command += ["-method", "POST", "-body", body]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise BenchError(f"the load generator failed: {result.stderr.strip()}")
    data = json.loads(result.stdout)
    if data["requests"] == 0:
        # Every request was still waiting when the run ended: a stuck service, not a fast one.
        stuck = f"no request completed in {seconds:g} s"
        return LoadResult(requests=0, errors=1, rps=0.0, p50_ms=0.0, p99_ms=0.0, first_error=stuck)
    return LoadResult(
        requests=data["requests"],
        errors=data["errors"],
        rps=data["rps"],
        p50_ms=data["p50_ms"],
        p99_ms=data["p99_ms"],
        first_error=data.get("first_error", ""),
    )


def _python_drive(url: str, *, seconds: float, connections: int, ids: int, body: str) -> LoadResult:
    """A keep-alive client per thread: the stand-in load generator when Go is missing."""
    parsed = urllib.parse.urlsplit(url)
    expect = 201 if body else 200
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
        mine: list[float] = []
        failed: list[str] = []
        i = n
        while time.monotonic() < deadline:
            path = parsed.path.replace("{id}", str(i % ids + 1))
            i += connections
            began = time.perf_counter()
            try:
                headers = {"Content-Type": "application/json"} if body else {}
                conn.request("POST" if body else "GET", path, body or None, headers)
                response = conn.getresponse()
                text = response.read()
                if response.status != expect:
                    failed.append(f"status {response.status}: {text[:200]!r}")
            except OSError as exc:
                failed.append(str(exc))
                conn.close()
            mine.append((time.perf_counter() - began) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[max(0, min(round(p * len(latencies)) - 1, len(latencies) - 1))]

    return LoadResult(
        requests=len(latencies),
        errors=len(errors),
        rps=len(latencies) / elapsed,
        p50_ms=pct(0.5) if latencies else 0.0,
        p99_ms=pct(0.99) if latencies else 0.0,
        first_error=errors[0] if errors else "",
    )


class Server:
    """A service run as its own process group, so that stopping it stops all its children."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [arg.format(port=self.port) for arg in command],
            cwd=cwd,
            env={**env, "HOST": "127.0.0.1", "PORT": str(self.port)},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/readyz", timeout: float = 60) -> float:
        """Wait for a 2xx from `path`; the milliseconds from the process's start to it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited with {self.proc.returncode}: {self.output()[-600:]}"
                )
            try:
                with urllib.request.urlopen(self.base + path, timeout=2):
                    return (time.perf_counter() - self.started) * 1000
            except (OSError, http.client.HTTPException):
                time.sleep(0.005)
        raise BenchError(f"{self.name} did not answer {path} within {timeout:.0f} s")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def _group(self) -> Iterator[tuple[Path, list[str]]]:
        """Each process of the group: its /proc folder and its stat fields after the name."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.proc.pid:  # the process group id
                    yield stat.parent, fields

    def rss_mb(self) -> float:
        """The resident memory of every process in the group, in MiB (0 where /proc is absent)."""
        total_kb = 0
        for folder, _ in self._group():
            with contextlib.suppress(OSError, ValueError, StopIteration):
                status = (folder / "status").read_text()
                line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
                total_kb += int(line.split()[1])
        return total_kb / 1024

    def cpu_seconds(self) -> float:
        """The CPU time the group has used so far (user and system; 0 where /proc is absent).

        On a shared machine, CPU time per request is the steadier measure of a service's cost:
        requests per second also move with whatever else the machine is running.
        """
        ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in self._group())
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_group(self.proc)
        self.log.close()


def stop_group(proc: "subprocess.Popen[bytes]") -> None:
    """SIGTERM a process started in its own session and its group, SIGKILL it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    else:
        # The leader is gone; children it left in the group may not be.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


class Servers:
    """Every server a run started, each stopped on the way out, Ctrl-C or SIGTERM included."""

    def __init__(self) -> None:
        self.running: list[Server] = []

    def start(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> Server:
        server = Server(name, command, cwd, env)
        self.running.append(server)
        return server

    def stop(self, server: Server) -> None:
        server.stop()
        self.running.remove(server)

    def stop_all(self) -> None:
        while self.running:
            self.stop(self.running[-1])


@contextlib.contextmanager
def servers() -> Iterator[Servers]:
    """Servers that are all stopped when the block ends; SIGTERM ends it as Ctrl-C would."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    group = Servers()
    try:
        yield group
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            group.stop_all()
        finally:
            signal.signal(signal.SIGINT, sigint)
            signal.signal(signal.SIGTERM, previous)


def post_json(url: str, body: str) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, object] = json.load(response)
        return result


def get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=30) as response:
        result: dict[str, object] = json.load(response)
        return result


# Throwaway PostgreSQL databases, on the server an admin URL points at.


def database_url(admin_url: str, name: str) -> str:
    """The admin URL with its database replaced by `name`."""
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def postgres_sql(admin_url: str, statement: str, python: Path | None = None) -> None:
    """Run one statement as the admin URL's user: with psql, else with psycopg in `python`."""
    if shutil.which("psql"):
        command = ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qc", statement]
    elif python is not None:
        script = (
            "import sys, psycopg\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as c: c.execute(sys.argv[2])"
        )
        command = [str(python), "-c", script, admin_url, statement]
    else:
        raise BenchError("--db postgres needs psql (it comes with PostgreSQL's client package)")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"{statement}: {result.stderr.strip().splitlines()[-1:]}")


@contextlib.contextmanager
def postgres_database(admin_url: str, label: str, python: Path | None = None) -> Iterator[str]:
    """A new database for the block, dropped afterwards; yields its URL."""
    name = f"mvpgen_bench_{label}_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    postgres_sql(admin_url, f'CREATE DATABASE "{name}"', python)
    try:
        yield database_url(admin_url, name)
    finally:
        postgres_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', python)
