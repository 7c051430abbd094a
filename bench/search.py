"""The search across workspaces at 1 000 000 adapters: a rare word, a common word, two words.

The seeded file of the 100-workspace layout (``bench.seed``, from the cache when it fits) is
served by the app with sign-in off, so every workspace is searched, and each search is
measured with wrk like every other request kind. On PostgreSQL it is not measured.
"""

from __future__ import annotations

import argparse
import sqlite3
import urllib.parse
from contextlib import closing
from pathlib import Path

from bench import SPREAD
from bench.load import Kind, measure_app
from bench.seed import remove_database, seeded_file, working_copy

# (key, words, what they match in the seeded rows)
SEARCHES = (
    ("search_rare", "0424242", "one name"),
    ("search_common", "support", "a model or a description of about a third of the rows"),
    ("search_two", "llama summaries", "a model and a description together, about 1 in 25"),
)


REFERENCE = "search_reference"  # measured beside the searches, judged by no target
MODEL_PAGE = "search_model_page"  # a model's page on the same server, judged by no target
LISTING_SEARCH = "search_listing"  # one workspace's listing searched, judged by no target
FOR_SCALE = (REFERENCE, MODEL_PAGE, LISTING_SEARCH)


def search_kinds() -> list[Kind]:
    """The searches measured, each on page 1 at the default 25 a page; and, for scale on the
    same server, one workspace's adapters listing, plain and searched, and a base model's page
    (50 rows each)."""
    return [*(Kind(key, f"(h) search '{words}' ({matched})", "GET",
                   "/search?" + urllib.parse.urlencode({"q": words}), 200)
              for key, words, matched in SEARCHES),
            Kind(REFERENCE, "(d) HTML listing of ws042, 10 000 adapters (for scale)", "GET",
                 "/workspaces/ws042/adapters", 200),
            Kind(MODEL_PAGE, "(h) model page of shared/llama-3-70b, its adapters in every "
                 "workspace, 50 a page (for scale)", "GET", "/models/shared/llama-3-70b", 200),
            Kind(LISTING_SEARCH, "(d) HTML listing of ws042 searched for 'support' (for scale)",
                 "GET", "/workspaces/ws042/adapters?q=support", 200)]


def _matches(path: Path, words: str) -> int:
    """How many seeded rows hold every word (for the report; counted once, by the index)."""
    match = " AND ".join('"' + word + '"' for word in words.split())
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT count(*) FROM adapter_search WHERE adapter_search "
                                  "MATCH ?", (match,)).fetchone()[0]


def _read_through(path: Path) -> None:
    """Read the whole file once, so the measurement starts from the operating system's cache
    as a running server's would, not from the disk (the copy's pages may have been dropped)."""
    with open(path, "rb") as handle:
        while handle.read(1 << 20):
            pass


def run_search(size: int, args: argparse.Namespace, work: Path, run_id: str) -> dict:
    """Seed (or reuse) ``size`` adapters over 100 workspaces, serve them, measure each search."""
    seeded = seeded_file(Path(args.cache_dir), work / "instance", size, SPREAD,
                         not args.no_cache)
    print(f"  seeded file {seeded['path'].name} ({seeded['bytes'] / 2**20:.0f} MiB, "
          f"{'from the cache' if seeded['cached'] else 'seeded'} in {seeded['seconds']} s)",
          flush=True)
    database = working_copy(seeded["path"], work / f"search-{size}.sqlite3")
    _read_through(database)
    matches = {key: _matches(database, words) for key, words, _ in SEARCHES}
    try:
        figures = measure_app(database, search_kinds(), args, work, f"{run_id}-sr", "search",
                              args.p95_rounds)
    finally:
        remove_database(database)
    for key, found in matches.items():  # the listing for scale has none
        figures[key]["matches"] = found
    return {"adapters": size, "seed": {**seeded, "path": str(seeded["path"])},
            "kinds": figures}
