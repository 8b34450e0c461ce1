"""List-query benchmark: a list filtered on an indexed reference column against a lookup by id.

The Go stack is rendered for `customer name:str` and `order total:float note:str
customer:ref`, on SQLite and on PostgreSQL. Each database gets `--customers` customers and
`--rows` orders (100,000 by default, spread evenly over the customers, written straight into
the database after the service's own migration), then the service is loaded in turn with

- by id:     GET /api/v1/orders/{id}            (ids cycling through every order)
- filtered:  GET /api/v1/orders?customer_id={id} (a page of 20, `total` counted: the index on
             customer_id serves both the page and the count)

for `--seconds` each, alternating for `--rounds` rounds, and the median of each figure is
printed with the filtered/by-id ratio. The machine is shared and noisy: compare the ratio.

    python benchmarks/bench_relations.py [--rows 100000] [--customers 1000] [--db sqlite|postgres]

PostgreSQL: the server MVPGEN_POSTGRES_URL names (an admin URL; a database per run is
created and dropped). Needs Go (the service and the load generator are built with it).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from mvpgen.load import Server, build_loadgen, drive, postgres_database, postgres_sql
from mvpgen.render import generate
from mvpgen.spec import build_project

RESOURCES = ["order total:float note:str customer:ref", "customer name:str"]
NOW = "2024-01-31 09:00:00.000000"


def build(db: str, workdir: Path) -> Path:
    root = generate(
        build_project("relbench", stack="go", db=db, resources=RESOURCES), workdir / db, git=False
    )
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run(
        ["go", "build", "-o", "bin/server", "./cmd/server"], cwd=root, env=env, check=True
    )
    return root


def migrate(root: Path, url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(["./bin/server", "migrate"], cwd=root, env=env, check=True, capture_output=True)


def seed_sqlite(path: Path, rows: int, customers: int) -> None:
    with sqlite3.connect(path) as db:
        db.executemany(
            'INSERT INTO "customers" ("name", "created_at", "updated_at") VALUES (?, ?, ?)',
            ((f"customer {n}", NOW, NOW) for n in range(customers)),
        )
        db.executemany(
            'INSERT INTO "orders" ("total", "note", "customer_id", "created_at", "updated_at") '
            "VALUES (?, ?, ?, ?, ?)",
            ((n * 0.5, f"order {n}", n % customers + 1, NOW, NOW) for n in range(rows)),
        )
        db.execute("ANALYZE")


def seed_postgres(url: str, rows: int, customers: int) -> None:
    postgres_sql(
        url,
        f'INSERT INTO "customers" ("name", "created_at", "updated_at") '
        f"SELECT 'customer ' || n, now(), now() FROM generate_series(1, {customers}) AS n; "
        f'INSERT INTO "orders" ("total", "note", "customer_id", "created_at", "updated_at") '
        f"SELECT n * 0.5, 'order ' || n, n % {customers} + 1, now(), now() "
        f"FROM generate_series(1, {rows}) AS n; ANALYZE",
    )


def measure(
    root: Path, url: str, args: argparse.Namespace, loadgen: Path
) -> dict[str, list[float]]:
    env = {**os.environ, "DATABASE_URL": url, "WORKER_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    env["ENVIRONMENT"] = "production"
    server = Server("go", ["./bin/server"], root, env)
    figures: dict[str, list[float]] = {}
    try:
        server.wait_ready()
        targets = {
            "by id": (f"{server.base}/api/v1/orders/{{id}}", args.rows),
            "filtered": (f"{server.base}/api/v1/orders?customer_id={{id}}", args.customers),
        }
        for _ in range(args.rounds):
            for name, (target, ids) in targets.items():
                result = drive(
                    loadgen, target, seconds=args.seconds, connections=args.connections, ids=ids
                )
                if result.errors:
                    raise SystemExit(f"{name}: {result.errors} errors ({result.first_error})")
                for key, value in (
                    ("req/s", result.rps),
                    ("p50 ms", result.p50_ms),
                    ("p99 ms", result.p99_ms),
                ):
                    figures.setdefault(f"{name} {key}", []).append(value)
    finally:
        server.stop()
    return figures


def report(db: str, figures: dict[str, list[float]], args: argparse.Namespace) -> None:
    print(
        f"\n{db}: {args.rows:,} orders over {args.customers:,} customers, "
        f"{args.connections} connections, {args.rounds} x {args.seconds:g} s per figure (median)"
    )
    print(f"{'':12}{'by id':>12}{'filtered':>12}{'filtered/by id':>16}")
    for key in ("req/s", "p50 ms", "p99 ms"):
        by_id = statistics.median(figures[f"by id {key}"])
        filtered = statistics.median(figures[f"filtered {key}"])
        print(f"{key:12}{by_id:12,.1f}{filtered:12,.1f}{filtered / by_id:16.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    admin = os.environ.get("MVPGEN_POSTGRES_URL", "")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in dbs and not admin:
        print("postgres: skipped (set MVPGEN_POSTGRES_URL to an admin URL)", file=sys.stderr)
        dbs.remove("postgres")
    loadgen = build_loadgen()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for db in dbs:
            root = build(db, workdir)
            if db == "sqlite":
                url = f"sqlite:///{workdir / 'bench.db'}"
                migrate(root, url)
                seed_sqlite(workdir / "bench.db", args.rows, args.customers)
                report(db, measure(root, url, args, loadgen), args)
            else:
                with postgres_database(admin, "relations") as url:
                    migrate(root, url)
                    seed_postgres(url, args.rows, args.customers)
                    report(db, measure(root, url, args, loadgen), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
