"""A stored file as an HTTP download that no browser will run or render as a page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import Response

from loyaldesk.kernel.errors import Invalid
from loyaldesk.support import MAX_ATTACHMENT_BYTES, MAX_FILES_PER_MESSAGE, NewAttachment

# A downloaded file may not run scripts, load anything or be framed, even if a browser sniffed it as HTML.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def download_response(filename: str, content_type: str, data: bytes) -> Response:
    """``data`` served with ``Content-Disposition: attachment`` (images still show in an ``<img>``); the
    security middleware adds ``X-Content-Type-Options: nosniff`` to every response."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Security-Policy": DOWNLOAD_CSP,
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Cache-Control": "private, max-age=3600",
        },
    )


async def read_uploads(files: list[UploadFile]) -> list[NewAttachment]:
    """The uploaded files read into memory, refusing early (before reading them all) what is too big."""
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise Invalid.field("files", f"send at most {MAX_FILES_PER_MESSAGE} files at once")
    read: list[NewAttachment] = []
    for file in files:
        data = await file.read(MAX_ATTACHMENT_BYTES + 1)
        if not file.filename and not data:
            continue  # an empty file input in a form
        read.append(NewAttachment(file.filename or "", file.content_type or "", data))
    return read
