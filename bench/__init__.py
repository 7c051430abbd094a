"""The benchmark behind ``make bench``: the app under gunicorn, on SQLite, driven by wrk.

For each size (default 1 000, 100 000 and 1 000 000 adapters) it

1. seeds two SQLite files, created by ``webui.create_app`` (so the schema, the indexes and the
   workspace counter table are the app's own) and then bulk-filled with raw ``sqlite3``: one
   with every adapter in the workspace ``bench``, one with the adapters spread over the
   100 workspaces ``ws000``..``ws099``. A seeded file is kept in the cache directory and reused
   while the seeding parameters and the app's schema stay the same;
2. serves a copy of each with ``gunicorn -w WORKERS 'webui:create_app()'`` on 127.0.0.1 and
   measures each request kind with ``wrk`` for a fixed time (requests/s, p50/p95/p99);
3. serves a copy of the same files with the baseline (``bench/baseline.py``: Flask + raw
   sqlite3, same schema, indexes and pragmas) under the same gunicorn settings and measures
   its create and list, so every figure also stands as a ratio to it;
4. serves a third copy, given a non-admin Editor and an API token by the app's own functions,
   with ``WEBUI_AUTH=on``, and measures API list page 1 and create there with
   ``Authorization: Bearer <token>`` on every request, in rounds alternating with the same
   requests on the sign-in off server (``bench/signin.py``): the ratio, on over off, is the
   price of signing in.

The figures go to ``bench/results/latest.json`` and ``bench/RESULTS.md`` (with the targets,
met or missed and by how much). Only the Python standard library (and the app, to create the
schema) is used here; no traffic leaves 127.0.0.1.

With ``--database-url postgresql+psycopg://...`` (or ``--database-url-from-env
TEST_DATABASE_URL`` under ``tests/with-postgres.sh``) the same request kinds are measured on
PostgreSQL instead: for each size and layout the app's tables are dropped, made again by
``webui.create_app``, loaded with psycopg's COPY (never cached), their counter tables filled
and the database analysed; then the app alone is served (there is no raw-psycopg baseline, so
the figures are absolute and the baseline-ratio targets are skipped; nor is there a sign-in
run). Its figures go to ``bench/results/latest-postgresql.json`` and
``bench/RESULTS-postgresql.md``.

The modules: ``cli`` (the options and the run), ``runner`` (one size: seed, serve, measure),
``seed`` and ``postgres`` (the seeded databases), ``servers`` (gunicorn and plain HTTP),
``load`` (the request kinds and wrk), ``signin`` (sign-in on against off), ``index`` and
``search`` (the workspaces index, and the search across workspaces at 1 000 000 adapters over
100 workspaces: a rare word, a common word, two words), ``targets``
(ratios and the issue's targets), ``report`` (the machine, ``RESULTS.md``), ``baseline`` (the
baseline app). ``bench/run.py`` and ``python -m bench`` both run ``cli.main``.
"""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Bump when the seeded rows change, so cached files are not reused.
SEED_VERSION = 3  # 2: the search index compacted after the load; 3: the activity history
ONE = "one"  # every adapter in one workspace
SPREAD = "spread"  # adapters spread over 100 workspaces
LAYOUT_LABELS = {ONE: "one workspace", SPREAD: "100 workspaces"}
ONE_WORKSPACE = "bench"
SPREAD_WORKSPACES = [f"ws{number:03d}" for number in range(100)]
SPREAD_MEASURED = "ws042"  # the workspace the spread layout is measured in
SECRET_KEY = "benchmark-secret-key"
PAGE_SIZE = 100  # the API's default page size


def measured_workspace(layout: str) -> str:
    """The workspace whose adapters a layout's requests read and create."""
    return ONE_WORKSPACE if layout == ONE else SPREAD_MEASURED


def spaced(number: int | str) -> str:
    """A count with spaces between the thousands, as the report writes it: 1 000 000."""
    return f"{int(number):,}".replace(",", " ")
