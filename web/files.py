"""Stored files sent to a browser, from the portal and the desk alike.

A file is downloaded, never shown, unless it is an image whose content we detected as one
(tickets.attachments): then it may be shown in the page that references it (a message's
`cid:` image). Either way the browser is told not to guess the type and to run nothing.
"""

from django.http import FileResponse, Http404

from tickets.models import Attachment


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    if inline and not attachment.is_image:
        raise Http404("Not an image.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        # The type detected from the content (tickets.attachments), not the sender's claim.
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering it, it could run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # The file is a ticket's: never kept by a shared cache.
    response["Cache-Control"] = "private"
    return response
