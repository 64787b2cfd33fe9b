"""Serving: the wire protocol as a small ASGI app on uvicorn, a well-kept HTTP server.

Limits (each chosen for a local test server, and enforced): a listen backlog of
``BACKLOG``; request head (line and headers) at most ``MAX_HEAD`` bytes; body at most
``MAX_BODY`` (larger: 413, the connection closed); idle keep-alive connections closed
after ``KEEP_ALIVE`` seconds; at most ``MAX_CONNECTIONS`` connections at once (more: 503);
the store and SRP work run on ``WORKERS`` threads; a request head and a request body must
each arrive within ``READ_TIMEOUT`` seconds (a slow head: the connection is closed; a slow
body: 408). HTTP/1.1 keep-alive and pipelining,
IPv4 or IPv6 loopback. Nothing is printed unless a request log is asked for, and that
names the operation, status and time only: never a header or a body.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

from ._wire import MAX_BODY, TARGET_PREFIX, Answer, Wire, error_answer

__all__ = ["BACKLOG", "KEEP_ALIVE", "MAX_CONNECTIONS", "MAX_HEAD", "READ_TIMEOUT", "WORKERS", "Server"]

BACKLOG = 1024
MAX_HEAD = 32 * 1024
KEEP_ALIVE = 5
READ_TIMEOUT = 10  # seconds a request body may take to arrive
MAX_CONNECTIONS = 1000
WORKERS = 16

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _json(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class App:
    """The ASGI application: reads a request within the limits, answers through the Wire on a worker thread."""

    def __init__(self, wire: Wire, log: TextIO | None = None) -> None:
        self.wire = wire
        self.log = log
        self.executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="local-cognito")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        close = False
        if method == "GET":
            answer: Answer = self.wire.get(path, scope["query_string"].decode("latin-1"))
        elif method == "POST":
            answer, close = await self._post(path, headers, receive)
        else:
            answer = error_answer("UnknownOperationException", "Only GET and POST are served", 405)
        status, payload, content_type = answer
        data = _json(payload)
        response_headers = [
            (b"content-type", (content_type or "application/x-amz-json-1.1").encode()),
            (b"content-length", str(len(data)).encode()),
            (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
        ]
        if close:
            response_headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": data})
        if self.log is not None:
            target = headers.get("x-amz-target", "")
            name = target[len(TARGET_PREFIX) : 64] if target.startswith(TARGET_PREFIX) else path[:64]
            print(f"{method} {name} {status} {(time.perf_counter() - started) * 1e3:.1f} ms", file=self.log, flush=True)

    async def _post(self, path: str, headers: dict[str, str], receive: Receive) -> tuple[Answer, bool]:
        """(the answer, whether to close the connection): the body within its limits, then the Wire."""
        try:
            body = await asyncio.wait_for(self._body(headers, receive), READ_TIMEOUT)
        except asyncio.TimeoutError:
            return error_answer("RequestTimeoutException", "The request body was too slow to arrive", 408), True
        if body is None:
            message = f"Request body is larger than {MAX_BODY} bytes"
            return error_answer("RequestEntityTooLargeException", message, 413), True
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.wire.post, path, headers, body), False

    async def _body(self, headers: dict[str, str], receive: Receive) -> bytes | None:
        """The body, or None when it is (or says it is) larger than MAX_BODY."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _head_timeout_protocol() -> type:
    """uvicorn's h11 protocol, closing a connection whose request head takes over READ_TIMEOUT.

    uvicorn times out idle keep-alive connections but not a head that trickles in; h11's
    state tells when one is awaited (IDLE with bytes received), so a timer can end it.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutProtocol(H11Protocol):
        _head_started: float | None = None
        _head_timer: asyncio.TimerHandle | None = None

        def data_received(self, data: bytes) -> None:
            if self._head_started is None and self.conn.their_state is h11.IDLE:
                self._head_started = self.loop.time()
                self._head_timer = self.loop.call_later(READ_TIMEOUT, self._head_expired)
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the head is complete
                self._clear_head()

        def _clear_head(self) -> None:
            self._head_started = None
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_expired(self) -> None:
            self._head_timer = None
            if self._head_started is not None and self.conn.their_state is h11.IDLE:
                if not self.transport.is_closing():
                    self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._clear_head()
            super().connection_lost(exc)

    return HeadTimeoutProtocol


class Server:
    """uvicorn, serving the App on a socket bound now (so the port is known at once)."""

    def __init__(self, app: App, host: str, port: int) -> None:
        try:
            import uvicorn
        except ImportError:
            raise ImportError("the local emulator serves on uvicorn: pip install 'srp-device[emulator]'") from None

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only for a TCP-proto
        # listener; without it each response waits out the client's delayed ACK (40 ms).
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind((host, port))
        self.socket.listen(BACKLOG)
        self.app = app
        config = uvicorn.Config(
            app,
            log_level="critical",
            access_log=False,
            lifespan="off",
            http=_head_timeout_protocol(),
            loop="asyncio",
            backlog=BACKLOG,
            timeout_keep_alive=KEEP_ALIVE,
            limit_concurrency=MAX_CONNECTIONS,
            h11_max_incomplete_event_size=MAX_HEAD,
            server_header=False,
            date_header=True,
        )
        self.uvicorn = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve in a background thread; returns once it accepts connections."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="local-cognito-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local Cognito server did not start")
            time.sleep(0.005)

    def _run(self) -> None:
        self.uvicorn.run(sockets=[self.socket])

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C stops it gracefully)."""
        self.uvicorn.run(sockets=[self.socket])

    def stop(self) -> None:
        if self._thread is not None:
            self.uvicorn.should_exit = True
            self._thread.join(timeout=30)
            self._thread = None
        self.socket.close()
        self.app.executor.shutdown(wait=True)
