"""The officer's side of ID card reads in a call, without Qt.

`IdentityDesk` sends `device.command` (`idcard.read`), follows the kiosk's
progress and failures, keeps the masked identity the hub sends, and calls the
reveal API when the officer asks for the full number. The full number is kept
only in memory and only for the current call; it is never logged.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from pydantic import ValidationError

from backoffice_console.model import ConsoleError
from shared.hubclient import HubError, HubRequestError
from shared.protocol import DeviceCommand, DeviceFailed, DeviceProgress, IdentityUpdate
from shared.protocol.identity import RevealedIdentity

log = logging.getLogger(__name__)


class ReadState(StrEnum):
    """Where the identity panel is."""

    IDLE = "idle"
    PENDING = "pending"
    SHOWN = "shown"
    FAILED = "failed"


@dataclass(frozen=True)
class IdentityView:
    """What the identity panel shows; `revealed` is the full number after a reveal."""

    state: ReadState = ReadState.IDLE
    command_id: str | None = None
    stage: str | None = None
    error_code: str | None = None
    error_reason: str | None = None
    identity: IdentityUpdate | None = None
    revealed: str | None = None

    @property
    def shown_number(self) -> str:
        """The number to display: full only after a reveal, masked otherwise."""
        if self.revealed is not None:
            return self.revealed
        return self.identity.masked_id if self.identity is not None else ""


class IdentityHub(Protocol):
    """The part of the hub client the desk uses."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


IDENTITY_MESSAGES = (DeviceProgress, DeviceFailed, IdentityUpdate)


class IdentityDesk:
    """Identity state of the current call (see module docstring).

    `get_hub` and `get_session` read the controller's current hub and session id;
    `on_change` is called with the new `IdentityView` after every change.
    """

    def __init__(
        self,
        get_hub: Callable[[], IdentityHub | None],
        get_session: Callable[[], str | None],
        on_change: Callable[[IdentityView], None],
    ) -> None:
        self._get_hub = get_hub
        self._get_session = get_session
        self._on_change = on_change
        self.view = IdentityView()
        self.reveals = 0

    def _set(self, view: IdentityView) -> None:
        self.view = view
        self._on_change(view)

    def reset(self) -> None:
        """Forget everything (a call started or ended); the revealed number goes too."""
        self._set(IdentityView())

    async def read(self) -> str:
        """Ask the kiosk to read the ID card; returns the command id. Raises ConsoleError."""
        hub, session_id = self._get_hub(), self._get_session()
        if hub is None or session_id is None:
            raise ConsoleError("error.not_in_call")
        command_id = f"idcard-{secrets.token_hex(6)}"
        self._set(
            replace(self.view, state=ReadState.PENDING, command_id=command_id, stage="sent",
                    error_code=None, error_reason=None)
        )  # fmt: skip
        try:
            await hub.request(
                DeviceCommand(session_id=session_id, command_id=command_id, kind="idcard.read")
            )
        except HubRequestError as exc:
            self._set(replace(self.view, state=ReadState.FAILED, error_code=exc.code))
            raise ConsoleError("identity.error.request", exc.code) from None
        except HubError as exc:
            self._set(replace(self.view, state=ReadState.FAILED, error_code="hub_unreachable"))
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        log.info("asked the kiosk to read the ID card (%s)", command_id)
        return command_id

    def handle(self, message: Any) -> None:
        """A device or identity message from the hub (ignored when not for this call)."""
        if message.session_id != self._get_session():
            log.info("ignored %s for another session", message.type)
            return
        if isinstance(message, IdentityUpdate):
            # A new identity replaces the old one and hides any revealed number.
            self._set(
                IdentityView(state=ReadState.SHOWN, command_id=message.command_id,
                             identity=message)
            )  # fmt: skip
            log.info("identity %d received (%s)", message.identity_id, message.source)
            return
        if message.command_id != self.view.command_id:
            log.info("ignored %s of an older command", message.type)
            return
        if isinstance(message, DeviceProgress):
            self._set(replace(self.view, stage=message.stage))
        elif isinstance(message, DeviceFailed):
            log.info("ID card read failed: %s %s", message.code.value, message.reason or "")
            self._set(
                replace(self.view, state=ReadState.FAILED, error_code=message.code.value,
                        error_reason=message.reason)
            )  # fmt: skip

    async def reveal(self) -> str:
        """Fetch the full number (audited by the hub) and show it for this call."""
        hub, session_id = self._get_hub(), self._get_session()
        if hub is None or session_id is None:
            raise ConsoleError("error.not_in_call")
        if self.view.identity is None:
            raise ConsoleError("identity.error.nothing_to_reveal")
        try:
            # The reveal takes no body (the hub reads none).
            data = await hub.post_json(f"/api/v1/sessions/{session_id}/identity/reveal", {})
            revealed = RevealedIdentity.model_validate(data)
        except HubRequestError as exc:
            raise ConsoleError("identity.error.reveal", exc.code) from None
        except HubError as exc:
            raise ConsoleError("error.hub_unreachable", str(exc)) from None
        except ValidationError as exc:
            # Never log the input: it may hold the full number.
            log.warning("the reveal answer is malformed (%d problems)", exc.error_count())
            raise ConsoleError("identity.error.reveal", "bad_reply") from None
        if session_id != self._get_session():
            raise ConsoleError("identity.error.reveal", "bad_reply")
        self.reveals += 1
        log.info("full ID number revealed for identity %s", revealed.identity_id)
        self._set(replace(self.view, revealed=revealed.id_number))
        return revealed.id_number


def age_text(identity: IdentityUpdate) -> str:
    """Age as a number string, or empty when unknown."""
    return "" if identity.age is None else str(identity.age)


def valid_to_text(identity: IdentityUpdate, long_term: str) -> str:
    """The card's validity end as YYYY-MM-DD, or `long_term` (长期) when it has none."""
    return long_term if identity.valid_to is None else identity.valid_to.isoformat()


def is_expired(identity: IdentityUpdate, today: date | None = None) -> bool:
    """The hub's expired flag, rechecked against today (a call can cross midnight)."""
    on = today or date.today()
    return identity.expired or (identity.valid_to is not None and identity.valid_to < on)
