"""The few helpers that read htmx's request headers."""

from __future__ import annotations

import json

from flask import Response, make_response, render_template, request


def is_htmx() -> bool:
    """Whether htmx sent this request."""
    return request.headers.get("HX-Request") == "true"


def target() -> str | None:
    """The id of the element htmx will swap; htmx 4 sends ``tag#id``, htmx 2 a bare id."""
    value = request.headers.get("HX-Target")
    if not value:
        return None
    return value.rpartition("#")[2]


def fragment(fragments: dict[str, str]) -> str | None:
    """The template of the fragment whose container ``HX-Target`` names, if it is one of
    ``fragments`` (container id → template); None when the whole page is wanted."""
    return fragments.get(target() or "")


def render(template_name: str, fragments: dict[str, str], status: int = 200, **context) -> Response:
    """A full page, or only the fragment whose container ``HX-Target`` names.

    ``fragments`` maps a container id to the template that renders its contents. The answer
    depends on the header, so caches are told with ``Vary``.
    """
    template = fragment(fragments) or template_name
    # any page can give just its <main> (after HX-Location, for instance)
    context["main_only"] = target() == "main"
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Target")
    return response


def location(url: str, target_id: str = "main") -> Response:
    """204 + HX-Location: htmx fetches ``url`` into ``#target_id`` and pushes it to history."""
    response = Response(status=204)
    response.headers["HX-Location"] = json.dumps({"path": url, "target": f"#{target_id}"})
    return response
