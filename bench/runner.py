"""One size of the benchmark: each layout seeded, served by the app and the baseline, measured;
then served by the app with sign-in off and on, side by side, and measured again."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from bench import BENCH, LAYOUT_LABELS, ONE, ONE_WORKSPACE, SECRET_KEY, SPREAD, measured_workspace
from bench.load import API, app_kinds, baseline_kinds, csrf_headers, measure
from bench.postgres import seed_postgres
from bench.seed import remove_database, seeded_file, working_copy
from bench.servers import Server
from bench.signin import KEYS as SIGNIN_KEYS
from bench.signin import start_pair


def run_size(size: int, args: argparse.Namespace, work: Path, run_id: str) -> dict:
    """Seed, then measure the app and the baseline on both layouts, and sign-in on against off.

    Both servers run side by side (each on its own copy of the seeded file; the idle one costs
    nothing), and each baseline figure is taken right after the app's figure it is compared
    with, so a busy moment of the machine hits both sides of a ratio alike. The sign-in
    comparison (``bench.signin``) alternates its two sides for the same reason.

    On PostgreSQL (``args.postgres``) the database is seeded afresh for each layout and the
    app is measured alone: there is no baseline and no sign-in comparison.
    """
    result: dict[str, Any] = {"seed": {}, "app": {}, "baseline": {}, "signin": {}}
    (work / "lua").mkdir(parents=True, exist_ok=True)
    for layout in (ONE, SPREAD):
        result["seed"][layout], source = _seed(size, layout, args, work / "instance")
        result["app"][layout], result["baseline"][layout] = _measure_layout(
            size, layout, source, args, work, run_id)
        if source is not None and args.signin_rounds > 0:
            result["signin"][layout] = _measure_signin(size, layout, source, args, work,
                                                       run_id)
    return result


def _seed(size: int, layout: str, args: argparse.Namespace,
          instance: Path) -> tuple[dict, Path | None]:
    """The seeding's figures for the report, and the seeded file to copy (none on PostgreSQL)."""
    if args.postgres:
        seeded = seed_postgres(*args.postgres, instance, size, layout)
        print(f"  {LAYOUT_LABELS[layout]}: seeded PostgreSQL "
              f"({seeded['bytes'] / 2**20:.0f} MiB database) in {seeded['seconds']} s",
              flush=True)
        return seeded, None
    seeded = seeded_file(Path(args.cache_dir), instance, size, layout, not args.no_cache)
    print(f"  {LAYOUT_LABELS[layout]}: seeded file {seeded['path'].name} "
          f"({seeded['bytes'] / 2**20:.0f} MiB, "
          f"{'from the cache' if seeded['cached'] else 'seeded'} in "
          f"{seeded['seconds']} s)", flush=True)
    return {**seeded, "path": str(seeded["path"])}, seeded["path"]


def _measure_layout(size: int, layout: str, source: Path | None, args: argparse.Namespace,
                    work: Path, run_id: str) -> tuple[dict, dict]:
    """The app's figures and the baseline's for one layout, each served from its own copy."""
    app_db = work / f"app-{layout}-{size}.sqlite3"
    base_db = work / f"baseline-{layout}-{size}.sqlite3"
    try:
        if source is not None:
            working_copy(source, app_db)
            working_copy(source, base_db)
        with contextlib.ExitStack() as servers:
            app_server, base_server = _start_servers(servers, layout, args, work, app_db, base_db)
            return _measure_kinds(app_server, base_server, size, layout, args,
                                  work / "lua", f"{run_id}-{size}")
    finally:
        remove_database(app_db)
        remove_database(base_db)


def _measure_signin(size: int, layout: str, source: Path, args: argparse.Namespace,
                    work: Path, run_id: str) -> dict:
    """API list page 1 and create (where measured) on the twins, sign-in off and on."""
    copies = (work / f"signin-off-{layout}-{size}.sqlite3",
              work / f"signin-on-{layout}-{size}.sqlite3")
    print(f"    sign-in off and on, {args.signin_rounds} rounds each:", flush=True)
    try:
        for copy in copies:
            working_copy(source, copy)
        with contextlib.ExitStack() as servers:
            pair = start_pair(servers, copies, layout, args, work / "instance", _logs(args))
            return {kind.key: pair.compare(kind, args, work / "lua", f"{run_id}-{size}s")
                    for kind in app_kinds(size, layout) if kind.key in SIGNIN_KEYS}
    finally:
        for copy in copies:
            remove_database(copy)


def _logs(args: argparse.Namespace) -> Path:
    return Path(args.output).parent / "logs"


def _start_servers(servers: contextlib.ExitStack, layout: str, args: argparse.Namespace,
                   work: Path, app_db: Path, base_db: Path) -> tuple[Server, Server | None]:
    """The app's server, and the baseline's but on PostgreSQL, both stopped with ``servers``."""
    app_env = {"DATABASE_URL": args.postgres[0] if args.postgres else f"sqlite:///{app_db}",
               "WEBUI_INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": SECRET_KEY}
    app_server = servers.enter_context(
        Server("app", "webui:create_app()", app_env, "/apis/openapi.json", args.workers,
               _logs(args) / "app.log"))
    if args.postgres:
        return app_server, None
    base_server = servers.enter_context(
        Server("baseline", "baseline:create_app()", {"BASELINE_DATABASE": str(base_db)},
               f"{API}/{measured_workspace(layout)}/adapters?page_size=1", args.workers,
               _logs(args) / "baseline.log", extra=["--pythonpath", str(BENCH)]))
    return app_server, base_server


def _measure_kinds(app_server: Server, base_server: Server | None, size: int, layout: str,
                   args: argparse.Namespace, scripts: Path, tag: str) -> tuple[dict, dict]:
    """Each kind on the app, and right after it the baseline's counterpart if there is one."""
    app_figures: dict[str, Any] = {}
    base_figures: dict[str, Any] = {}
    baseline = {} if base_server is None else {kind.key: kind for kind in baseline_kinds(layout)}
    for kind in app_kinds(size, layout):
        if kind.key == "validate":
            kind.headers = csrf_headers(app_server, ONE_WORKSPACE)
        app_figures[kind.key] = measure(app_server, kind, args, scripts, tag)
        if kind.key in baseline:
            base_figures[kind.key] = measure(base_server, baseline[kind.key], args, scripts,
                                             f"{tag}b")
    return app_figures, base_figures
