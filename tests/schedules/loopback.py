"""Real receivers on 127.0.0.1 for the notification channels: an SMTP server and a webhook endpoint.

Both record what reached them, so a test counts deliveries where a user would see them: mails by Message-ID in a
mailbox, webhook calls by the delivery id a receiving system deduplicates on.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from schedules.channels.webhook import DELIVERY, SIGNATURE, TIMESTAMP, verify
from tests.serving import free_port


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server took it."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    message: EmailMessage


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[Mail] = []
        # Cleared by SmtpServer.hold(): a message's DATA then waits until release(); `holding` says one does.
        self.gate = threading.Event()
        self.gate.set()
        self.holding = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd)
        while not self.gate.is_set():
            self.holding.set()
            await asyncio.sleep(0.02)
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        mail = Mail(message_id=str(message["Message-ID"]), sender=str(envelope.mail_from),
                    recipients=tuple(envelope.rcpt_tos), subject=str(message["Subject"]),
                    body="" if body is None else cast(EmailMessage, body).get_content().replace("\r\n", "\n"),
                    message=message)
        with self.lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1; stop() and start() again keep the port and everything received so far."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._recorder = _Recorder()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        assert self._controller is None, "the SMTP server runs already"
        controller = Controller(self._recorder, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def hold(self) -> threading.Event:
        """Keep the next messages waiting at DATA (a slow mail server); the event is set once one waits."""
        self._recorder.holding.clear()
        self._recorder.gate.clear()
        return self._recorder.holding

    def release(self) -> None:
        self._recorder.gate.set()

    @property
    def mails(self) -> list[Mail]:
        with self._recorder.lock:
            return list(self._recorder.mails)

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID arrived: a mailbox shows a repeat as a second copy."""
        return Counter(m.message_id for m in self.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.recipients]

    def wait_for(self, found: Callable[[list[Mail]], bool], *, seconds: float) -> list[Mail]:
        """Poll until `found(mails)` holds (only for tests of the real clock); the mails received either way."""
        until = time.monotonic() + seconds
        while not found(mails := self.mails) and time.monotonic() < until:
            time.sleep(0.05)
        return mails


@dataclass(frozen=True)
class WebhookCall:
    """One POST as the receiver saw it, with the signature checked against the secret it was told."""

    path: str
    headers: dict[str, str]  # names in lower case (urllib sends "X-foerderweg-signature")
    body: bytes
    signature_valid: bool
    answered: int

    @property
    def timestamp(self) -> str:
        return self.headers.get(TIMESTAMP.lower(), "")

    @property
    def signature(self) -> str:
        return self.headers.get(SIGNATURE.lower(), "")

    @property
    def delivery(self) -> str:
        return self.headers.get(DELIVERY.lower(), "")

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """An alliance's system on 127.0.0.1: checks X-Foerderweg-Signature with `verify` and answers `status`.

    A call with a missing or wrong signature is answered 401, as a careful receiver would.
    """

    def __init__(self) -> None:
        self.secret: str | None = None
        self.status = 200
        self._lock = threading.Lock()
        self._calls: list[WebhookCall] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the receiver is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/foerderweg"

    @property
    def calls(self) -> list[WebhookCall]:
        with self._lock:
            return list(self._calls)

    def accepted(self) -> list[WebhookCall]:
        return [c for c in self.calls if 200 <= c.answered < 300]

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        stamp, signed = headers.get(TIMESTAMP.lower(), ""), headers.get(SIGNATURE.lower(), "")
        valid = self.secret is not None and bool(stamp) and verify(self.secret, stamp, body, signed)
        answer = self.status if valid else 401
        with self._lock:
            self._calls.append(WebhookCall(path=path, headers=headers, body=body, signature_valid=valid,
                                           answered=answer))
        return answer

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = receiver._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
