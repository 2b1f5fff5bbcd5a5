"""The only package that touches the database: the engine, the session, every query."""
