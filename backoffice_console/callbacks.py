"""回电请求 on the console, without Qt: the call-back requests residents left at kiosks.

Talks to the hub's `/api/v1/callbacks` API: the list (phone masked), the full
number to dial (the hub audits every reveal) and marking a request done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol.callbacks import CallbackDone, CallbackPhone, CallbacksReply
from shared.protocol.callbacks import CallbackRow as CallbackRecord
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

CALLBACK_ROLES = ("officer", "supervisor", "admin")


class CallbacksHub(Protocol):
    """What the controller needs of a logged-in hub client."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class CallbacksError(Exception):
    """A failed action; `key` is a text in the `callbacks` i18n domain."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class CallbackRow:
    """One request as the list shows it (never the full number)."""

    callback_id: int
    created_at: datetime | None
    point_name: str
    matter_name: str
    phone_masked: str
    note: str
    state: str
    done_note: str

    @classmethod
    def of(cls, row: CallbackRecord) -> CallbackRow:
        """A row of `GET /api/v1/callbacks`."""
        return cls(
            callback_id=row.id,
            created_at=row.created_at,
            point_name=row.point_name,
            matter_name=row.matter_name,
            phone_masked=row.phone_masked,
            note=row.note,
            state=row.state,
            done_note=row.done_note or "",
        )


class CallbacksController:
    """Loads, reveals and closes call-back requests through the hub."""

    def __init__(self, hub: Callable[[], CallbacksHub | None]) -> None:
        self._hub = hub
        self.state = "open"
        self.rows: list[CallbackRow] = []

    def _client(self) -> CallbacksHub:
        client = self._hub()
        if client is None:
            raise CallbacksError("error.offline")
        return client

    async def load(self, state: str | None = None) -> list[CallbackRow]:
        """The requests in `state` (open / done / all; default: the last one asked for)."""
        if state is not None:
            self.state = state
        try:
            data = await self._client().get_json("/api/v1/callbacks", state=self.state)
            listed = CallbacksReply.model_validate(data).callbacks
        except HubRequestError as exc:
            log.warning("call-back list refused: %s", exc.code)
            raise CallbacksError("error.refused") from None
        except HubError:
            raise CallbacksError("error.offline") from None
        except ValidationError as exc:
            log.warning("call-back list malformed: %s", invalid_text(exc))
            raise CallbacksError("error.malformed") from None
        self.rows = [CallbackRow.of(row) for row in listed]
        return self.rows

    async def reveal(self, callback_id: int) -> str:
        """The full number to dial (audited by the hub; shown, never logged)."""
        try:
            data = await self._client().get_json(f"/api/v1/callbacks/{callback_id}/phone")
            return CallbackPhone.model_validate(data).phone
        except HubRequestError as exc:
            log.warning("reveal refused: %s", exc.code)
            raise CallbacksError("error.refused") from None
        except HubError:
            raise CallbacksError("error.offline") from None
        except ValidationError as exc:
            log.warning("revealed number malformed: %s", invalid_text(exc))
            raise CallbacksError("error.malformed") from None

    async def done(self, callback_id: int, note: str) -> list[CallbackRow]:
        """Mark a request done with a note, then reload the list."""
        try:
            body = request_json(CallbackDone, note=note.strip()[:500])
            await self._client().post_json(f"/api/v1/callbacks/{callback_id}/done", body)
        except HubRequestError as exc:
            log.warning("marking call-back %d done refused: %s", callback_id, exc.code)
            raise CallbacksError(
                "error.already_done" if exc.code == "conflict" else "error.refused"
            ) from None
        except HubError:
            raise CallbacksError("error.offline") from None
        return await self.load()
