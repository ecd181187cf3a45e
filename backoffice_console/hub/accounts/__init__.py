"""Accounts: users, service points, kiosks, their credentials and tokens.

Other domains use what is named here and nothing else of this package.
"""

from backoffice_console.hub.accounts.models import (
    EnrollmentCode,
    Kiosk,
    Login,
    ServicePoint,
    Throttle,
    Token,
    User,
)
from backoffice_console.hub.accounts.routes import setup
from backoffice_console.hub.accounts.service import ACCOUNTS_KEY, Accounts, account_store
from backoffice_console.hub.accounts.store import USER_ROLES, AccountStore
from backoffice_console.hub.accounts.throttle import ThrottleStore
from backoffice_console.hub.core.domains import Domain

DOMAIN = Domain("accounts", setup)

__all__ = [
    "ACCOUNTS_KEY",
    "DOMAIN",
    "USER_ROLES",
    "AccountStore",
    "Accounts",
    "EnrollmentCode",
    "Kiosk",
    "Login",
    "ServicePoint",
    "Throttle",
    "ThrottleStore",
    "Token",
    "User",
    "account_store",
]
