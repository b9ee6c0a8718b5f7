"""Sending one webhook over HTTP without being turned against our own network (SSRF).

The endpoint's host is resolved at send time, every time, and each address checked: only
public addresses, or addresses inside settings.WEBHOOK_ALLOWED_NETWORKS, are used; cloud
metadata addresses never. The request then goes to the address that was checked, not to
the name (which could resolve elsewhere a moment later: DNS rebinding): the URL carries
the IP, the Host header the name, and for https the TLS handshake still sends the name
(SNI) and verifies the certificate against it. No proxy from the environment, no
redirects followed, a 10 s timeout, and only the first 4 kB of the answer is read.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter

TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT_BYTES = 4096

# The instance metadata services of the clouds (AWS, GCP, Azure, ...): refused even if an
# allowed network contains them, since they hand out credentials.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """Not sent: the address is not one we may call. The message says which and why."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""
    retry_after: str | None = None


@lru_cache(maxsize=8)
def allowed_networks(values: tuple[str, ...]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {error}") from None


def _allowed() -> tuple:
    return allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))


def address_refusal(address: Address) -> str | None:
    """Why we may not call this address (None: we may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if any(address in network for network in _allowed()):
        return None
    for flag, what in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
        ("is_unspecified", "an unspecified address"),
    ):
        if getattr(address, flag):
            return what
    if not address.is_global:
        return "not a public address"
    return None


def resolve(host: str, port: int) -> Address:
    """The first address of `host` that we may call; Refused if there is none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"Could not resolve {host}: {error}") from None
    refusals = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # what the connection would reach
        why = address_refusal(address)
        if why is None:
            return address
        refusals.append(f"{address} is {why}")
    detail = "; ".join(dict.fromkeys(refusals)) or "no address"
    raise Refused(
        f"Refused to call {host}: {detail} (not in WEBHOOK_ALLOWED_NETWORKS)."
        if refusals
        else f"Could not resolve {host}: {detail}."
    )


class _PinnedTLSAdapter(HTTPAdapter):
    """https to an IP address, with SNI and certificate checks for the host name."""

    def __init__(self, hostname: str):
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self._hostname
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


def url_refusal(url: str) -> str | None:
    """What is wrong with an endpoint URL before any lookup (the admin's form asks)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// URL with a host name."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the URL; the signature proves the sender."
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None  # a name: checked at every send, when it is resolved
    why = address_refusal(address)
    return f"{address} is {why}; it is not in WEBHOOK_ALLOWED_NETWORKS." if why else None


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` at the address checked just now; never raises for the network."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.monotonic()
    try:
        address = resolve(host, port)
    except Refused as refusal:
        return Answer(status=None, duration_ms=0, error=str(refusal))
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    named = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = named if default_port else f"{named}:{port}"
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment: it would skip the check
        session.mount("https://", _PinnedTLSAdapter(host))
        session.mount("http://", HTTPAdapter(max_retries=0))
        try:
            response = session.post(
                pinned,
                data=body,
                headers={**headers, "Host": host_header},
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
                verify=settings.WEBHOOK_CA_FILE or True,
            )
        except requests.Timeout:
            return _failed(started, f"No answer within {TIMEOUT_SECONDS} s.")
        except requests.exceptions.SSLError as error:
            return _failed(started, f"TLS failed: {_short(error)}")
        except requests.RequestException as error:
            return _failed(started, f"Could not connect: {_short(error)}")
        try:
            excerpt = _read_excerpt(response)
        finally:
            response.close()
    return Answer(
        status=response.status_code,
        duration_ms=_elapsed(started),
        excerpt=excerpt,
        retry_after=response.headers.get("Retry-After"),
    )


def _read_excerpt(response) -> str:
    try:
        raw = response.raw.read(RESPONSE_EXCERPT_BYTES, decode_content=True) or b""
    except (requests.RequestException, OSError, ValueError):
        return ""
    # Only text is kept; NUL characters cannot be stored in PostgreSQL text.
    return raw[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "")


def _failed(started: float, error: str) -> Answer:
    return Answer(status=None, duration_ms=_elapsed(started), error=error[:500])


def _elapsed(started: float) -> int:
    return max(0, int((time.monotonic() - started) * 1000))


def _short(error: Exception) -> str:
    return str(error)[:300]
