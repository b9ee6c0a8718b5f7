"""Every page carries the Content-Security-Policy, Permissions-Policy and
Cross-Origin-Opener-Policy; the violation endpoint logs reports, a few per client."""

import json
import logging

import pytest
from csp.constants import NONCE, NONE, SELF

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PAGES = [
    "/",
    "/tickets/new/",
    "/accounts/login/",
    "/agent/",
    "/agent/search/?q=crm",
    "/admin/",
    "/admin/tickets/ticket/",
    "/admin/mail/mailbox/add/",
    "/no-such-page/",
]


def directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_strict_policy(path, desk, client_for, django_user_model):
    admin = django_user_model.objects.create_superuser(email="boss@example.com", password="x")
    response = client_for(admin).get(path)
    assert response.status_code in (200, 302, 404)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    # A nonce is added only to pages that use one; ours have no inline script at all.
    assert policy["script-src"][0] == "'self'"
    assert all(v.startswith("'nonce-") for v in policy["script-src"][1:])
    assert policy["style-src"] == ["'self'"]
    for name in ("object-src", "base-uri", "frame-ancestors"):
        assert policy[name] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_report_only_mode_sends_the_same_policy_without_enforcing(client, settings):
    settings.CONTENT_SECURITY_POLICY = None
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE], "object-src": [NONE]}
    }
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert "object-src 'none'" in response["Content-Security-Policy-Report-Only"]


def report(blocked="inline", directive="script-src-elem"):
    return json.dumps(
        {
            "csp-report": {
                "document-uri": "https://help.example/agent/",
                "violated-directive": directive,
                "blocked-uri": blocked,
                "original-policy": "x" * 100,
            }
        }
    )


def test_a_report_is_logged_without_the_noise(client, caplog):
    with caplog.at_level(logging.WARNING, logger="helpdesk.csp"):
        response = client.post("/csp-report/", report(), content_type="application/csp-report")
    assert response.status_code == 204
    [record] = caplog.records
    assert "script-src-elem" in record.getMessage() and "https://help.example/agent/" in (
        record.getMessage()
    )
    assert "original-policy" not in record.getMessage()


def test_reporting_api_batches_are_read_too(client, caplog):
    batch = [{"type": "csp-violation", "body": {"effectiveDirective": "img-src"}}] * 2
    with caplog.at_level(logging.WARNING, logger="helpdesk.csp"):
        client.post("/csp-report/", json.dumps(batch), content_type="application/reports+json")
    assert len(caplog.records) == 2


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1, 2, 3]", b'{"csp-report": "text"}', b"\xff\xfe", b"null"]
)
def test_bad_reports_are_204_and_log_nothing(client, caplog, body):
    with caplog.at_level(logging.WARNING, logger="helpdesk.csp"):
        response = client.post("/csp-report/", body, content_type="application/json")
    assert response.status_code == 204 and not caplog.records


def test_big_reports_and_gets_are_refused_quietly(client, caplog):
    with caplog.at_level(logging.WARNING, logger="helpdesk.csp"):
        big = client.post("/csp-report/", report(blocked="x" * 20000), content_type="text/plain")
    assert big.status_code == 204 and not caplog.records
    assert client.get("/csp-report/").status_code == 405


def test_reports_are_rate_limited_per_client(client, caplog, settings):
    settings.CSP_REPORTS_PER_MINUTE = 3
    with caplog.at_level(logging.WARNING, logger="helpdesk.csp"):
        codes = [
            client.post(
                "/csp-report/",
                report(),
                content_type="application/csp-report",
                REMOTE_ADDR="203.0.113.9",
            ).status_code
            for _ in range(6)
        ]
    assert codes == [204] * 6
    assert len(caplog.records) == 3
