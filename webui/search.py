"""What a search box's text means: the words to find, and how a page marks them.

A search matches a row when every word is found, case-blind, somewhere in its name, model,
fileset or description. The listing, the model pages and the search across workspaces all
read the box through :func:`words` and mark what they show with :func:`highlight`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from markupsafe import Markup, escape

WORDS_MAX = 8  # words past this are ignored: each costs an index probe


def words(text: str | None) -> list[str]:
    """The distinct words of a search, in the order typed, at most WORDS_MAX."""
    found: list[str] = []
    seen: set[str] = set()
    for word in (text or "").split():
        key = word.casefold()
        if key not in seen:
            seen.add(key)
            found.append(word)
        if len(found) == WORDS_MAX:
            break
    return found


def highlight(value: object, terms: list[str] | None) -> Markup:
    """``value`` escaped, with every case-blind occurrence of ``terms`` wrapped in <mark>."""
    return marker(terms)(value)


def marker(terms: list[str] | None) -> Callable[[object], Markup]:
    """:func:`highlight` for one search, its pattern looked up once: a page marks hundreds
    of values with the same terms."""
    if not terms:
        return _escape
    pattern = _pattern(tuple(terms))

    def mark(value: object) -> Markup:
        text = "" if value is None else str(value)
        found = pattern.search(text)
        if found is None:  # most values hold no term: escaped as they are
            return escape(text)
        # plain strings joined once, each piece escaped: Markup's own + and join escape
        # every piece again, which on a page of 50 rows cost more than the search
        parts: list[str] = []
        last = 0
        while found is not None:
            parts += (escape(text[last:found.start()]), "<mark>", escape(found.group()),
                      "</mark>")
            last = found.end()
            found = pattern.search(text, last)
        parts.append(escape(text[last:]))
        return Markup("".join(parts))
    return mark


def _escape(value: object) -> Markup:
    """A value escaped, with nothing to mark (None shows as nothing)."""
    return escape("" if value is None else value)


def first_line(text: str | None) -> str:
    """The first line of a description, as a listing shows it under the name."""
    return ((text or "").strip().splitlines() or [""])[0]


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """The terms as one case-blind pattern, built once per search (a page marks hundreds of
    values with the same terms)."""
    # longest first, so a word inside another word does not split its mark
    return re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)),
                      re.IGNORECASE)


def init_app(app) -> None:
    """Make ``highlight`` a template filter: ``{{ adapter.name | highlight(terms) }}``."""
    app.add_template_filter(highlight, "highlight")
    app.add_template_filter(first_line, "first_line")
