"""Every adapter has its page: no page URL of the app can be taken by a valid name."""

from __future__ import annotations

import json

import pytest
from conftest import API
from htmlquery import every, one, text, texts

from webui import rules

FORM = "/workspaces/default/new-adapter"
PAGE_OF_NEW = "/workspaces/default/adapters/new"
HTMX = {"HX-Request": "true"}

# what each variable of a route accepts; a variable not named here is tried with every word
VALID = {"workspace": rules.check_workspace, "name": rules.check_name,
         "adapter": rules.check_name, "model_name": rules.check_model_segment,
         "model_workspace": rules.check_model_segment,
         "principal": rules.check_principal}
SAMPLE = {"workspace": "team", "name": "lora-a", "adapter": "lora-a",
          "model_name": "base-model", "model_workspace": "acme", "principal": "ann"}


def form_data(client, **overrides: str) -> dict[str, str]:
    """A valid create form with the form page's CSRF token, inputs replaced as asked."""
    token = one(client.get(FORM), 'form#adapter-form input[name="csrf_token"]')["value"]
    return {"csrf_token": token, "name": "lora-a", "model": "base-model",
            "fileset": "default/fs1", "finetuning_type": "lora", "enabled": "y", **overrides}


def test_an_adapter_named_new_has_its_page(client, create):
    """/workspaces/default/adapters/new is the page of the adapter named new, not a form."""
    create(name="new", description="Named like a verb", model="llama-3-8b")
    page = client.get(PAGE_OF_NEW)
    assert page.status_code == 200
    assert text(one(page, "h1")) == "new"
    details = dict(zip(texts(page, "dl.details dt"), texts(page, "dl.details dd"), strict=True))
    assert details["Model"] == "default/llama-3-8b"
    assert details["Description"] == "Named like a verb"
    assert every(page, "form#adapter-form") == [] and every(page, "input#fileset") == []


def test_the_listing_links_new_to_its_page(client, create):
    """The listing's row for new opens the adapter's page."""
    create(name="new")
    listing = client.get("/workspaces/default/adapters")
    link = one(listing, "table.adapters tbody td:first-child a")
    assert (text(link), link["href"]) == ("new", PAGE_OF_NEW)
    assert text(one(client.get(link["href"]), "h1")) == "new"


def test_the_form_creates_new_and_lands_on_its_page(client):
    """JS off: the form at new-adapter creates new, 303 to its page, which confirms it."""
    response = client.post(FORM, data=form_data(client, name="new"))
    assert response.status_code == 303 and response.location == PAGE_OF_NEW
    landed = client.get(response.location)
    assert text(one(landed, "h1")) == "new"
    assert text(one(landed, '[role="status"]')) == "Adapter 'new' created."
    assert client.get(f"{API}/default/adapters/new").status_code == 200


def test_the_form_with_htmx_creates_new_and_sends_htmx_to_its_page(client):
    """htmx: 204 and HX-Location to the created adapter's page."""
    response = client.post(FORM, data=form_data(client, name="new"),
                           headers={**HTMX, "HX-Target": "adapter-form"})
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Location"]) == {"path": PAGE_OF_NEW,
                                                           "target": "#main"}
    assert text(one(client.get(PAGE_OF_NEW), "h1")) == "new"


def test_the_field_check_sits_beside_the_form(client, create):
    """The per-field check is at new-adapter/validate; the old one is gone."""
    create(name="new")
    data = form_data(client, name="new")
    checked = client.post(f"{FORM}/validate?field=name", data=data)
    assert checked.status_code == 200
    assert "already exists" in text(one(checked, "#name-error"))
    assert client.post(f"{PAGE_OF_NEW}/validate?field=name", data=data).status_code == 404


