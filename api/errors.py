"""One error family for the API, translated to {"detail": ..., "code": ...} with a 4xx code in one handler."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from rules.errors import RuleViolation


class ApiError(Exception):
    """A domain error that carries its HTTP status, a stable machine `code` and the `params` of its message.

    `detail` is the English text clients have always matched on; the pages word the code in Chinese
    (api/error_messages.py)."""

    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, params: dict[str, Any] | None = None,
                 status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.params = dict(params or {})
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        """The JSON body: detail and code, and the params when there are any."""
        out: dict[str, Any] = {"detail": self.detail, "code": self.code}
        if self.params:
            out["params"] = self.params
        return out


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Invalid(ApiError):
    status = 422
    code = "invalid"


def validation_detail(exc: ValidationError | RequestValidationError, prefix: str = "") -> str:
    """'field.path: message; …' in plain words."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        where = ".".join([prefix, *loc] if prefix else loc)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid input"


def install(app: FastAPI) -> None:
    """Register the handlers that turn our errors into 4xx JSON."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RuleViolation)
    async def _rule(_: Request, exc: RuleViolation) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc), "code": "validation_failed"}, status_code=422)

    @app.exception_handler(ValidationError)
    async def _pyd(_: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc), "code": "validation_failed"}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _db_busy(_: Request, exc: OperationalError) -> JSONResponse:
        # SQLite's one writer was busy past the busy timeout (seen under heavy load, issue 12): the request changed
        # nothing (its transaction never began), so it may be sent again; anything else stays a server error.
        if "database is locked" not in str(exc):
            raise exc
        return JSONResponse(ApiError("the database is busy; try again (a repeated decision is not applied twice)",
                                     code="database_busy", status=503).body(), status_code=503,
                            headers={"Retry-After": "1"})
