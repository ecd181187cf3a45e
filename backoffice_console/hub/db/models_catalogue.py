"""Catalogue versions (issue 6): every imported version kept, one current.

Change a model only together with its migration; tests/test_hub_db.py checks they match.
"""

from __future__ import annotations

from backoffice_console.hub.db.models import Base

__all__ = ["Base"]