def test_the_old_form_url_is_a_404_with_a_link_to_the_form(client):
    """A bookmark of the old form URL, with no adapter named new: a 404 page that links to
    the create form; a POST there creates nothing."""
    missing = client.get(PAGE_OF_NEW)
    assert missing.status_code == 404
    assert "Adapter 'new' not found in workspace 'default'." in text(one(missing, "main"))
    assert every(missing, "form#adapter-form") == []
    assert one(missing, f'main a[href="{FORM}"]')
    posted = client.post(PAGE_OF_NEW, data=form_data(client, name="new"))
    assert posted.status_code == 405
    assert client.get(f"{API}/default/adapters/new").status_code == 404


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        pytest.param(PAGE_OF_NEW, "pages.adapter", id="adapter-new"),
        pytest.param("/workspaces/default/adapters/new-adapter", "pages.adapter",
                     id="adapter-new-adapter"),
        pytest.param("/workspaces/default/adapters/validate", "pages.adapter",
                     id="adapter-validate"),
        pytest.param("/workspaces/default/adapters/delete", "pages.adapter", id="adapter-delete"),
        pytest.param("/workspaces/default/adapters/members", "pages.adapter",
                     id="adapter-members"),
        pytest.param(FORM, "pages.new_adapter", id="form"),
        pytest.param("/workspaces/new-adapter/adapters", "pages.adapters",
                     id="workspace-new-adapter"),
        pytest.param("/workspaces/adapters/new-adapter", "pages.new_adapter",
                     id="workspace-adapters"),
        pytest.param("/workspaces/members/members", "workspace_pages.members",
                     id="workspace-members"),
    ],
)
def test_names_like_fixed_words_reach_their_pages(app, path, endpoint):
    """A name equal to a fixed word of some URL still reaches the page it names."""
    assert app.url_map.bind("localhost").match(path, "GET")[0] == endpoint


def _fixed_words(app) -> set[str]:
    """Every fixed segment of every route."""
    return {segment for rule in app.url_map.iter_rules() for segment in rule.rule.split("/")
            if segment and "<" not in segment}


def _is_valid(variable: str, word: str) -> bool:
    check = VALID.get(variable)
    return check is None or check(word) is None


def test_no_route_can_be_taken_by_a_valid_name(app):
    """Each route, built with any fixed word of the app as any of its names (where that word is
    a valid name), still matches that route: fixed words sit where no name can stand."""
    urls = app.url_map.bind("localhost")
    taken = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        assert set(rule.arguments) <= set(SAMPLE), f"{rule.rule}: add its variables to SAMPLE"
        for variable in rule.arguments:
            for word in sorted(_fixed_words(app)):
                if not _is_valid(variable, word):
                    continue
                values = {**{key: SAMPLE[key] for key in rule.arguments}, variable: word}
                path = rule.build(values)[1]
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    endpoint, matched = urls.match(path, method)
                    if (endpoint, matched) != (rule.endpoint, values):
                        taken.append(f"{method} {path}: {rule.endpoint} → {endpoint}")
    assert taken == []


@pytest.mark.parametrize("workspace, name", [
    ("default", "new"), ("team.a-b_c~d", "lora@v1+x"), ("ws", "with space"), ("ws", "ünïcode"),
    ("ws", "100%"), ("ws", "a?b#c"), ("ws", ".."), ("w$s", "a'b(c)*d,e;f=g:h!i&j")])
def test_page_urls_made_in_one_go_are_what_url_for_makes(app, workspace, name):
    """A listing builds its rows' URLs from one url_for (views.url_maker), quoting each value
    itself: the result is url_for's own, whether a value needs quoting or not."""
    from flask import url_for

    from webui import views

    with app.test_request_context():
        made = views.url_maker("pages.adapter", "workspace", "name")(workspace, name)
        assert made == url_for("pages.adapter", workspace=workspace, name=name)


@pytest.mark.parametrize("changes", [
    {}, {"page": 3}, {"page": 1, "page_size": 25}, {"q": "llama lora"}, {"q": "a&b=c?d#e/f:g@h"},
    {"q": "ünïcode 100% +plus 'quoted' (x),*;!$"}, {"sort": "-created_at", "page_size": 50},
    {"q": "", "page": None}])
def test_listing_urls_built_in_one_go_are_what_url_for_makes(app, changes):
    """A listing's pager builds its links from one url_for (views._listing_url) and adds each
    query itself: the result is url_for's own, defaults and blanks left out."""
    from flask import url_for

    from webui import views
    from webui.listing import ListQuery

    defaults = ListQuery(page=1, page_size=25, sort="name")
    state = {"q": "x y", "page": "2", "page_size": "25", "sort": "name", "enabled": ""}
    with app.test_request_context():
        made = views._listing_url("pages.adapters", state, defaults, workspace="w s")(**changes)
        wanted = {**state, **changes}
        kept = {key: value for key, value in wanted.items() if value not in (None, "") and
                str(value) != {"page": "1", "page_size": "25", "sort": "name"}.get(key)}
        assert made == url_for("pages.adapters", workspace="w s", **kept)
