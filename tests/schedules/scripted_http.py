"""HTTP servers on 127.0.0.1 that misbehave on purpose, for the webhook sender's tests.

`Scripted` answers every request with a fixed status and headers (a redirect, say) and records what reached it.
`Trickle` answers a POST with a status line and then one header line every `every` seconds, for at most `lasting`
seconds: a receiver that never quite stops talking. Both stop by themselves and when the test leaves them.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


class Scripted:
    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = headers or {}
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def __enter__(self) -> Scripted:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with scripted._lock:
                    scripted._seen.append(Seen(self.command, self.path,
                                               {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(scripted.status)
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _answer  # noqa: N815 (http.server's names)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="scripted-http", daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


class Trickle:
    def __init__(self, *, every: float = 0.3, lasting: float = 10.0) -> None:
        self.every = every
        self.lasting = lasting
        self.requests = 0
        self.finished = 0  # answers that ran to their end (the client listened all the way)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/hooks/slow"

    def __enter__(self) -> Trickle:
        accepting = threading.Thread(target=self._accept, name="trickle-accept", daemon=True)
        accepting.start()
        self._threads.append(accepting)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            answering = threading.Thread(target=self._answer, args=(connection,), name="trickle", daemon=True)
            answering.start()
            self._threads.append(answering)

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            received = b""
            try:
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    received += chunk
                with self._lock:
                    self.requests += 1
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                until = time.monotonic() + self.lasting
                line = 0
                while time.monotonic() < until:
                    if self._stop.wait(self.every):
                        return
                    line += 1
                    connection.sendall(f"X-Still-Thinking: {line}\r\n".encode())
                connection.sendall(b"Content-Length: 0\r\n\r\n")
                with self._lock:
                    self.finished += 1
            except OSError:  # the client hung up: what a sender with a deadline does
                return
