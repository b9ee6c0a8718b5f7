"""A small webhook receiver that verifies signatures: for trying webhooks out
(`manage.py webhook_receiver`, docs/webhooks.md), not for production.

It answers 204 to a delivery whose Standard Webhooks signature verifies with one of its
secrets (and whose timestamp is within five minutes), 400 to anything else, and reports
each through `report(verified, text)`.
"""

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

MAX_BODY = 1024 * 1024

Report = Callable[[bool, str], None]


def verify(body: bytes, headers: dict[str, str], secrets: list[str]) -> dict:
    """The delivery's JSON if one of `secrets` signed it; WebhookVerificationError if not."""
    error: Exception = WebhookVerificationError("No secret given")
    for secret in secrets:
        try:
            return Webhook(secret).verify(body, headers)
        except WebhookVerificationError as failure:
            error = failure
    raise error


def make_server(host: str, port: int, secrets: list[str], report: Report) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, "too large")
                report(False, f"refused: a body of {length} bytes")
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = verify(body, headers, secrets)
            except (WebhookVerificationError, ValueError) as error:
                self._answer(400, "invalid signature")
                report(False, f"REJECTED {headers.get('webhook-id', '?')}: {error}")
                return
            self._answer(204, "")
            summary = json.dumps(payload, indent=2, ensure_ascii=False)
            report(
                True,
                f"verified {payload.get('type')} {headers['webhook-id']} "
                f"(timestamp {headers['webhook-timestamp']})\n{summary}",
            )

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def log_message(self, format, *args):
            pass  # the report says what matters

    return ThreadingHTTPServer((host, port), Handler)
