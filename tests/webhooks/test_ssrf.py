"""The SSRF guard: the host is resolved at send time, addresses that are not public are
refused unless allowed, and the request goes to the address that was checked (for https
with the host name's certificate and SNI), whatever the name resolves to a moment later."""

import datetime as dt
import ipaddress
import socket
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.webhook_receiver import WebhookReceiver
from tickets.errors import InvalidInput
from webhooks import network
from webhooks.models import WebhookDelivery
from webhooks.sending import endpoint_send_due
from webhooks.services import webhook_endpoint_settings_check

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def nothing_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []


@pytest.fixture
def dns(monkeypatch):
    """A stand-in for DNS: names in the dict resolve to its addresses (one per look-up, in
    turn, the last one repeating); other names as the machine resolves them."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            lookups.append(host)
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["lookups"] = lookups  # type: ignore[assignment]
    return answers


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("http://192.168.1.20/hook", "192.168.1.20 is a private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a cloud metadata address",
        ),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://0.0.0.0/", "0.0.0.0 is"),
        ("http://[::ffff:10.0.0.1]/", "10.0.0.1 is a private address"),
        ("http://localhost:8080/hook", "127.0.0.1 is a loopback address"),
    ],
)
def test_addresses_that_are_not_public_are_refused_before_any_connection(
    nothing_allowed, url, why
):
    answer = network.post(url, b"{}", {})
    assert answer.status is None
    assert why in answer.error
    assert answer.error.endswith("(not in WEBHOOK_ALLOWED_NETWORKS).")
    assert answer.duration_ms == 0


def test_metadata_stays_refused_even_inside_an_allowed_network(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["169.254.0.0/16", "fd00::/8"]
    assert "metadata" in network.post("http://169.254.169.254/", b"{}", {}).error
    assert "metadata" in network.post("http://[fd00:ec2::254]/", b"{}", {}).error
    assert network.address_refusal(ipaddress.ip_address("169.254.1.1")) is None


def test_an_allowed_network_lets_its_addresses_through(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert network.address_refusal(ipaddress.ip_address("10.20.3.4")) is None
    assert network.address_refusal(ipaddress.ip_address("10.21.3.4")) == "a private address"
    assert network.address_refusal(ipaddress.ip_address("93.184.215.14")) is None


def test_the_admin_refuses_a_literal_address_it_could_never_call(nothing_allowed):
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.1 is a private address"):
        webhook_endpoint_settings_check(url="http://10.0.0.1/hook", events=["ticket.created"])
    with pytest.raises(InvalidInput, match="user names and passwords"):
        webhook_endpoint_settings_check(
            url="https://bob:secret@hooks.example.com/", events=["ticket.created"]
        )
    with pytest.raises(InvalidInput, match="valid http"):
        webhook_endpoint_settings_check(url="ftp://hooks.example.com/", events=["ticket.created"])
    # A name is checked when it is resolved, at every send.
    webhook_endpoint_settings_check(url="http://localhost/hook", events=["ticket.created"])


def test_a_name_resolving_to_loopback_is_one_failed_attempt_with_the_reason(
    desk, make_endpoint, webhook_receiver, settings
):
    port = webhook_receiver.port
    endpoint, _ = make_endpoint(f"http://localhost:{port}/hooks", events=["ticket.created"])
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # as production has it
    with time_machine.travel(START, tick=False):
        desk.ticket()
        assert endpoint_send_due(endpoint_id=endpoint.pk) == 1

    assert webhook_receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.last_status is None
    assert "Refused to call localhost: 127.0.0.1 is a loopback address" in delivery.last_error
    # Retried on the ordinary schedule, not at once: 5 s later.
    assert timedelta(seconds=4.5) <= delivery.next_attempt_at - START <= timedelta(seconds=5.5)

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with time_machine.travel(START + timedelta(seconds=6), tick=False):
        endpoint_send_due(endpoint_id=endpoint.pk)
    [request] = webhook_receiver.requests
    assert request.headers["host"] == f"localhost:{port}"
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_the_request_goes_to_the_address_that_was_checked(dns, webhook_receiver):
    # The name resolves to loopback (allowed in the tests) when checked, and to a private
    # address on any later look-up: a rebinding attack. There is no later look-up.
    dns["hooks.rebind.test"] = ["127.0.0.1", "10.0.0.1"]
    port = webhook_receiver.port
    answer = network.post(f"http://hooks.rebind.test:{port}/hooks", b"{}", {})
    assert (answer.status, answer.error) == (204, "")
    assert dns["lookups"] == ["hooks.rebind.test"]
    [request] = webhook_receiver.requests
    assert request.headers["host"] == f"hooks.rebind.test:{port}"


def test_a_refused_address_among_several_is_skipped(dns, webhook_receiver, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    dns["multi.test"] = ["127.0.0.1"]
    assert network.post(f"http://multi.test:{webhook_receiver.port}/", b"{}", {}).status == 204


def _certificate(tmp_path, names):
    """A private authority, and a server certificate it signed for `names`."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test webhook CA")])
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(tmp_path / "ca.pem"), (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))


@pytest.fixture
def tls_receiver(tmp_path, settings):
    ca, pair = _certificate(tmp_path, ["hooks.internal.test"])
    settings.WEBHOOK_CA_FILE = ca
    receiver = WebhookReceiver(tls=pair)
    receiver.start()
    yield receiver
    receiver.stop()


def test_https_to_the_checked_address_keeps_sni_and_the_certificate_check(dns, tls_receiver):
    dns["hooks.internal.test"] = ["127.0.0.1"]
    url = f"https://hooks.internal.test:{tls_receiver.port}/hooks"
    answer = network.post(url, b"{}", {})
    assert (answer.status, answer.error) == (204, "")
    assert tls_receiver.server_names == ["hooks.internal.test"]
    assert tls_receiver.requests[0].headers["host"] == f"hooks.internal.test:{tls_receiver.port}"


def test_https_refuses_a_certificate_for_another_name(dns, tls_receiver):
    dns["elsewhere.test"] = ["127.0.0.1"]
    answer = network.post(f"https://elsewhere.test:{tls_receiver.port}/hooks", b"{}", {})
    assert answer.status is None
    assert answer.error.startswith("TLS failed:")
    assert tls_receiver.requests == []
