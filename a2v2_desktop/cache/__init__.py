"""The local cache: SQLAlchemy models, the engine with its migrations, and the queries."""
