"""uvicorn's HTTP/1.1 protocol (httptools), sending a response's head and body together.

uvicorn writes the status line and headers of a response, then its body, as two transport
writes. uvloop sends each write at once when the socket can take it, so every small answer
(a send's 201, a receipt, a list) cost two ``send`` system calls and reached the client as
two TCP segments (``TCP_NODELAY`` is on), which the client reads separately. In the send
benchmark those calls were about a quarter of the event loop's time (session 15,
[benchmarks](../../../docs/benchmarks.md#session-15)); aiohttp coalesces the same way.

:class:`HeldWrites` holds a write back until the next write, which it joins, or the end of
the current step of the event loop (``call_soon``), whichever comes first. Order is kept,
nothing waits longer than one loop step, and closing sends what is held first.
:class:`CoalescingHttpToolsProtocol` gives uvicorn's protocol that transport, and hands a
WebSocket upgrade the real one (frames need no holding back).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeldWrites(asyncio.Transport):
    """A transport in front of ``transport`` that sends two writes in a row as one."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    # -- writing ------------------------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is None:
            self._held = bytes(data)
            self._loop.call_soon(self.release)
            return
        held, self._held = self._held, None
        self._transport.write(held + bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def release(self) -> None:
        """Send what is held now."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def write_eof(self) -> None:
        self.release()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def get_write_buffer_size(self) -> int:
        held = len(self._held) if self._held is not None else 0
        return self._transport.get_write_buffer_size() + held

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    # -- closing ------------------------------------------------------------------------
    def close(self) -> None:
        self.release()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    # -- everything else is the real transport's ------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a :class:`HeldWrites` transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._real_transport = transport
        super().connection_made(HeldWrites(transport, self.loop))

    def handle_websocket_upgrade(self) -> None:
        # The WebSocket protocol takes over the connection: give it the real transport,
        # after anything still held (nothing is, between requests).
        held = self.transport
        if isinstance(held, HeldWrites):
            held.release()
        self.transport = self._real_transport
        super().handle_websocket_upgrade()
