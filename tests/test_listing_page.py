"""The adapters listing page over HTTP: relative times, description lines, cut identifiers,
marked search words, the model filter by a part of the name, the page past the end, and the
history header each htmx answer carries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from htmlquery import every, one, parse, text

from webui import times
from webui.extensions import db
from webui.models import Adapter

LISTING = "/workspaces/default/adapters"
HTMX = {"HX-Request": "true", "HX-Target": "results"}
NOW = datetime(2026, 11, 29, 12, 0, 0)


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=3, hours=5), "3 days ago"),
        (timedelta(days=29), "29 days ago"),
        (timedelta(days=30), "1 month ago"),
        (timedelta(days=364), "12 months ago"),
        (timedelta(days=365), "1 year ago"),
        (timedelta(days=800), "2 years ago"),
        (timedelta(hours=-2), "in 2 hours"),
        (timedelta(days=-1), "in 1 day"),
    ],
    ids=lambda value: str(value),
)
def test_relative_time(delta, shown):
    """How long ago, in the largest unit the span fills; a moment ahead reads "in ..."."""
    assert times.relative(NOW - delta, NOW) == shown


def test_time_element_carries_the_exact_utc_time():
    element = parse(str(times.time_element(datetime(2026, 11, 26, 9, 5, 7, 123456), NOW)))
    time = one(element, "time")
    assert time["datetime"] == "2026-11-26T09:05:07.123456Z"
    assert time["title"] == "2026-11-26 09:05:07 UTC"
    assert text(time) == "3 days ago"


def age(app, name: str, delta: timedelta) -> None:
    from webui.queries import utcnow

    with app.app_context():
        adapter = db.session.query(Adapter).filter_by(workspace="default", name=name).one()
        adapter.created_at = utcnow() - delta
        db.session.commit()


def row(page, name: str):
    """The listing's row of the adapter named."""
    for found in every(page, "table.adapters tbody tr"):
        if text(one(found, "td[data-label=Name] a")) == name:
            return found
    raise AssertionError(f"no row for {name}")


def test_each_row_shows_the_description_line_and_how_long_ago(app, client, create):
    """The description's first non-blank line under the name; the time as "3 days ago"."""
    create(name="told", description="\n  First line here  \nsecond line")
    create(name="silent")
    age(app, "told", timedelta(days=3, hours=1))
    page = parse(client.get(LISTING))
    told = row(page, "told")
    assert text(one(told, ".desc")) == "First line here"
    assert "second line" not in text(told)
    assert every(row(page, "silent"), ".desc") == []
    time = one(told, "time")
    assert text(time) == "3 days ago"
    assert time["datetime"].endswith("Z") and time["title"].endswith(" UTC")
    assert text(one(row(page, "silent"), "time")) == "just now"


def test_identifiers_carry_their_whole_value_in_a_title(client, create):
    fileset = "default/" + "very-long-fileset-name-" * 4 + "end"
    create(name="long-" + "x" * 50, model="meta/llama-3.1-8b-instruct", fileset=fileset)
    found = row(client.get(LISTING), "long-" + "x" * 50)
    assert one(found, "td[data-label=Name] a")["title"] == "long-" + "x" * 50
    assert one(found, "td[data-label=Model] .clip")["title"] == "meta/llama-3.1-8b-instruct"
    assert one(found, "td[data-label=Fileset] .clip")["title"] == fileset


def test_search_words_are_marked_in_name_model_fileset_and_description(client, create):
    create(name="support-bot", model="support-model", fileset="default/support-data",
           description="Support answers\nsupport again")
    create(name="other", description="no match here")
    page = parse(client.get(LISTING + "?q=SUPPORT"))
    found = row(page, "support-bot")
    for cell in ("td[data-label=Name] a", "td[data-label=Model] code",
                 "td[data-label=Fileset] code", ".desc"):
        assert [text(mark).lower() for mark in every(one(found, cell), "mark")] == ["support"]
    assert every(page, "mark") == every(found, "mark")


def test_marks_escape_what_they_wrap(client, create):
    create(name="x-1", description="<b>bold</b> & more")
    page = client.get(LISTING + "?q=bold").get_data(as_text=True)
    assert "&lt;b&gt;<mark>bold</mark>&lt;/b&gt; &amp; more" in page


