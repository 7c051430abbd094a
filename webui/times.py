"""Times as people read them: how long ago ("3 days ago"), with the exact UTC time beside.

Computed on the server, so a page says it without JavaScript. Plain Python, like ``rules``.
"""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup

from .rules import format_timestamp

# (seconds in the unit, its name), largest first; a span is told in the largest unit it fills
UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def relative(moment: datetime, now: datetime) -> str:
    """How long before ``now`` the naive-UTC ``moment`` was: "just now", "1 minute ago",
    "3 days ago"; a moment ahead of ``now`` (another clock) reads "in 2 hours"."""
    seconds = int((now - moment).total_seconds())
    span = abs(seconds)
    for size, unit in UNITS:
        if span >= size:
            count = span // size
            told = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"{told} ago" if seconds > 0 else f"in {told}"
    return "just now"


def exact(moment: datetime) -> str:
    """The naive-UTC ``moment`` to the second, e.g. "2026-01-02 03:04:05 UTC"."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def absolute_element(moment: datetime, seconds: bool = False) -> Markup:
    """A <time> showing ``moment`` as a UTC date and time (to the minute, or the second), the
    stored timestamp in datetime and title."""
    stamp = format_timestamp(moment)  # e.g. 2026-01-02T03:04:05.000006Z
    shown = f"{stamp[:10]} {stamp[11:19] if seconds else stamp[11:16]}"
    # digits and separators only, nothing to escape: Markup.format would escape each part
    return Markup(f'<time datetime="{stamp}" title="{stamp}">{shown} UTC</time>')


def time_element(moment: datetime, now: datetime) -> Markup:
    """A <time> saying how long ago ``moment`` was, its exact UTC time in datetime and title."""
    # digits, letters and separators only: nothing to escape
    return Markup(f'<time datetime="{format_timestamp(moment)}" title="{exact(moment)}">'
                  f"{relative(moment, now)}</time>")
