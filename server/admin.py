"""Adding and removing documents over HTTP: who may, what a file is, and what each failure is called.

Off unless ``ALLIANCE_QA_ADMIN_TOKEN`` is set.  The routes in ``server.app`` are thin: the token check, the reading
of the multipart form and the sniffing of the file's type live here, and the corpus edit itself is
``retriever.store.add`` / ``remove`` (the same as ``alliance-qa add`` / ``remove``), which leaves the corpus as it was
on any error.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile

from retriever.config import Settings
from retriever.documents import UnreadableFile
from retriever.readers import decode_text

FIELDS = ("doc_id", "title", "authors", "publisher", "date", "url")  # optional form fields beside the file
MAX_FIELD_CHARS = 1000
_HTML = re.compile(rb"<(!doctype\s+html|html|head|body|article|p|div|h[1-6])[\s>]", re.IGNORECASE)
_MARKDOWN = re.compile(r"^(#{1,6} |[-*] |\d+\. |> )", re.MULTILINE)


def check_token(settings: Settings, authorization: str | None) -> None:
    """403 when uploads are off or the token is wrong (compared in constant time), 401 when none is sent."""
    if not settings.admin_token:
        raise HTTPException(403, "adding and removing documents over HTTP is disabled on this server; start it with "
                                 "ALLIANCE_QA_ADMIN_TOKEN set to enable it")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "send the admin token as the header 'Authorization: Bearer TOKEN'",
                            headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
        raise HTTPException(403, "the admin token is wrong")


async def read_upload(request: Request, settings: Settings) -> tuple[str, bytes, dict]:
    """The uploaded file's safe name (its suffix from its bytes), its bytes, and the catalogue fields sent with it."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the document as multipart/form-data, with the file in a part named 'file'")
    form = await request.form(max_files=1, max_fields=len(FIELDS) + 1)  # a malformed form: Starlette's 400
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(422, "the form has no file: send it in a part named 'file'")
    data = await upload.read()
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"the file is larger than {settings.max_upload_bytes} bytes")
    entry: dict = {}
    for name in FIELDS:
        value = form.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS or "\x00" in value:
            raise HTTPException(422, f"the field '{name}' must be text of at most {MAX_FIELD_CHARS} characters")
        entry[name] = [a.strip() for a in value.split(",") if a.strip()] if name == "authors" else value.strip()
    if not data.strip():
        raise HTTPException(422, "the file is empty")
    return safe_name(upload.filename or "", sniff(data, upload.filename or "")), data, entry


def sniff(data: bytes, filename: str) -> str:
    """The file's type from its bytes, as the suffix the corpus reads it by; 415 for anything else.

    The name is only a tie-breaker between Markdown and plain text, which the bytes cannot tell apart reliably.
    """
    if b"%PDF-" in data[:1024]:
        return ".pdf"
    try:
        text = decode_text(data)
    except UnreadableFile:
        raise HTTPException(415, "the file is neither PDF, HTML, Markdown nor plain text (its bytes are binary)")
    if _HTML.search(data[:4096]):
        return ".html"
    if Path(filename).suffix.lower() in (".md", ".markdown") or _MARKDOWN.search(text[:4096]):
        return ".md"
    return ".txt"


def safe_name(filename: str, suffix: str) -> str:
    """A file name for the corpus folder: the upload's own stem, without any path or odd characters."""
    stem = Path(filename.replace("\\", "/")).stem
    stem = re.sub(r"[^\w.-]+", "-", stem).strip(".-_")[:80]
    return (stem or "document") + suffix
