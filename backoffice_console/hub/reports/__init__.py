"""Reports: cases per day, service point, officer or line, as JSON, CSV or PDF.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.core.domains import Domain
from backoffice_console.hub.reports.routes import setup
from backoffice_console.hub.reports.service import REPORTS_KEY, Reports

DOMAIN = Domain("reports", setup, needs=("accounts", "calls", "cases", "evaluation", "catalogue"))

__all__ = ["DOMAIN", "REPORTS_KEY", "Reports"]
