"""A real HTTP receiver for webhook tests: http.server on a free loopback port, in a thread.

    def test_delivers(webhook_receiver):
        webhook_receiver.answer(500, 500)        # the next two requests fail, then 204s
        ...                                     # an endpoint at webhook_receiver.url
        [request] = webhook_receiver.requests  # body bytes and headers, as received
        payload = request.verify(secret)        # standardwebhooks' own check, or it raises

It records every request (from any process: the Celery worker's too) and answers from a
script of statuses (with optional headers and bodies), then `default` (204). `hold()`
keeps answers waiting until `let_go()`, to catch a sender mid-delivery.
"""

from __future__ import annotations

import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verify(self, secret: str) -> dict:
        return Webhook(secret).verify(self.body, self.headers)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class WebhookReceiver:
    def __init__(self, *, tls: tuple[str, str] | None = None) -> None:
        """`tls`: (certificate file, key file) to answer https instead, noting the name
        each client asked for in the handshake (SNI) in `server_names`."""
        self.server_names: list[str | None] = []
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()
        self.default = Reply(204)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = receiver.script.popleft() if receiver.script else receiver.default
                receiver._release.wait(timeout=30)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/hooks"

    def answer(self, *statuses: int | Reply) -> None:
        """The next requests' answers, in order; then `default`."""
        with self._lock:
            self.script.extend(s if isinstance(s, Reply) else Reply(s) for s in statuses)

    def hold(self) -> None:
        """Keep answers waiting (a request arrives and hangs) until `let_go`."""
        self._release.clear()

    def let_go(self) -> None:
        self._release.set()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
