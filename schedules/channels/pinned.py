"""One HTTP POST to an address checked beforehand, within one deadline for all of it.

The name in the URL is resolved once, here; every address it resolves to is checked (WebhookPolicy.refusal), and
the connection goes to the checked address, so a second lookup between check and connect (DNS rebinding) cannot
lead elsewhere. The Host header and the TLS server name (SNI, certificate check) stay the URL's host.

The deadline covers the lookup, the connection, the TLS handshake, sending, and the answer's status line and headers:
a receiver that trickles one byte at a time is cut off when it passes (a timeout per socket read would not). No
redirect is followed: the answer's status is what counts.
"""

from __future__ import annotations

import contextlib
import http.client
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping

from workflow.notify.webhook_target import IPAddress, Target, WebhookPolicy, ip_literal

Resolver = Callable[[str, int], list[IPAddress]]


class PostFailed(Exception):
    """No answer: refused address, no connection, deadline passed, or what came back is not HTTP."""


def system_resolver(host: str, port: int) -> list[IPAddress]:
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP):
        address = ip_literal(str(sockaddr[0]))
        if address is not None and address not in found:
            found.append(address)
    return found


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds
        self.passed = threading.Event()

    def left(self) -> float:
        left = self.until - time.monotonic()
        if left <= 0:
            self.passed.set()
            raise PostFailed(self.message)
        return left

    @property
    def expired(self) -> bool:
        return self.passed.is_set() or time.monotonic() >= self.until

    @property
    def message(self) -> str:
        return f"no answer within the {self.seconds:g} s deadline"


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to `address` while naming `target.host`; the socket is cut when the deadline passes."""

    def __init__(self, target: Target, address: IPAddress, deadline: _Deadline, tls: ssl.SSLContext | None) -> None:
        super().__init__(target.host, target.port, timeout=deadline.left())
        self.default_port = 443 if tls is not None else 80  # so that Host carries no default port
        self.address = address
        self.deadline = deadline
        self.tls = tls
        self.connected = False
        self._watchdog: threading.Timer | None = None
        self._guard = threading.Lock()  # the watchdog never cuts a socket being closed (its number may be reused)
        self._closed = False

    def connect(self) -> None:
        raw = socket.create_connection((str(self.address), self.port), timeout=self.deadline.left())
        self.connected = True
        with self._guard:
            self.sock, self._closed = raw, False
            self._watchdog = threading.Timer(self.deadline.left(), self._cut)
            self._watchdog.daemon = True
            self._watchdog.start()
        if self.tls is not None:
            wrapped = self.tls.wrap_socket(raw, server_hostname=self.host, do_handshake_on_connect=False)
            with self._guard:
                self.sock = wrapped
            wrapped.do_handshake()

    def _cut(self) -> None:
        self.deadline.passed.set()
        with self._guard:
            if self._closed or self.sock is None:
                return
            # The plain socket's shutdown (also under TLS): wakes a read or write blocked in another thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def close(self) -> None:
        with self._guard:
            self._closed = True
            if self._watchdog is not None:
                self._watchdog.cancel()
            super().close()


def _resolve(resolver: Resolver, target: Target, deadline: _Deadline) -> list[IPAddress]:
    """The addresses of the target's name; a lookup that outlasts the deadline is left behind (daemon thread)."""
    if target.address is not None:
        return [target.address]
    answer: queue.SimpleQueue[list[IPAddress] | BaseException] = queue.SimpleQueue()

    def look_up() -> None:
        try:
            answer.put(resolver(target.host, target.port))
        except BaseException as exc:  # handed to the waiting thread
            answer.put(exc)

    threading.Thread(target=look_up, name="webhook-lookup", daemon=True).start()
    try:
        found = answer.get(timeout=deadline.left())
    except queue.Empty:
        raise PostFailed(f"name lookup of {target.host}: {deadline.message}") from None
    if isinstance(found, BaseException):
        raise PostFailed(f"name lookup of {target.host}: {found}")
    if not found:
        raise PostFailed(f"name lookup of {target.host}: no address")
    return found


def post(target: Target, body: bytes, headers: Mapping[str, str], *, policy: WebhookPolicy, timeout: float,
         resolver: Resolver = system_resolver, tls: ssl.SSLContext | None = None) -> int:
    """POST `body` to the target; the answer's status code. Raises PostFailed (a message without the path)."""
    deadline = _Deadline(timeout)
    addresses = _resolve(resolver, target, deadline)
    for address in addresses:
        if (why := policy.refusal(address)) is not None:
            raise PostFailed(f"refused: {why}" if target.address is not None
                             else f"refused: {target.host} resolves to {address}; {why}")
    context = (tls or ssl.create_default_context()) if target.scheme == "https" else None
    errors = []
    for address in addresses:
        connection = _PinnedConnection(target, address, deadline, context)
        try:
            connection.request("POST", target.path, body=body, headers=dict(headers))
            response = connection.getresponse()
            if deadline.passed.is_set():  # cut while reading the headers: http.client takes the cut as their end
                raise PostFailed(deadline.message)
            return response.status
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired:
                raise PostFailed(deadline.message) from None
            if connection.connected:
                # Connected: the receiver is there and failed; other addresses of the name would not do better.
                # HTTPException: something answered that does not speak HTTP (a mistyped port, a mail server).
                raise PostFailed(str(exc) or type(exc).__name__) from None
            errors.append(f"{address}: {exc}")
        finally:
            connection.close()
    raise PostFailed("; ".join(errors))
