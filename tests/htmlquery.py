"""HTML read the way a person reads the page, for assertions.

A page (a response, a string of HTML, or an element already found) is parsed with Beautiful Soup
over the standard library's html.parser; elements are picked with CSS selectors ("#name-error",
"table.adapters tbody tr") and read as the text they show. Attribute order, quoting and
whitespace in a template never decide a test, and a test names the element it means.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def parse(page) -> Tag:
    """The parsed document or fragment: of a response, a string of HTML, or an element as is."""
    if isinstance(page, Tag):
        return page
    markup = page if isinstance(page, str) else page.get_data(as_text=True)
    return BeautifulSoup(markup, "html.parser")


def every(page, selector: str) -> list[Tag]:
    """Every element the CSS selector matches, in document order."""
    return parse(page).select(selector)


def one(page, selector: str) -> Tag:
    """The one element the CSS selector matches; fails the test when none or several do."""
    found = every(page, selector)
    assert len(found) == 1, f"{selector!r} matches {len(found)} elements, not one"
    return found[0]


def text(element: Tag) -> str:
    """What the element shows: its text, entities decoded, each run of whitespace one space."""
    return " ".join(element.get_text().split())


def texts(page, selector: str) -> list[str]:
    """The text of every element the CSS selector matches, in document order."""
    return [text(element) for element in every(page, selector)]


def rows(page, table: str = "table") -> list[list[str]]:
    """The body rows of the one table the selector names, each as the text of its cells."""
    return [texts(row, "td") for row in every(one(page, table), "tbody tr")]


def top_level(page) -> list[Tag]:
    """The outermost elements of a fragment: what an htmx swap puts in place."""
    return parse(page).find_all(recursive=False)
