"""The hub's database plumbing: declarative base, engine and sessions, column types, migrations.

The tables themselves live in the domains (`<domain>/models.py`); `hub/tables.py`
imports every one of them so that `Base.metadata` is complete.
"""

from backoffice_console.hub.db.base import Base
from backoffice_console.hub.db.engine import Database, head_revision, migrate
from backoffice_console.hub.db.rows import lock_row, rowcount
from backoffice_console.hub.db.types import iso, utcnow

__all__ = ["Base", "Database", "head_revision", "iso", "lock_row", "migrate", "rowcount", "utcnow"]
