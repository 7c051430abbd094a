"""Error answers: JSON under /apis/, an HTML page elsewhere; never a stack trace.

Code under ``/apis/`` raises :class:`ApiError`; one handler here turns it into the contract's
body, ``{"detail": ...}``, as it does every other HTTP error of the API.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound


class ApiError(Exception):
    """An answer of the JSON API that is not a success: its status, detail and any headers."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


class PageNotFound(NotFound):
    """A page's 404 that offers a way on: a link's text and URL."""

    def __init__(self, description: str, link: tuple[str, str] | None = None) -> None:
        super().__init__(description)
        self.link = link


_API_DETAILS = {
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def json_error(error: ApiError) -> Response:
    """The contract's error body: ``{"detail": ...}`` with its status and headers."""
    response = jsonify(detail=error.detail)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _is_api() -> bool:
    return request.path.startswith("/apis/")


def _detail(error: HTTPException) -> str:
    if error.code in _API_DETAILS:
        return _API_DETAILS[error.code]
    if error.code == 413:
        return f"Request body is larger than the limit of {request.max_content_length} bytes"
    return error.description or error.name


def handle_http_error(error: HTTPException):
    """Any HTTP error: the contract's JSON body under /apis/, a page elsewhere."""
    headers = {}
    if error.code == 405 and (allowed := getattr(error, "valid_methods", None)):
        headers["Allow"] = ", ".join(allowed)
    if retry_after := getattr(error, "retry_after", None):
        headers["Retry-After"] = str(retry_after)
    if _is_api():
        return json_error(ApiError(error.code or 500, _detail(error), headers))
    page = render_template("error.html", code=error.code, title=error.name,
                           message=error.description, link=getattr(error, "link", None))
    return page, error.code, headers


def handle_unexpected(error: Exception):
    """A bug: logged with its trace, answered with a plain 500 and no details."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def register(app: Flask) -> None:
    """Install the handlers."""
    app.register_error_handler(ApiError, json_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
