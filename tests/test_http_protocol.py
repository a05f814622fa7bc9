"""Quietline's HTTP protocol (api/http_protocol.py): a response's head and body leave in one
write, nothing is held past one step of the event loop, and HTTP behaves as with uvicorn's own
protocol (keep-alive, HEAD, 204, streaming, connection close, WebSocket upgrade)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.sync.client import connect

from quietline.api.http_protocol import CoalescingHttpToolsProtocol, HeldWrites
from tests.conftest import uvicorn_in_thread

# -- the transport, on a real event loop ------------------------------------------------------


class _Socketish(asyncio.Transport):
    """Stands for the socket's transport: records what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0


def _on_a_loop(steps: Any) -> Any:
    async def run() -> Any:
        real = _Socketish()
        held = HeldWrites(real, asyncio.get_running_loop())
        return await steps(real, held)

    return asyncio.run(run())


async def _next_step() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def test_two_writes_in_a_row_leave_as_one() -> None:
    async def steps(real: _Socketish, held: HeldWrites) -> None:
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        assert real.sent == []
        assert held.get_write_buffer_size() == 38
        held.write(b"ok")
        assert real.sent == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
        await _next_step()  # the pending release finds nothing more to send
        assert len(real.sent) == 1

    _on_a_loop(steps)


def test_a_lone_write_leaves_at_the_next_step_of_the_loop_and_order_is_kept() -> None:
    async def steps(real: _Socketish, held: HeldWrites) -> None:
        held.write(b"a")
        held.write(b"b")
        held.write(b"c")  # held again, behind "ab"
        assert real.sent == [b"ab"]
        await _next_step()
        assert real.sent == [b"ab", b"c"]
        held.writelines([b"d", b"e"])
        await _next_step()
        assert real.sent == [b"ab", b"c", b"de"]

    _on_a_loop(steps)


def test_closing_sends_what_is_held_first_and_abort_drops_it() -> None:
    async def steps(real: _Socketish, held: HeldWrites) -> None:
        held.write(b"last words")
        held.close()
        assert real.sent == [b"last words"]
        assert real.closed
        assert held.is_closing()

    _on_a_loop(steps)

    async def aborting(real: _Socketish, held: HeldWrites) -> None:
        held.write(b"never sent")
        held.abort()
        await _next_step()
        assert real.sent == []
        assert real.aborted

    _on_a_loop(aborting)


def test_nothing_is_written_to_a_transport_that_closed_meanwhile() -> None:
    async def steps(real: _Socketish, held: HeldWrites) -> None:
        held.write(b"too late")
        real.closed = True  # the peer went away
        await _next_step()
        assert real.sent == []

    _on_a_loop(steps)


# -- under uvicorn ---------------------------------------------------------------------------


class _Recorder(asyncio.Transport):
    """In front of the socket's transport: counts the writes that reach it."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        super().__init__()
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattribute__(self, name: str) -> Any:
        if name in ("write", "_transport", "_writes"):
            return object.__getattribute__(self, name)
        return getattr(object.__getattribute__(self, "_transport"), name)


WRITES: list[bytes] = []


class _RecordedCoalescing(CoalescingHttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Recorder(transport, WRITES))


class _RecordedPlain(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Recorder(transport, WRITES))


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] == "websocket":
        await receive()  # connect
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": "echo " + message.get("text", "")})
        await send({"type": "websocket.close", "code": 1000})
        return
    path = scope["path"]
    if path == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/stream":
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"x-kind", b"stream")]}
        )
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
        return
    body = b'{"ok":true}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(params=[_RecordedCoalescing, _RecordedPlain], ids=["quietline", "uvicorn"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    with uvicorn_in_thread(_app, http=request.param) as address:
        WRITES.clear()
        yield address, request.param is _RecordedCoalescing


def test_a_small_answer_leaves_in_one_write(served: tuple[str, bool]) -> None:
    address, coalescing = served
    with httpx.Client(base_url=f"http://{address}") as client:
        for _ in range(3):  # one keep-alive connection
            response = client.get("/small")
            assert response.status_code == 200
            assert response.json() == {"ok": True}
    answers = [w for w in WRITES if w.startswith(b"HTTP/1.1")]
    assert len(answers) == 3
    if coalescing:
        assert len(WRITES) == 3
        assert all(w.endswith(b'{"ok":true}') for w in WRITES)
    else:  # what this protocol is for: uvicorn's own writes head and body apart
        assert len(WRITES) == 6


def test_http_behaves_as_with_uvicorns_protocol(served: tuple[str, bool]) -> None:
    address, _coalescing = served
    with httpx.Client(base_url=f"http://{address}") as client:
        head = client.head("/small")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == "11"
        empty = client.get("/empty")
        assert empty.status_code == 204
        assert empty.content == b""
        streamed = client.get("/stream")
        assert streamed.content == b"one,two,three"
        assert streamed.headers["transfer-encoding"] == "chunked"
        closing = client.get("/small", headers={"connection": "close"})
        assert closing.json() == {"ok": True}
        again = client.get("/small")  # a new connection after the close
        assert again.json() == {"ok": True}
    with connect(f"ws://{address}/ws") as websocket:
        websocket.send("hello")
        assert websocket.recv(timeout=5) == "echo hello"
