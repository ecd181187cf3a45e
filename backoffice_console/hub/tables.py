"""Every table of the hub, for whoever needs `Base.metadata` whole (migrations, schema tests).

Importing the domains registers their tables on `db.Base`.
"""

from backoffice_console.hub import app  # noqa: F401  (imports every domain's models)
from backoffice_console.hub.db import Base

metadata = Base.metadata
