"""The command line: the options, the run's working directory, each size run, the report."""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench
from bench import BENCH, PAGE_SIZE, ROOT, SEED_VERSION, SPREAD_MEASURED, spaced
from bench.index import run_index
from bench.postgres import drop_app_tables, postgres_server, postgres_urls
from bench.report import machine, write
from bench.runner import run_size
from bench.search import run_search
from bench.servers import stop_all, stop_on_signal
from bench.targets import add_ratios, targets


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=bench.__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000",
                        help="adapter counts, comma-separated (default: %(default)s)")
    parser.add_argument("--workspaces", type=int, default=20_000,
                        help="workspaces behind the workspaces index's figures (0: not "
                             "measured; SQLite only; default: %(default)s). With --sizes '' "
                             "only the index is measured")
    parser.add_argument("--search-adapters", type=int, default=1_000_000,
                        help="adapters (over 100 workspaces) behind the search's figures (0: "
                             "not measured; SQLite only; default: %(default)s). With --sizes "
                             "'' --workspaces 0 only the search is measured")
    parser.add_argument("--seconds", type=int, default=5,
                        help="measured seconds per request kind (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="warm-up seconds before each measurement (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn workers, app and baseline (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    parser.add_argument("--connections", type=int, default=8,
                        help="wrk connections (default: %(default)s)")
    parser.add_argument("--signin-rounds", type=int, default=4,
                        help="rounds of API list page 1 and create on each of two more app "
                             "servers, sign-in off and on, in turn (0: no sign-in comparison; "
                             "SQLite only; default: %(default)s)")
    parser.add_argument("--p95-rounds", type=int, default=3,
                        help="alternating rounds of the workspaces index's and the search's "
                             "requests, each judged on its median round (default: %(default)s)")
    parser.add_argument("--request-timeout", type=int, default=10,
                        help="wrk's per-request timeout in seconds (default: %(default)s)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default="sqlite:///bench/results/run/bench.sqlite3",
                       help="sqlite:///path: where the working files go, each size and layout "
                            "gets its own file beside it (default: %(default)s); or "
                            "postgresql+psycopg://user@host:port/db: a throwaway database whose "
                            "app tables are dropped and seeded again for every size and layout")
    where.add_argument("--database-url-from-env", metavar="NAME",
                       help="take --database-url from this environment variable (e.g. "
                            "TEST_DATABASE_URL under tests/with-postgres.sh)")
    parser.add_argument("--cache-dir", default=str(BENCH / "results" / "cache"),
                        help="seeded files kept between runs (default: bench/results/cache)")
    parser.add_argument("--no-cache", action="store_true", help="seed again even if cached")
    parser.add_argument("--output", help="the JSON figures (default: bench/results/latest.json, "
                        "or latest-postgresql.json on PostgreSQL)")
    parser.add_argument("--markdown", help="the Markdown report (default: bench/RESULTS.md, or "
                        "bench/RESULTS-postgresql.md on PostgreSQL)")
    return parser


def parse_args(argv: list[str] | None, prog: str | None = None) -> argparse.Namespace:
    """The options, checked, with what follows from them filled in (``sizes``, ``postgres``)."""
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.database_url_from_env:
        args.database_url = os.environ.get(args.database_url_from_env)
        if not args.database_url:
            parser.error(f"{args.database_url_from_env} is not set")
    postgres = args.database_url.startswith("postgresql")
    args.postgres = postgres_urls(args.database_url) if postgres else None
    suffix = "-postgresql" if postgres else ""
    args.output = args.output or str(BENCH / "results" / f"latest{suffix}.json")
    args.markdown = args.markdown or str(BENCH / f"RESULTS{suffix}.md")
    args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    if any(size < 1 for size in args.sizes):
        parser.error("sizes must be positive")
    if args.seconds < 1 or args.warmup < 0 or args.request_timeout < 1:
        parser.error("wrk takes whole seconds: --seconds >= 1, --warmup >= 0")
    if args.workspaces < 0:
        parser.error("--workspaces must be 0 or more")
    if args.search_adapters < 0:
        parser.error("--search-adapters must be 0 or more")
    if args.signin_rounds < 0:
        parser.error("--signin-rounds must be 0 or more")
    if args.p95_rounds < 1:
        parser.error("--p95-rounds must be 1 or more")
    if postgres:  # the sign-in run serves a provisioned copy of a seeded file; the index's
        args.signin_rounds = 0  # run a file seeded by raw sqlite3
        args.workspaces = 0
        args.search_adapters = 0
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (make bench installs it)")
    args.work_file = None if postgres else database_path(args.database_url)
    return args


def database_path(url: str) -> Path:
    """The working file the run derives its databases from (``sqlite:///path``)."""
    if not url.startswith("sqlite:///"):
        raise SystemExit("--database-url must be a SQLite URL (sqlite:///path) or a "
                         "PostgreSQL one (postgresql+psycopg://user@host:port/db)")
    path = Path(url.removeprefix("sqlite:///"))
    return path if path.is_absolute() else ROOT / path


@contextlib.contextmanager
def work_directory(args: argparse.Namespace) -> Iterator[Path]:
    """A directory for the run's files, gone afterwards with the servers and seeded tables."""
    made_parent = False
    if args.postgres:  # the instance folder and the wrk scripts only
        work = Path(tempfile.mkdtemp(prefix="bench-postgresql-"))
    else:
        made_parent = not args.work_file.parent.exists()
        args.work_file.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=args.work_file.stem + "-",
                                     dir=args.work_file.parent))
    try:
        yield work
    finally:
        stop_all()
        if args.postgres:  # the seeded rows are not kept
            with contextlib.suppress(Exception):
                drop_app_tables(args.postgres[1])
        shutil.rmtree(work, ignore_errors=True)
        if made_parent:
            with contextlib.suppress(OSError):
                args.work_file.parent.rmdir()


def new_report(args: argparse.Namespace) -> dict[str, Any]:
    """The report before any figure: the machine and the settings."""
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {"database": "postgresql" if args.postgres else "sqlite",
                     "sizes": args.sizes, "seconds": args.seconds, "warmup": args.warmup,
                     "workers": args.workers, "threads": args.threads,
                     "connections": args.connections, "request_timeout_s": args.request_timeout,
                     "signin_rounds": args.signin_rounds, "p95_rounds": args.p95_rounds,
                     "workspaces": args.workspaces,
                     "search_adapters": args.search_adapters,
                     "page_size": PAGE_SIZE, "seed_version": SEED_VERSION,
                     "spread_workspace_measured": SPREAD_MEASURED},
        "results": {},
    }
    if args.postgres:
        report["machine"]["postgresql"] = postgres_server(args.postgres[1])
        report["machine"]["psycopg"] = importlib.metadata.version("psycopg")
        print(f"PostgreSQL {report['machine']['postgresql']['server_version']}: "
              "no baseline, absolute figures only", flush=True)
    return report


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the benchmark as the options say, then write the JSON figures and the report."""
    args = parse_args(argv, prog)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    started = time.monotonic()
    with work_directory(args) as work:
        report = new_report(args)
        for size in args.sizes:
            print(f"{spaced(size)} adapters", flush=True)
            report["results"][str(size)] = run_size(size, args, work, run_id)
        if args.workspaces:
            print(f"the workspaces index, {spaced(args.workspaces)} workspaces", flush=True)
            report["index"] = run_index(args.workspaces, args, work, run_id)
        if args.search_adapters:
            print(f"the search, {spaced(args.search_adapters)} adapters", flush=True)
            report["search"] = run_search(args.search_adapters, args, work, run_id)
    report["machine"]["loadavg_end"] = [round(value, 2) for value in os.getloadavg()]
    report["seconds_total"] = round(time.monotonic() - started, 1)
    add_ratios(report["results"])
    report["targets"] = targets(report["results"], report.get("index"), report.get("search"))
    write(report, Path(args.output), args.markdown)
    return 0