@pytest.mark.parametrize(
    ("model", "found"),
    [
        ("llama", ["a-llama", "b-llama"]),
        ("LLAMA-3.1", ["a-llama"]),
        ("llama-3.1-8b-instruct", ["a-llama"]),
        ("meta/llama-3.1-8b-instruct", ["a-llama"]),
        ("mistral", ["c-mistral"]),
        ("%", []),
        ("nothing", []),
    ],
)
def test_the_model_filter_takes_a_part_of_the_name(client, create, model, found):
    """Case-blind, anywhere in the model's name; '%' is a literal character."""
    create(name="a-llama", model="meta/llama-3.1-8b-instruct")
    create(name="b-llama", model="llama-2-7b")
    create(name="c-mistral", model="mistralai/mistral-7b")
    page = parse(client.get(LISTING + "?model=" + model.replace("%", "%25")))
    names = sorted(text(link) for link in every(page, "table.adapters td[data-label=Name] a"))
    assert names == found
    assert one(page, "#filter-model")["value"] == model
    for cell in every(page, "td[data-label=Model]"):  # the part found is marked
        assert {text(mark).lower() for mark in every(cell, "mark")} == {model.lower()}


def test_the_model_filter_suggests_the_workspaces_models(client, create):
    create(name="a", model="meta/llama-3.1-8b-instruct")
    create(name="b", model="mistral-7b")
    options = [option["value"] for option in every(client.get(LISTING), "#filter-models option")]
    assert sorted(options) == ["default/mistral-7b", "meta/llama-3.1-8b-instruct"]


@pytest.mark.parametrize(
    ("count", "query", "message", "last"),
    [
        (60, "?page=999", "Page 999 is past the end — there are 2 pages.",
         LISTING + "?page=2"),
        (3, "?page=2", "Page 2 is past the end — there is 1 page.", LISTING),
        (60, "?page=3&page_size=25&sort=name", "Page 3 is past the end — there are 3 pages.",
         None),
        (60, "?page=5&page_size=25&sort=name", "Page 5 is past the end — there are 3 pages.",
         LISTING + "?sort=name&page=3&page_size=25"),
    ],
    ids=["far", "one-page", "last-page-is-not-past", "keeps-the-state"],
)
def test_past_the_end_says_so_and_links_to_the_last_page(client, create, count, query,
                                                         message, last):
    """No empty table and no Previous past the end: a message and a link to the last page."""
    for index in range(count):
        create(name=f"a{index:03d}")
    page = parse(client.get(LISTING + query))
    if last is None:  # page 3 of 3 is a page like any other
        assert every(page, ".past-end") == [] and len(every(page, "table.adapters")) == 1
        return
    assert text(one(page, ".past-end #results-count")) == message
    assert one(page, ".past-end a")["href"] == last
    assert every(page, "table.adapters") == [] and every(page, 'a[rel="prev"]') == []


def test_an_empty_workspace_past_the_end_is_just_empty(client):
    page = parse(client.get(LISTING + "?page=4"))
    assert "No adapters in default yet" in text(one(page, ".empty"))
    assert every(page, ".past-end") == []


def test_the_index_past_the_end_links_previous_to_its_last_page(client, create):
    for index in range(30):
        create(workspace=f"ws-{index:02d}", name="a")
    page = parse(client.get("/?page=9"))
    assert one(page, 'a[rel="prev"]')["href"] == "/?page=2"


@pytest.mark.parametrize(
    ("headers", "header", "other"),
    [({}, "HX-Push-Url", "HX-Replace-Url"),
     ({"X-History": "replace"}, "HX-Replace-Url", "HX-Push-Url")],
    ids=["a committed change pushes", "typing replaces"],
)
def test_htmx_answers_say_how_history_moves_with_the_tidy_url(client, create, headers, header,
                                                              other):
    create()
    response = client.get(LISTING + "?q=lora&model=&enabled=&page_size=50&sort=-created_at",
                          headers={**HTMX, **headers})
    assert response.headers[header] == LISTING + "?q=lora"
    assert other not in response.headers


def test_the_search_box_replaces_history_and_the_form_sends_one_request_per_change(client):
    """The search box triggers on typing alone (its change event, on leaving it, is no
    trigger, so Apply after typing sends one request); the filters on their change."""
    page = parse(client.get(LISTING))
    form, search = one(page, "form#filters"), one(page, "input#q")
    assert search["hx-trigger"] == "input changed delay:300ms"
    assert search["hx-replace-url"] == "true" and '"X-History": "replace"' in search["hx-headers"]
    triggers = [part.strip() for part in form["hx-trigger"].split(",")]
    assert "change" not in triggers and "change from:#q" not in triggers
    assert set(triggers) == {"change from:#filter-type", "change from:#filter-model",
                             "change from:#filter-enabled", "change from:#filter-page-size",
                             "submit"}
    assert "data-url-state" in form.attrs
    assert one(page, "#filter-page-size")["data-default"] == "50"
    assert one(page, "input[name=sort]")["data-default"] == "-created_at"
