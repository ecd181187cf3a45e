"""Evaluation: ratings (好差评), rectifications, follow-ups (SMS), working-day deadlines.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.evaluation.models import CaseContact, FollowUp, Rating, Rectification
from backoffice_console.hub.evaluation.routes import setup
from backoffice_console.hub.evaluation.service import (
    EVALUATION_KEY,
    EvaluationService,
    local_date,
)
from backoffice_console.hub.evaluation.workdays import WorkCalendar, china_calendar

DOMAIN = Domain("evaluation", setup, needs=("calls", "cases"))

__all__ = [
    "DOMAIN",
    "EVALUATION_KEY",
    "CaseContact",
    "EvaluationService",
    "FollowUp",
    "Rating",
    "Rectification",
    "WorkCalendar",
    "china_calendar",
    "local_date",
]
