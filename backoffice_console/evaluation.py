"""整改 and 原件流转 on the console, without Qt.

- `RectificationsController`: the supervisor's list of rectifications (open and
  overdue first) and closing one with its recorded call-back.
- `CirculationController`: the scan field (a barcode scanner types the slip's QR
  text and Enter) and the list of originals under way, overdue first.

Errors come back as `EvaluationError(key, **args)` with a text of the
`evaluation` i18n domain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol.circulation import Circulation, CirculationList, ScanBody
from shared.protocol.http import invalid_text
from shared.protocol.rating import (
    CloseRectificationBody,
    RatingList,
    Rectification,
    RectificationList,
)

log = logging.getLogger(__name__)

SUPERVISOR_ROLES = ("supervisor", "admin")
CIRCULATION_ROLES = ("officer", "supervisor", "admin")
HOPS = ("at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident")


class EvaluationHub(Protocol):
    """What the controllers need of a logged-in hub client."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class EvaluationError(Exception):
    """A failed action; `key` is a text in the `evaluation` i18n domain."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


def _client(hub: Callable[[], EvaluationHub | None]) -> EvaluationHub:
    client = hub()
    if client is None:
        raise EvaluationError("error.offline")
    return client


def _refused(exc: HubRequestError) -> EvaluationError:
    return EvaluationError("error.refused", message=exc.message)


def _malformed(exc: ValidationError, what: str) -> EvaluationError:
    log.warning("the hub's %s is malformed: %s", what, invalid_text(exc))
    return EvaluationError("error.malformed")


@dataclass(frozen=True)
class RectificationRow:
    """One rectification as the 整改 list shows it."""

    rect_id: int
    case_no: str
    level: int
    reasons: list[str]
    officer_name: str
    opened_at: datetime
    deadline: str
    workdays_left: int | None
    state: str
    overdue: bool
    callback_note: str

    @classmethod
    def of(cls, rect: Rectification) -> RectificationRow:
        """A row of `GET /api/v1/rectifications`."""
        return cls(
            rect_id=rect.id,
            case_no=(rect.case_no or rect.session_id)[:32],
            level=rect.level,
            reasons=list(rect.reasons),
            officer_name=rect.officer_name,
            opened_at=rect.opened_at,
            deadline=rect.deadline.isoformat(),
            workdays_left=rect.workdays_left,
            state=rect.state,
            overdue=rect.overdue,
            callback_note=rect.callback_note or "",
        )


class RectificationsController:
    """Loads and closes rectifications through the hub."""

    def __init__(self, hub: Callable[[], EvaluationHub | None]) -> None:
        self._hub = hub
        self.rows: list[RectificationRow] = []

    async def load(self) -> list[RectificationRow]:
        """All rectifications, open (overdue first) then closed."""
        try:
            data = await _client(self._hub).get_json("/api/v1/rectifications")
            rects = RectificationList.model_validate(data).root
        except HubRequestError as exc:
            log.warning("rectification list refused: %s", exc.code)
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        except ValidationError as exc:
            raise _malformed(exc, "rectification list") from None
        self.rows = [RectificationRow.of(rect) for rect in rects]
        return self.rows

    async def close(self, rect_id: int, callback_at: datetime, note: str) -> list[RectificationRow]:
        """Close with the call-back record (time zone aware), then reload."""
        note = note.strip()
        if not note:
            raise EvaluationError("rect.dialog.need_note")
        if callback_at.tzinfo is None:
            callback_at = callback_at.astimezone()
        try:
            body = request_json(
                CloseRectificationBody, callback_at=callback_at, callback_note=note[:1000]
            )
            await _client(self._hub).post_json(f"/api/v1/rectifications/{rect_id}/close", body)
        except HubRequestError as exc:
            log.warning("closing rectification %d refused: %s", rect_id, exc.code)
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        return await self.load()


@dataclass(frozen=True)
class CirculationRow:
    """One circulation under way."""

    code: str
    case_no: str
    state: str
    next_hop: str | None
    state_at: datetime
    overdue: bool
    items: int

    @classmethod
    def of(cls, circulation: Circulation) -> CirculationRow:
        """A row of `GET /api/v1/circulation` (or the answer to a scan)."""
        return cls(
            code=circulation.code,
            case_no=circulation.case_no,
            state=circulation.state,
            next_hop=circulation.next,
            state_at=circulation.state_at,
            overdue=circulation.overdue,
            items=len(circulation.items),
        )


class CirculationController:
    """The scan field and the list of originals under way."""

    def __init__(self, hub: Callable[[], EvaluationHub | None]) -> None:
        self._hub = hub
        self.rows: list[CirculationRow] = []

    async def load(self, overdue_only: bool = False) -> list[CirculationRow]:
        """Circulations under way (overdue first)."""
        params = {"overdue": "1"} if overdue_only else {}
        try:
            data = await _client(self._hub).get_json("/api/v1/circulation", **params)
            listed = CirculationList.model_validate(data).root
        except HubRequestError as exc:
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        except ValidationError as exc:
            raise _malformed(exc, "circulation list") from None
        self.rows = [CirculationRow.of(item) for item in listed]
        return self.rows

    def next_hop_for(self, scanned: str) -> str | None:
        """The next hop of a scanned code, when it is in the loaded list."""
        code = scanned.strip()
        if code.upper().startswith("RVW-SLIP:"):
            code = code[len("RVW-SLIP:") :].split(":", 1)[0]
        for row in self.rows:
            if row.code == code:
                return row.next_hop
        return None

    async def scan(self, scanned: str, hop: str | None, note: str = "") -> CirculationRow:
        """Record a hand-over of the scanned slip (`hop` None: its next one)."""
        text = scanned.strip()
        if not text:
            raise EvaluationError("circ.empty")
        hop = hop or self.next_hop_for(text)
        if hop is None:
            raise EvaluationError("circ.unknown")
        try:
            body = request_json(ScanBody, code=text[:300], hop=hop, note=note[:200])
            data = await _client(self._hub).post_json("/api/v1/circulation/scan", body)
            return CirculationRow.of(Circulation.model_validate(data))
        except HubRequestError as exc:
            if exc.code == "not_found":
                raise EvaluationError("circ.unknown") from None
            if exc.code == "conflict":
                raise EvaluationError("circ.out_of_order", message=exc.message) from None
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        except ValidationError as exc:
            raise _malformed(exc, "scan answer") from None


async def ratings_of_day(hub: EvaluationHub, day: str | None = None) -> dict[str, int]:
    """Session id -> rating level of the day's sessions (empty when the hub cannot say)."""
    params = {"day": day} if day else {}
    try:
        data = await hub.get_json("/api/v1/ratings", **params)
        return {row.session_id: row.level for row in RatingList.model_validate(data).root}
    except HubError as exc:
        log.info("ratings not loaded: %s", exc)
    except ValidationError as exc:
        log.warning("ratings answer malformed: %s", invalid_text(exc))
    return {}
