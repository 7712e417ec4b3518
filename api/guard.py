"""What every request passes before any route parses it: a body-size limit, a refusal of NUL characters (no database
column may hold them; PostgreSQL refuses them with an error), and the security headers of every response.

A pure ASGI middleware (no BaseHTTPMiddleware: it must not buffer the responses). A JSON or form body is read here,
up to `max_body` bytes (413 past it, before the app sees a byte), and handed on as read; a multipart body (uploads)
streams through under its own, larger limit, `max_multipart`, and the upload service still checks each file against
UPLOAD_MAX_BYTES. A Content-Length above the limit is refused without reading anything.
"""

from __future__ import annotations

import html
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A page of our own may be framed by nothing, and loads only our own scripts and styles.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"style-src-attr 'unsafe-inline'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
# FastAPI's own /docs and /redoc load their scripts from a CDN and run an inline script: they get a looser policy.
DOCS_CSP = (b"default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https:; "
            b"script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000")


class BodyTooLarge(Exception):
    pass


JSON_PATHS = ("/api/", "/metrics", "/healthz", "/openapi.json")


async def _refuse(send: Send, status: int, detail: str, *, code: str, path: str = "/api/") -> None:
    """The API's error body; a page gets a plain HTML page in Chinese (api/error_messages.py)."""
    if path.startswith(JSON_PATHS):
        body, ctype = json.dumps({"detail": detail, "code": code}).encode(), b"application/json"
    else:
        from api.error_messages import MESSAGES

        text = html.escape(MESSAGES.get(code, "请求无效"))
        body = (f"<!doctype html><meta charset=utf-8><title>请求无效</title><p>{text}</p>"
                f"<p><a href=/>回到首页</a></p>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    await _refuse(send, 413, f"the request body is larger than {limit} bytes", code="body_too_large",
                  path=scope.get("path", ""))


def _has_nul(scope: Scope) -> bool:
    path = scope.get("path", "")
    query: bytes = scope.get("query_string", b"")
    return "\x00" in path or b"%00" in query or b"\x00" in query


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body: int, max_multipart: int, hsts: bool = False) -> None:
        self.app, self.max_body, self.max_multipart, self.hsts = app, max_body, max_multipart, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        if _has_nul(scope):
            await _refuse(send, 400, "the address holds a NUL character", code="bad_characters", path=scope.get("path", ""))
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.max_multipart if multipart else self.max_body
        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            await _too_large(scope, send, limit)
            return
        if multipart:
            await self._stream(scope, receive, send, limit)
            return
        # A JSON or form body: read it whole (it is small), then check it and pass it on.
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        form = headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded")
        if b"\\u0000" in body or b"\x00" in body or (form and b"%00" in body):
            await _refuse(send, 400, "the request holds a NUL character", code="bad_characters", path=scope.get("path", ""))
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """A multipart body passes as it comes; past the limit the app is cut off and the client told 413."""
        size, started, over = 0, False, False

        async def counted() -> Message:
            nonlocal size, over
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            if not over:
                await send(message)

        try:
            await self.app(scope, counted, watch)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _too_large(scope, send, limit)

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        path: str = scope.get("path", "")
        docs = path in ("/docs", "/redoc", "/docs/oauth2-redirect")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra: list[Any] = [(k, DOCS_CSP if docs and k == b"content-security-policy" else v)
                                    for k, v in SECURITY_HEADERS if k not in have]
                if self.hsts and HSTS[0] not in have:
                    extra.append(HSTS)
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return send_with_headers
