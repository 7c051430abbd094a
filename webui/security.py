"""Security headers on every answer."""

from __future__ import annotations

from functools import cache
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface


def script_sources(htmx_url: str) -> list[str]:
    """'self', plus htmx's one file (its URL, not its origin) when it comes from elsewhere."""
    parts = urlsplit(htmx_url)
    if not parts.netloc:
        return ["'self'"]
    scheme = f"{parts.scheme}://" if parts.scheme else ""  # '//host/...': the page's scheme
    # CSP ends a source at ';' or ',' and reads a path percent-decoded: escape those two only
    path = quote(parts.path, safe="/%:@!$&'()*+=~-._")
    return ["'self'", f"{scheme}{parts.netloc}{path}"]


@cache
def content_security_policy(htmx_url: str) -> str:
    """Scripts from the app only, plus the pinned htmx file; everything else from the app."""
    return "; ".join([
        "default-src 'self'",
        f"script-src {' '.join(script_sources(htmx_url))}",
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
