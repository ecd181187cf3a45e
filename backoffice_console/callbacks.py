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

from shared.hubclient import HubError, HubRequestError

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
    def from_json(cls, data: dict[str, Any]) -> CallbackRow:
        """A row of `GET /api/v1/callbacks`."""
        created = data.get("created_at")
        return cls(
            callback_id=int(data["id"]),
            created_at=datetime.fromisoformat(created) if created else None,
            point_name=str(data.get("point_name", "")),
            matter_name=str(data.get("matter_name", "")),
            phone_masked=str(data.get("phone_masked", "")),
            note=str(data.get("note") or ""),
            state=str(data.get("state", "")),
            done_note=str(data.get("done_note") or ""),
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
            self.rows = [CallbackRow.from_json(item) for item in data["callbacks"]]
        except HubRequestError as exc:
            log.warning("call-back list refused: %s", exc.code)
            raise CallbacksError("error.refused") from None
        except HubError:
            raise CallbacksError("error.offline") from None
        except (KeyError, TypeError, ValueError):
            raise CallbacksError("error.malformed") from None
        return self.rows

    async def reveal(self, callback_id: int) -> str:
        """The full number to dial (audited by the hub; shown, never logged)."""
        try:
            data = await self._client().get_json(f"/api/v1/callbacks/{callback_id}/phone")
            return str(data["phone"])
        except HubRequestError as exc:
            log.warning("reveal refused: %s", exc.code)
            raise CallbacksError("error.refused") from None
        except HubError:
            raise CallbacksError("error.offline") from None
        except (KeyError, TypeError):
            raise CallbacksError("error.malformed") from None

    async def done(self, callback_id: int, note: str) -> list[CallbackRow]:
        """Mark a request done with a note, then reload the list."""
        try:
            await self._client().post_json(
                f"/api/v1/callbacks/{callback_id}/done", {"note": note.strip()[:500]}
            )
        except HubRequestError as exc:
            log.warning("marking call-back %d done refused: %s", callback_id, exc.code)
            raise CallbacksError(
                "error.already_done" if exc.code == "conflict" else "error.refused"
            ) from None
        except HubError:
            raise CallbacksError("error.offline") from None
        return await self.load()
