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

from shared.hubclient import HubError, HubRequestError

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
    def from_json(cls, data: dict[str, Any]) -> RectificationRow:
        """A row of `GET /api/v1/rectifications`."""
        return cls(
            rect_id=int(data["id"]),
            case_no=str(data.get("case_no") or data.get("session_id", ""))[:32],
            level=int(data["level"]),
            reasons=[str(r) for r in data.get("reasons") or []],
            officer_name=str(data.get("officer_name", "")),
            opened_at=datetime.fromisoformat(data["opened_at"]),
            deadline=str(data["deadline"]),
            workdays_left=data.get("workdays_left"),
            state=str(data["state"]),
            overdue=bool(data.get("overdue")),
            callback_note=str(data.get("callback_note") or ""),
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
            self.rows = [RectificationRow.from_json(item) for item in data]
        except HubRequestError as exc:
            log.warning("rectification list refused: %s", exc.code)
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        except (KeyError, TypeError, ValueError):
            raise EvaluationError("error.malformed") from None
        return self.rows

    async def close(self, rect_id: int, callback_at: datetime, note: str) -> list[RectificationRow]:
        """Close with the call-back record (time zone aware), then reload."""
        note = note.strip()
        if not note:
            raise EvaluationError("rect.dialog.need_note")
        if callback_at.tzinfo is None:
            callback_at = callback_at.astimezone()
        try:
            await _client(self._hub).post_json(
                f"/api/v1/rectifications/{rect_id}/close",
                {"callback_at": callback_at.isoformat(), "callback_note": note[:1000]},
            )
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
    def from_json(cls, data: dict[str, Any]) -> CirculationRow:
        """A row of `GET /api/v1/circulation`."""
        return cls(
            code=str(data["code"]),
            case_no=str(data.get("case_no", "")),
            state=str(data["state"]),
            next_hop=data.get("next"),
            state_at=datetime.fromisoformat(data["state_at"]),
            overdue=bool(data.get("overdue")),
            items=len(data.get("items") or []),
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
            self.rows = [CirculationRow.from_json(item) for item in data]
        except HubRequestError as exc:
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        except (KeyError, TypeError, ValueError):
            raise EvaluationError("error.malformed") from None
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
            data = await _client(self._hub).post_json(
                "/api/v1/circulation/scan", {"code": text[:300], "hop": hop, "note": note[:200]}
            )
            return CirculationRow.from_json(data)
        except HubRequestError as exc:
            if exc.code == "not_found":
                raise EvaluationError("circ.unknown") from None
            if exc.code == "conflict":
                raise EvaluationError("circ.out_of_order", message=exc.message) from None
            raise _refused(exc) from None
        except HubError:
            raise EvaluationError("error.offline") from None
        except (KeyError, TypeError, ValueError):
            raise EvaluationError("error.malformed") from None


async def ratings_of_day(hub: EvaluationHub, day: str | None = None) -> dict[str, int]:
    """Session id -> rating level of the day's sessions (empty when the hub cannot say)."""
    params = {"day": day} if day else {}
    try:
        data = await hub.get_json("/api/v1/ratings", **params)
        return {str(item["session_id"]): int(item["level"]) for item in data}
    except HubError as exc:
        log.info("ratings not loaded: %s", exc)
    except (KeyError, TypeError, ValueError):
        log.warning("ratings answer malformed")
    return {}
