"""Security headers that Django and django-csp do not send themselves, and the endpoint
that hears about Content-Security-Policy violations."""

import json
import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.ratelimit import client_ip, rate_limit_exceeded

logger = logging.getLogger("helpdesk.csp")

REPORT_MAX_BYTES = 16 * 1024
# What is worth keeping of a report (the legacy report-uri format and the Reporting API's).
REPORT_FIELDS = (
    "document-uri",
    "documentURL",
    "violated-directive",
    "effectiveDirective",
    "effective-directive",
    "blocked-uri",
    "blockedURL",
    "source-file",
    "sourceFile",
    "line-number",
    "lineNumber",
    "script-sample",
    "sample",
    "disposition",
)


class PermissionsPolicyMiddleware:
    """Every response says which browser features our pages never use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


@csrf_exempt  # browsers post reports without our cookie or token
@require_POST
def csp_report(request):
    """Log a browser's violation report, a few per client and minute; always 204, so the
    endpoint tells a prober nothing."""
    if rate_limit_exceeded(
        scope="csp-report",
        value=client_ip(request),
        limit=settings.CSP_REPORTS_PER_MINUTE,
        window=60,
    ):
        return HttpResponse(status=204)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > REPORT_MAX_BYTES:
        return HttpResponse(status=204)
    for report in _reports(request.read(REPORT_MAX_BYTES)):
        logger.warning("CSP violation: %s", json.dumps(report, sort_keys=True))
    return HttpResponse(status=204)


def _reports(body: bytes) -> list[dict]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    # report-uri posts {"csp-report": {...}}; the Reporting API a list of {"body": {...}}.
    items = data if isinstance(data, list) else [data]
    reports = []
    for item in items[:10]:
        if not isinstance(item, dict):
            continue
        report = item.get("csp-report", item.get("body", item))
        if isinstance(report, dict):
            reports.append({key: str(report[key])[:500] for key in REPORT_FIELDS if key in report})
    return reports
