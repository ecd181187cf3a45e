"""Cases: one case per call session, its timeline, checklist, outcome and the progress look-up.

Other domains use what is named here and nothing else of this package. Domains
that store what a checklist item may hold register their check on
`app[CASES_KEY].attachments` (`AttachmentCheck`).
"""

from backoffice_console.hub.cases.attachments import AttachmentCheck, Attachments
from backoffice_console.hub.cases.events import ProgressAsked
from backoffice_console.hub.cases.models import Case, CaseEvent, CaseMaterial
from backoffice_console.hub.cases.numbers import case_number_for
from backoffice_console.hub.cases.routes import setup
from backoffice_console.hub.cases.service import CASES_KEY, CaseService
from backoffice_console.hub.cases.store import case_number_of, record_event
from backoffice_console.hub.core.domains import Domain

DOMAIN = Domain("cases", setup, needs=("calls", "identity", "catalogue"))

__all__ = [
    "CASES_KEY",
    "DOMAIN",
    "AttachmentCheck",
    "Attachments",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "CaseService",
    "ProgressAsked",
    "case_number_for",
    "case_number_of",
    "record_event",
]
