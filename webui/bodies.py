"""Request bodies: read whole, within MAX_CONTENT_LENGTH and unencoded, or refused (413, 415).

A body the server streams (``Transfer-Encoding: chunked``, no Content-Length) has no size to
check up front. werkzeug reads such a body up to the limit and stops there, so a longer one
would arrive cut at the limit and pass for the whole body. Here the stream looks one byte past
the limit instead: a longer body is a 413, whoever reads it.
"""

from __future__ import annotations

from typing import IO, NoReturn

from flask import Flask, request
from flask import Request as FlaskRequest
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

DRAIN_BYTES = 16 * 1024 * 1024  # read and dropped after a 413, at most


def _drain(stream: IO[bytes]) -> None:
    """Read and drop the rest of a refused body (up to DRAIN_BYTES). A server closing with
    unread data resets the connection, and a client that is still sending, or whose answer
    the reset overtakes, sees the reset instead of the refusal."""
    left = DRAIN_BYTES
    while left > 0 and (chunk := stream.read(min(left, 65536))):
        left -= len(chunk)


def _too_large(stream: IO[bytes]) -> NoReturn:
    """413, once the rest of the body is read and dropped."""
    _drain(stream)
    raise RequestEntityTooLarge()


class _WholeBody(LimitedStream):
    """A streamed body capped at the limit: a byte past it is a 413, never a cut."""

    def on_exhausted(self) -> None:
        """At the limit: the end of the body, or a 413 if it goes on."""
        if self._stream.read(1):
            _too_large(self._stream)

    def readall(self) -> bytes:
        """The whole body; werkzeug's own stops at the limit without a look past it."""
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


def _has_body(environ: dict) -> bool:
    """Whether the request says it carries a body."""
    return bool(environ.get("CONTENT_LENGTH", "0") not in ("", "0")
                or environ.get("HTTP_TRANSFER_ENCODING"))


def _refuse_encoded(environ: dict) -> None:
    """415 for a body with a Content-Encoding other than identity: bodies are read as sent."""
    codings = [coding.strip().lower()
               for coding in environ.get("HTTP_CONTENT_ENCODING", "").split(",")]
    refused = [coding for coding in codings if coding not in ("", "identity")]
    if refused and _has_body(environ):
        _drain(get_input_stream(environ))  # bounded by Content-Length where the server is not
        raise UnsupportedMediaType(f"Content-Encoding {', '.join(refused)!r} is not supported: "
                                   "send the body unencoded")


class Request(FlaskRequest):
    """Flask's request, whose body is whole or refused."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body: 415 if encoded; past the limit, a 413 however it is sent."""
        _refuse_encoded(self.environ)
        limit = self.max_content_length
        if limit is None or "wsgi.input_terminated" not in self.environ:
            return get_input_stream(self.environ, max_content_length=limit)
        if (self.content_length or 0) > limit:
            _too_large(self.environ["wsgi.input"])
        return _WholeBody(self.environ["wsgi.input"], limit, is_max=True)


def refuse_unreadable_body() -> None:
    """On every route, even one that reads no body: 415 for an encoded body, 413 past the limit."""
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        request.get_data()  # a streamed body is measured by reading it; kept for the view
    else:
        request.stream  # noqa: B018 -- its checks of Content-Encoding and Content-Length


def register(app: Flask) -> None:
    """Read every request's body this way, and check it before every view."""
    app.request_class = Request
    app.before_request(refuse_unreadable_body)
