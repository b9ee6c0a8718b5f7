"""Idempotency-Key on POST: a client that retries (a timeout, a dropped connection) gets
the first answer again instead of a second ticket or reply.

The first request with a key claims it by inserting a row, committed at once; a retry with
the same key and the same request (method, path, body; a multipart body by its fields and
files) within RETENTION replays the stored answer (`Idempotent-Replayed: true`); the same
key with a different request is 422; a retry while the first is still being answered is
409. A request that fails with a server error releases its key, so the client may try again.
"""

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.models import ApiKey, IdempotentRequest

HEADER = "HTTP_IDEMPOTENCY_KEY"
RETENTION = timedelta(hours=24)
# A claim still in flight after this long belongs to a worker that died: it is released.
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


class IdempotencyProblem(APIException):
    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code


class Replay(Exception):
    """The stored first answer, to send again (api.problems turns it into the response)."""

    def __init__(self, row: IdempotentRequest):
        super().__init__(row.key)
        self.row = row

    def response(self) -> Response:
        response = Response(self.row.body, status=self.row.status_code)
        response["Idempotent-Replayed"] = "true"
        return response


def owner_of(request) -> str:
    key = request.auth
    return f"key:{key.pk}" if isinstance(key, ApiKey) else f"user:{request.user.pk}"


def fingerprint_of(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.content_type.startswith("multipart/form-data"):
        _digest_form(digest, request)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _digest_form(digest, request) -> None:
    """A multipart body by its fields and files, not its bytes: Django keeps a body in
    memory only up to DATA_UPLOAD_MAX_MEMORY_SIZE (a file of 3 MB would be refused), and
    each client draws its own part boundary. Files are read in chunks from where the
    parser put them (memory or a temporary file) and rewound for the view."""
    for name, values in sorted(request.POST.lists()):
        digest.update(json.dumps(["field", name, values]).encode())
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest.update(json.dumps(["file", name, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)


def idempotency_claim(request) -> IdempotentRequest | None:
    """Claim the request's key (None when it sent none); Replay or IdempotencyProblem
    when the key was used before."""
    key = request.META.get(HEADER)
    if key is None or request.method != "POST":
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyProblem(
            status.HTTP_400_BAD_REQUEST,
            f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters.",
        )
    owner, fingerprint = owner_of(request), fingerprint_of(request)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(
                    owner=owner, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            earlier = IdempotentRequest.objects.filter(owner=owner, key=key).first()
            if earlier is None:
                continue  # released meanwhile: claim it now
            now = timezone.now()
            abandoned = (
                earlier.state == IdempotentRequest.State.IN_FLIGHT
                and earlier.created_at < now - ABANDONED_AFTER
            )
            if abandoned or earlier.created_at < now - RETENTION:
                earlier.delete()
                continue
            if earlier.fingerprint != fingerprint:
                raise IdempotencyProblem(
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                    "This Idempotency-Key was used for a different request.",
                ) from None
            if earlier.state == IdempotentRequest.State.IN_FLIGHT:
                raise IdempotencyProblem(
                    status.HTTP_409_CONFLICT,
                    "A request with this Idempotency-Key is still being answered; retry later.",
                ) from None
            raise Replay(earlier) from None
    raise IdempotencyProblem(status.HTTP_409_CONFLICT, "Retry with this Idempotency-Key later.")


def idempotency_record(row: IdempotentRequest, response) -> None:
    """Keep the answer for retries, or release the key after a server error."""
    if response.status_code >= 500:
        IdempotentRequest.objects.filter(pk=row.pk).delete()
        return
    data = getattr(response, "data", None)
    IdempotentRequest.objects.filter(pk=row.pk).update(
        state=IdempotentRequest.State.DONE,
        status_code=response.status_code,
        # Through DRF's encoder (dates, decimals), back to plain JSON for the column.
        body=json.loads(json.dumps(data, cls=JSONEncoder)) if data is not None else None,
    )


def idempotency_prune(*, now=None) -> int:
    """Forget keys older than RETENTION (beat runs it); how many went."""
    now = now or timezone.now()
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=now - RETENTION).delete()
    return deleted
