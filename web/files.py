"""Stored files sent to a browser, from the portal and the desk alike.

A file is downloaded, never shown, unless it is an image whose content we detected as one
(tickets.attachments): then it may be shown in the page that references it (a message's
`cid:` image). Either way the browser is told not to guess the type and to run nothing.
"""

from django.http import FileResponse, Http404

from tickets.models import INLINE_IMAGE_TYPES, Attachment


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    if inline and not attachment.is_image:
        raise Http404("Not an image.")
    return stored_file_response(
        attachment.file,
        filename=attachment.filename,
        content_type=attachment.content_type,
        inline=inline,
    )


def image_response(image) -> FileResponse:
    """A knowledge-base article's image (kb.models.ArticleImage), shown in its page."""
    if image.content_type not in INLINE_IMAGE_TYPES:
        raise Http404("Not an image.")
    return stored_file_response(
        image.file, filename=image.filename, content_type=image.content_type, inline=True
    )


def stored_file_response(file, *, filename: str, content_type: str, inline: bool) -> FileResponse:
    response = FileResponse(
        file.open("rb"),
        as_attachment=not inline,
        filename=filename,
        # The type detected from the content (tickets.attachments), not the sender's claim.
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering it, it could run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # A ticket's file, or an article's that may be internal: never kept by a shared cache.
    response["Cache-Control"] = "private"
    return response
