"""The least a FastAPI service can do for the service benchmark's requests.

On the `product name:str price:float stock:int=0` table: read one row by id, and create one
row with its job in one transaction. Bare FastAPI with async endpoints and the same
uvicorn[standard]; stdlib sqlite3 on SQLite, psycopg's async connections on PostgreSQL. No ORM,
no settings, no error handlers; but what the contract asks of every request, as cheaply as it
can be done by hand: the request id (the caller's X-Request-ID, else a new one) on the response,
one JSON log line per request on stdout (the generated service's keys), and 413 beyond 1 MiB.

With `orm` as a third argument, the same service reaches its database through SQLAlchemy's
asyncio ORM instead (aiosqlite; psycopg's async mode), written by hand and tuned as the
generated service's engines are: measured against it, the generated service's own code is what
differs, not its choice of libraries.

    python app.py DATABASE_URL PORT [orm]
"""

import asyncio
import datetime as dt
import json
import re
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, Protocol

import uvicorn
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COLUMNS = '"id", "name", "price", "stock", "created_at", "updated_at", "processed_at"'
SELECT = f'SELECT {COLUMNS} FROM "products" WHERE "id" = ?'
INSERT = (
    'INSERT INTO "products" ("name", "price", "stock", "created_at", "updated_at") '
    f"VALUES (?, ?, ?, ?, ?) RETURNING {COLUMNS}"
)
INSERT_JOB = (
    'INSERT INTO "jobs" ("kind", "payload", "status", "attempts", "max_attempts", "run_at", '
    '"created_at", "updated_at") VALUES (?, ?, ?, 0, 5, ?, ?, ?)'
)
JOB = "product.created"
SQLITE_PRAGMAS = ("busy_timeout = 10000", "journal_mode = WAL", "synchronous = NORMAL")


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


class Database(Protocol):
    async def get(self, row_id: int) -> Sequence[Any] | None: ...

    async def create(self, data: ProductIn) -> Sequence[Any]: ...


class SQLite:
    """One connection: the event loop runs one statement at a time, so one writer as well."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            self.db.execute(f"PRAGMA {pragma}")

    async def get(self, row_id: int) -> Sequence[Any] | None:
        row = self.db.execute(SELECT, (row_id,)).fetchone()
        return None if row is None else self.times(row)

    async def create(self, data: ProductIn) -> Sequence[Any]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = self.db.execute(INSERT, (data.name, data.price, data.stock, now, now)).fetchone()
            self.db.execute(INSERT_JOB, (JOB, json.dumps({"id": row[0]}), "queued", now, now, now))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self.times(row)

    @staticmethod
    def times(row: Sequence[Any]) -> list[Any]:
        """SQLite's timestamps are naive UTC text."""
        return [
            dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC) if i >= 4 and v else v
            for i, v in enumerate(row)
        ]


