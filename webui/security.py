"""Security headers on every answer."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface


@cache
def content_security_policy(htmx_url: str) -> str:
    """Scripts and everything else from the app only, plus the origin htmx is loaded from."""
    parts = urlsplit(htmx_url)
    script_sources = ["'self'"]
    if parts.scheme and parts.netloc:
        script_sources.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join([
        "default-src 'self'",
        f"script-src {' '.join(script_sources)}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def add_headers(response: Response) -> Response:
    """The same protective headers on every response."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(current_app.config["HTMX_URL"])
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def register(app: Flask) -> None:
    """Install the headers and the session cookie's policy."""
    app.after_request(add_headers)
    app.session_interface = SessionInterface()
