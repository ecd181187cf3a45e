"""Call-back requests left at a kiosk outside service hours (issue 6).

Change a model only together with its migration; tests/test_hub_db.py checks they match.
"""

from __future__ import annotations

from backoffice_console.hub.db.models import Base

__all__ = ["Base"]
