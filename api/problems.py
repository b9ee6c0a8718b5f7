"""Errors as RFC 9457 problem details (`application/problem+json`): a title, the status,
a `detail` a person can read, and for invalid input the errors per field."""

from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tickets.errors import (
    AlreadyClaimed,
    FieldErrors,
    InvalidInput,
    NewMessageArrived,
    NotPermitted,
    OpenTasks,
    TicketError,
    TransitionNotAllowed,
)

PROBLEM_JSON = "application/problem+json"

# A domain rule said no: the same message the pages show.
DOMAIN_STATUS = {
    InvalidInput: status.HTTP_400_BAD_REQUEST,
    NotPermitted: status.HTTP_403_FORBIDDEN,
    TransitionNotAllowed: status.HTTP_409_CONFLICT,
    AlreadyClaimed: status.HTTP_409_CONFLICT,
    NewMessageArrived: status.HTTP_409_CONFLICT,
}


# Django's own limits on a body it reads (DATA_UPLOAD_MAX_*): suspicious operations that
# would otherwise be a bare HTML 400 page.
BODY_LIMITS = {
    RequestDataTooBig: (
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        "The request body is too large: send files as multipart `attachments` parts.",
    ),
    TooManyFieldsSent: (status.HTTP_400_BAD_REQUEST, "The request has too many fields."),
    TooManyFilesSent: (status.HTTP_400_BAD_REQUEST, "The request has too many files."),
}


def problem(status_code: int, detail: str, **extra) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        **extra,
    }
    response = Response(body, status=status_code)
    response.content_type = PROBLEM_JSON
    return response


def problem_exception_handler(exc, context):
    if isinstance(exc, FieldErrors):
        # Custom fields the domain refused: named one by one, as a serializer's are.
        errors = {"fields": {name: [message] for name, message in exc.errors.items()}}
        return problem(
            status.HTTP_400_BAD_REQUEST, "The request has invalid fields.", errors=errors
        )
    if isinstance(exc, OpenTasks):
        # Resolving waits for confirmation (`confirm_open_tasks`): the tasks it waits on.
        tasks = [{"id": t.pk, "title": t.title} for t in exc.tasks]
        return problem(status.HTTP_409_CONFLICT, exc.message, open_tasks=tasks)
    if isinstance(exc, TicketError):
        code = next(
            (c for kind, c in DOMAIN_STATUS.items() if isinstance(exc, kind)),
            status.HTTP_409_CONFLICT,
        )
        return problem(code, exc.message)
    limit = next((v for kind, v in BODY_LIMITS.items() if isinstance(exc, kind)), None)
    if limit is not None:
        return problem(*limit)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handler (logged, never the traceback)
    if isinstance(exc, exceptions.ValidationError):
        result = problem(
            response.status_code, "The request has invalid fields.", errors=exc.detail
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        result = problem(response.status_code, str(detail))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result
