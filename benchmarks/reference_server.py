"""A minimal send endpoint, to calibrate the machine (not Quietline code).

    python -m benchmarks.reference_server --variant starlette|fastapi|starlette-thread \\
        --data-dir DIR --port N [--tokens 10]

The three reference servers of the send-throughput issue ("a bare Starlette endpoint doing
only token lookup, AES-GCM and two SQLite inserts ... FastAPI ... the same work with SQLite
called from a worker thread"), rebuilt so that ``benchmarks.calibrate`` can measure them on
today's machine with the same load generator as ``benchmarks.send_throughput``.

``POST /api/v1/conversations/{conversation_id}/messages`` with ``{"body", "idempotency_key"}``
and ``Authorization: Bearer <token>``: look up the token's SHA-256 hash (401 if unknown),
encrypt the body with AES-256-GCM (random 96-bit nonce, one key), insert the message and an
audit row in one transaction, commit, answer 201 with a small JSON object.

Variants:

* ``starlette``: a plain Starlette route; sqlite3 is called on the event-loop thread.
* ``fastapi``: a FastAPI route with a pydantic body model and an (async) dependency for the
  token; sqlite3 on the event-loop thread.
* ``starlette-thread``: a plain Starlette route; the token lookup and the write each run on
  one worker thread (a single-thread executor, ``loop.run_in_executor``).

One process, one SQLite connection, on 127.0.0.1 only, with the uvicorn settings of
``benchmarks.server``. The database is created afresh in the data folder at start-up with
the pragmas of Quietline's ``_configure_sqlite`` (WAL, synchronous=FULL, foreign keys on).
Tokens ``ref-token-0`` .. ``ref-token-{N-1}`` are seeded, one user each.
"""

import argparse
import asyncio
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID

import uvicorn
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks.common import uvicorn_config

VARIANTS = ("starlette", "fastapi", "starlette-thread")
TOKEN_PREFIX = "ref-token-"  # noqa: S105 - the seeded benchmark sessions' tokens
DB_NAME = "reference.db"
T = TypeVar("T")

SCHEMA = """
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    created_at REAL NOT NULL
);
"""


