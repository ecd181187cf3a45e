"""The hub's database: SQLAlchemy 2 async models, engine set-up and Alembic migrations."""

from backoffice_console.hub.db.engine import Database, migrate
from backoffice_console.hub.db.models import (
    AuditEntry,
    Base,
    CallSession,
    EnrollmentCode,
    Kiosk,
    ServicePoint,
    StoredDocument,
    StoredIdentity,
    StoredMaterial,
    Ticket,
    Token,
    User,
)
from backoffice_console.hub.db.models_callbacks import *  # noqa: F403  (registers tables)
from backoffice_console.hub.db.models_cases import Case, CaseEvent, CaseMaterial
from backoffice_console.hub.db.models_catalogue import *  # noqa: F403
from backoffice_console.hub.db.models_evaluation import *  # noqa: F403
from backoffice_console.hub.db.models_fleet import *  # noqa: F403
from backoffice_console.hub.db.types import utcnow

__all__ = [
    "AuditEntry",
    "Base",
    "CallSession",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "Database",
    "EnrollmentCode",
    "Kiosk",
    "ServicePoint",
    "StoredDocument",
    "StoredIdentity",
    "StoredMaterial",
    "Ticket",
    "Token",
    "User",
    "migrate",
    "utcnow",
]
