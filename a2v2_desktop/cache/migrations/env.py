"""Alembic environment: always run in-process on a connection the app hands over."""

from alembic import context

from a2v2_desktop.cache.models import METADATA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=True,  # SQLite can only ALTER through table copies
)
with context.begin_transaction():
    context.run_migrations()
