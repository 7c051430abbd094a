"""Alembic's environment: the app's engine and metadata (run by Flask-Migrate)."""

from alembic import context
from flask import current_app

from webui.models import is_model_table

database = current_app.extensions["migrate"].db


def run_migrations_online() -> None:
    """Run the migrations on the app's own engine, in one transaction."""
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=database.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copy
            compare_type=True,
            include_name=lambda name, kind, _parent: (
                kind not in ("table", "index") or is_model_table(name)),
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
