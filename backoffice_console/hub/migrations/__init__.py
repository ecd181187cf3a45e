"""Alembic migrations of the hub's database (run by `vw-hub init` and `vw-hub serve`)."""
