"""The ``users``, ``tokens`` and ``search-index`` commands: ``flask --app webui users create
NAME``, …

They work in both modes. Errors are one line on standard error and exit status 1.
"""

from __future__ import annotations

import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup

from . import accounts, queries

users = AppGroup("users", help="Make and manage the people who sign in.")
tokens = AppGroup("tokens", help="Make, list and revoke API tokens.")
search_index = AppGroup("search-index", help="Keep the search's index quick.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("name")
@click.option("--platform-admin", is_flag=True, help="May do everything, everywhere.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(name: str, platform_admin: bool, password_stdin: bool) -> None:
    """Make a user (asks for the password twice)."""
    try:
        user = accounts.create_user(name, _password(password_stdin), platform_admin)
    except accounts.AccountError as error:
        _fail(str(error))
    kind = "platform admin" if platform_admin else "user"
    click.echo(f"Created {kind} '{user.username}'.")


@users.command("list")
def list_users() -> None:
    """Every user, with their flags."""
    for user in accounts.list_users():
        flags = [flag for flag, on in (("platform-admin", user.is_platform_admin),
                                       ("disabled", user.disabled)) if on]
        click.echo(" ".join([user.username, *flags]))


@users.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Refuse every session and token of a user from now on."""
    _set_disabled(name, True)


@users.command("enable")
@click.argument("name")
def enable_user(name: str) -> None:
    """Let a disabled user sign in again."""
    _set_disabled(name, False)


def _set_disabled(name: str, disabled: bool) -> None:
    try:
        accounts.set_disabled(name, disabled)
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(f"User '{accounts.existing_user(name).username}' "
               f"{'disabled' if disabled else 'enabled'}.")


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(name: str, password_stdin: bool) -> None:
    """Give a user a new password; their sessions end."""
    try:
        accounts.existing_user(name)
        accounts.set_password(name, _password(password_stdin))
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo("Password changed; the user's sessions have ended.")


@tokens.command("create")
@click.argument("name")
@click.option("--label", required=True, help="What the token is for.")
@click.option("--expires-in-days", type=int, default=None, help="Days until it expires.")
@click.option("--read-only", is_flag=True, help="It can read, but create or change nothing.")
def create_token(name: str, label: str, expires_in_days: int | None, read_only: bool) -> None:
    """Make a token; it is printed once, alone on the last line."""
    try:
        text, _ = accounts.create_token(accounts.existing_user(name), label, expires_in_days,
                                        read_only)
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo("Keep this token now: it cannot be shown again.")
    click.echo(text)


@tokens.command("list")
@click.argument("name")
def list_tokens(name: str) -> None:
    """A user's tokens (never their text)."""
    try:
        found = accounts.list_tokens(accounts.existing_user(name))
    except accounts.AccountError as error:
        _fail(str(error))
    for token in map(accounts.token_summary, found):
        expires = token["expires_at"].isoformat(" ", "minutes") if token["expires_at"] else "never"
        used = (token["last_used_at"].isoformat(" ", "minutes") if token["last_used_at"]
                else "never")
        click.echo(f"{token['label']}\t{token['prefix']}…\texpires {expires}\tlast used {used}"
                   + ("\tread-only" if token["read_only"] else ""))


@tokens.command("revoke")
@click.argument("name")
@click.argument("label")
def revoke_token(name: str, label: str) -> None:
    """Revoke a user's token by its label."""
    try:
        revoked = accounts.revoke_token(accounts.existing_user(name), label)
    except accounts.AccountError as error:
        _fail(str(error))
    if not revoked:
        _fail(f"No token labelled '{label}'")
    click.echo(f"Token '{label}' revoked.")


@search_index.command("compact")
def compact_search_index() -> None:
    """Merge the search index into one piece (after a bulk load, or now and then): a search
    reads every piece. Short steps: the app's writes go on between them."""
    before = queries.search_index_segments()
    if before is None:
        click.echo("PostgreSQL keeps its search index itself: nothing to do.")
        return
    started = time.monotonic()
    with click.progressbar(length=1, label="Compacting the search index",
                           file=sys.stderr) as bar:
        def step(done: int, most: int) -> None:
            bar.length = most
            bar.update(1)
        steps = queries.compact_search_index(step)
    after = queries.search_index_segments()
    click.echo(f"The search index was in {before} {_pieces(before)}, now {after} "
               f"({steps} {'step' if steps == 1 else 'steps'}, "
               f"{time.monotonic() - started:.1f} s).")


def _pieces(count: int) -> str:
    return "piece" if count == 1 else "pieces"


def register(app: Flask) -> None:
    """Add the commands to ``flask --app webui``."""
    app.cli.add_command(users)
    app.cli.add_command(tokens)
    app.cli.add_command(search_index)