def token_for(n: int) -> str:
    """The n-th seeded bearer token (the load generator uses the same names)."""
    return f"{TOKEN_PREFIX}{n}"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def open_database(data_dir: Path, tokens: int) -> sqlite3.Connection:
    """A fresh database with Quietline's SQLite pragmas and ``tokens`` seeded sessions."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_NAME
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # Autocommit mode: transactions are begun explicitly, as Quietline's writer does.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA secure_delete=ON")
    conn.executescript(SCHEMA)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO sessions (token_hash, user_id) VALUES (?, ?)",
        ((_hash(token_for(n)), f"user-{n}") for n in range(tokens)),
    )
    conn.execute("COMMIT")
    return conn


class Store:
    """The endpoint's work, shared by the three variants."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def user_for(self, authorization: str | None) -> str | None:
        if authorization is None or not authorization.startswith("Bearer "):
            return None
        row = self.conn.execute(
            "SELECT user_id FROM sessions WHERE token_hash = ?", (_hash(authorization[7:]),)
        ).fetchone()
        return None if row is None else str(row[0])

    def encrypt(self, conversation_id: UUID, body: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self.aead.encrypt(nonce, body.encode(), conversation_id.bytes)

    def insert(
        self, conversation_id: UUID, user_id: str, idempotency_key: str, ciphertext: bytes
    ) -> dict[str, Any]:
        now = time.time()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = self.conn.execute(
                "INSERT INTO messages (conversation_id, sender_id, idempotency_key, ciphertext,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (str(conversation_id), user_id, idempotency_key, ciphertext, now),
            )
            message_id = cursor.lastrowid
            self.conn.execute(
                "INSERT INTO audit (actor_id, action, message_id, created_at) VALUES (?, ?, ?, ?)",
                (user_id, "message.sent", message_id, now),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return {"id": message_id, "conversation_id": str(conversation_id), "created_at": now}


def _parse_body(raw: Any) -> tuple[str, str] | None:
    if not isinstance(raw, dict):
        return None
    body, key = raw.get("body"), raw.get("idempotency_key")
    if not isinstance(body, str) or not isinstance(key, str):
        return None
    return body, key


def _health_route() -> Route:
    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Route("/api/v1/health", health, methods=["GET"])


SEND_PATH = "/api/v1/conversations/{conversation_id:uuid}/messages"


def starlette_app(store: Store) -> Starlette:
    """Plain Starlette; sqlite3 on the event-loop thread."""

    async def send(request: Request) -> JSONResponse:
        user_id = store.user_for(request.headers.get("authorization"))
        if user_id is None:
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        parsed = _parse_body(await request.json())
        if parsed is None:
            return JSONResponse({"detail": "invalid body"}, status_code=422)
        body, key = parsed
        conversation_id: UUID = request.path_params["conversation_id"]
        ciphertext = store.encrypt(conversation_id, body)
        return JSONResponse(store.insert(conversation_id, user_id, key, ciphertext), 201)

    return Starlette(routes=[_health_route(), Route(SEND_PATH, send, methods=["POST"])])


def starlette_thread_app(store: Store) -> Starlette:
    """Plain Starlette; every SQLite call runs on one worker thread."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    async def in_thread(fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    async def send(request: Request) -> JSONResponse:
        user_id = await in_thread(store.user_for, request.headers.get("authorization"))
        if user_id is None:
            return JSONResponse({"detail": "unauthorized"}, status_code=401)
        parsed = _parse_body(await request.json())
        if parsed is None:
            return JSONResponse({"detail": "invalid body"}, status_code=422)
        body, key = parsed
        conversation_id: UUID = request.path_params["conversation_id"]
        ciphertext = store.encrypt(conversation_id, body)
        result = await in_thread(store.insert, conversation_id, user_id, key, ciphertext)
        return JSONResponse(result, 201)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            executor.shutdown(wait=True)

    return Starlette(
        routes=[_health_route(), Route(SEND_PATH, send, methods=["POST"])], lifespan=lifespan
    )


class MessageIn(BaseModel):
    body: str
    idempotency_key: str


class MessageOut(BaseModel):
    id: int
    conversation_id: UUID
    created_at: float


def fastapi_app(store: Store) -> FastAPI:
    """FastAPI with a pydantic body model and a token dependency; sqlite3 on the loop thread
    (the route and the dependency are ``async def``, so neither goes to the thread pool).
    FastAPI resolves annotations at run time: this module does not postpone them, since the
    dependency is a local function."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    async def current_user(authorization: Annotated[str | None, Header()] = None) -> str:
        user_id = store.user_for(authorization)
        if user_id is None:
            raise HTTPException(status_code=401, detail="unauthorized")
        return user_id

    @app.get("/api/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/conversations/{conversation_id}/messages", status_code=201)
    async def send(
        conversation_id: UUID,
        message: MessageIn,
        user_id: Annotated[str, Depends(current_user)],
    ) -> MessageOut:
        ciphertext = store.encrypt(conversation_id, message.body)
        row = store.insert(conversation_id, user_id, message.idempotency_key, ciphertext)
        return MessageOut(**row)

    return app


def build_app(variant: str, store: Store) -> Starlette:
    if variant == "starlette":
        return starlette_app(store)
    if variant == "fastapi":
        return fastapi_app(store)
    if variant == "starlette-thread":
        return starlette_thread_app(store)
    raise ValueError(f"unknown variant {variant!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", type=int, default=10, help="sessions to seed")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    args = parser.parse_args()

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    conn = open_database(args.data_dir, args.tokens)
    config = uvicorn_config(build_app(args.variant, Store(conn)), args.port)
    print(
        f"reference server {args.variant}: pid {os.getpid()}, loop {config.loop}, "
        f"http {config.http}",
        flush=True,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        conn.close()


if __name__ == "__main__":
    main()