class Postgres:
    """A pool of 20 async connections, as the generated service's pool allows."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: asyncio.Queue[Any] = asyncio.Queue()

    async def open(self) -> None:
        import psycopg

        for _ in range(20):
            self.pool.put_nowait(await psycopg.AsyncConnection.connect(self.url, autocommit=True))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        conn = await self.pool.get()
        try:
            yield conn
        finally:
            self.pool.put_nowait(conn)

    async def get(self, row_id: int) -> Sequence[Any] | None:
        async with self.connection() as conn:
            cursor = await conn.execute(SELECT.replace("?", "%s"), (row_id,))
            row: Sequence[Any] | None = await cursor.fetchone()
            return row

    async def create(self, data: ProductIn) -> Sequence[Any]:
        now = dt.datetime.now(dt.UTC)
        async with self.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                INSERT.replace("?", "%s"), (data.name, data.price, data.stock, now, now)
            )
            row: Sequence[Any] = await cursor.fetchone()
            await conn.execute(
                INSERT_JOB.replace("?", "%s"),
                (JOB, json.dumps({"id": row[0]}), "queued", now, now, now),
            )
            return row


class ORM:
    """SQLAlchemy's asyncio ORM, as a hand-written service would use it: a session per
    request, `session.get` by id, the row and its job added in one transaction. On SQLite one
    writer connection and a pool of autocommit readers; on PostgreSQL a pool of 20 steady,
    pinged connections, reads in autocommit (the generated service's engine settings)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        self.product, self.job = orm_models()
        if url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
            writer = create_async_engine(url, pool_size=1, max_overflow=0)
            reader = create_async_engine(
                url, pool_size=20, max_overflow=0, isolation_level="AUTOCOMMIT"
            )

            def pragmas(connection: Any, _record: Any) -> None:
                for pragma in SQLITE_PRAGMAS:
                    connection.execute(f"PRAGMA {pragma}")

            for engine in (writer, reader):
                sa.event.listen(engine.sync_engine, "connect", pragmas)
        else:
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
            writer = create_async_engine(url, pool_size=20, max_overflow=0, pool_pre_ping=True)
            reader = writer.execution_options(isolation_level="AUTOCOMMIT")
        self.writes = async_sessionmaker(writer, expire_on_commit=False)
        self.reads = async_sessionmaker(reader)

    async def get(self, row_id: int) -> Sequence[Any] | None:
        async with self.reads() as session:
            row = await session.get(self.product, row_id)
            return None if row is None else row.values()

    async def create(self, data: ProductIn) -> Sequence[Any]:
        now = dt.datetime.now(dt.UTC)
        async with self.writes() as session:
            row = self.product(**data.model_dump(), created_at=now, updated_at=now)
            session.add(row)
            await session.flush()
            session.add(
                self.job(
                    kind=JOB,
                    payload={"id": row.id},
                    status="queued",
                    attempts=0,
                    max_attempts=5,
                    run_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.commit()
            return row.values()


def orm_models() -> tuple[type, type]:
    """The two tables as mapped classes (built only when the ORM is used)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Product(Base):
        __tablename__ = "products"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        price: Mapped[float]
        stock: Mapped[int]
        created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
        updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
        processed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

        def values(self) -> list[Any]:
            times = [
                None if t is None else t if t.tzinfo else t.replace(tzinfo=dt.UTC)
                for t in (self.created_at, self.updated_at, self.processed_at)
            ]
            return [self.id, self.name, self.price, self.stock, *times]

    class Job(Base):
        __tablename__ = "jobs"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str]
        payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
        status: Mapped[str]
        attempts: Mapped[int]
        max_attempts: Mapped[int]
        run_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
        created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
        updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))

    return Product, Job


VALID_REQUEST_ID = re.compile(r"^[!-~]{1,128}$")


class RequestLog:
    """The request id on every response, and one JSON line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            line = {
                "time": dt.datetime.now(dt.UTC).isoformat(),
                "level": "INFO",
                "msg": "request",
                "logger": "baseline",
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            }
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()


def product(row: Sequence[Any]) -> ProductOut:
    return ProductOut(
        id=row[0],
        name=row[1],
        price=row[2],
        stock=row[3],
        created_at=row[4],
        updated_at=row[5],
        processed_at=row[6],
    )


def make_app(url: str, orm: bool = False) -> FastAPI:
    db: Database

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal db
        if orm:
            db = ORM(url)
        elif url.startswith("sqlite:///"):
            db = SQLite(url.removeprefix("sqlite:///"))
        else:
            postgres = Postgres(url)
            await postgres.open()
            db = postgres
        yield

    app = FastAPI(lifespan=lifespan, max_body_size=1024 * 1024)
    app.add_middleware(RequestLog)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/products/{row_id}", response_model=ProductOut)
    async def get_product(row_id: int) -> ProductOut:
        row = await db.get(row_id)
        if row is None:
            raise HTTPException(404, f"product {row_id} not found")
        return product(row)

    @app.post("/api/v1/products", status_code=201, response_model=ProductOut)
    async def create_product(data: ProductIn, response: Response) -> ProductOut:
        row = await db.create(data)
        response.headers["Location"] = f"/api/v1/products/{row[0]}"
        return product(row)

    return app


if __name__ == "__main__":
    # uvicorn.run picks uvloop and httptools from uvicorn[standard], as the generated service's do.
    uvicorn.run(
        make_app(sys.argv[1], orm=sys.argv[3:] == ["orm"]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        log_config=None,
        access_log=False,
    )
