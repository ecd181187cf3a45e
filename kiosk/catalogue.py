"""The kiosk's matter catalogue and service hours, without Qt (issue 6, resident's start).

`CatalogueDesk` fetches the hub's current catalogue (`GET /api/v1/catalogue`) when
the kiosk connects and keeps a copy under the state folder, so the touch screen
still offers matters after a restart without the hub. It searches matters
(case-insensitive substring of name, English name, code and keywords, which
carry the pinyin initials typed on the letter keyboard), lists a line's matters,
and says which matters this kiosk can offer now: `offered()` applies
`Catalogue.offered` with the device kinds the health monitor reports unavailable
(a callable; default: nothing unavailable). `service_hours()` asks the hub
whether the point is open (`GET /api/v1/kiosk/service`; a hub without that route
counts as open), and `leave_callback()` posts a call-back request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from shared.catalogue.model import Catalogue, Line, Matter, OfferedMatter
from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol.callbacks import CallbackCreate, mask_phone, normalize_phone
from shared.protocol.catalogue import CatalogueReply
from shared.protocol.fleet import KioskService
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

CACHE_NAME = "catalogue.json"


class HttpPort(Protocol):
    """The HTTP side of `shared.hubclient.HubClient` the desk uses."""

    async def get_json(self, path: str, **params: str) -> Any: ...

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class NoCatalogue(Exception):
    """Neither the hub nor the cache had a catalogue."""


class UnknownMatter(Exception):
    """A matter code this kiosk's catalogue does not hold."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown matter code {code}")
        self.code = code


@dataclass(frozen=True)
class ServiceHours:
    """Whether the point serves now (`GET /api/v1/kiosk/service`)."""

    open_now: bool = True
    hours_today: tuple[tuple[str, str], ...] = ()
    next_open: dt.datetime | None = None
    closed: bool = False
    """The point is closed for good (not just outside hours)."""
    point_name: str | None = None
    known: bool = False
    """False: the hub had no answer (no such route, or unreachable) and open is assumed."""

    @classmethod
    def of(cls, service: KioskService) -> ServiceHours:
        """The hub's answer (`GET /api/v1/kiosk/service`)."""
        return cls(
            open_now=service.open_now,
            hours_today=tuple(service.hours_today),
            next_open=service.next_open,
            closed=service.closed,
            point_name=service.point.name,
            known=True,
        )

    def hours_text(self) -> str:
        """`09:00-12:00, 13:30-17:00` (empty when unknown)."""
        return ", ".join(f"{a}-{b}" for a, b in self.hours_today)


@dataclass
class CatalogueDesk:
    """The catalogue as this kiosk offers it (see module docstring)."""

    hub: HttpPort
    state_dir: Path
    unavailable: Callable[[], Iterable[str]] = field(default=lambda: ())
    catalogue: Catalogue | None = None
    version_id: int | str | None = None
    from_cache: bool = False

    @property
    def cache_path(self) -> Path:
        """Where the last catalogue from the hub is kept."""
        return self.state_dir / CACHE_NAME

    # --- loading ---------------------------------------------------------------

    async def refresh(self) -> Catalogue:
        """Fetch the hub's catalogue and cache it; on failure fall back to the cache.

        Raises `NoCatalogue` when neither is available.
        """
        try:
            data = await self.hub.get_json("/api/v1/catalogue")
            reply = CatalogueReply.model_validate(data)
        except HubError as exc:
            log.info("catalogue not fetched (%s); using the cached copy", type(exc).__name__)
            return self.load_cache()
        except ValidationError as exc:
            log.error("the hub's catalogue is malformed (%s); using the cached copy",
                      invalid_text(exc))  # fmt: skip
            return self.load_cache()
        catalogue = reply.catalogue
        self.catalogue, self.version_id, self.from_cache = catalogue, reply.version_id, False
        self._write_cache()
        log.info("catalogue %s (%d matters)", catalogue.version, len(catalogue.matters))
        return catalogue

    def load_cache(self) -> Catalogue:
        """The cached catalogue (kept if one is loaded already); raises `NoCatalogue`."""
        if self.catalogue is not None:
            return self.catalogue
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
            catalogue = Catalogue.model_validate(data["catalogue"])
        except FileNotFoundError:
            raise NoCatalogue("no catalogue from the hub and none cached") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise NoCatalogue(f"the cached catalogue is unusable ({type(exc).__name__})") from None
        self.catalogue, self.version_id, self.from_cache = catalogue, data.get("version_id"), True
        return catalogue

    def _write_cache(self) -> None:
        assert self.catalogue is not None
        body = {"version_id": self.version_id, "catalogue": self.catalogue.model_dump(mode="json")}
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.cache_path)  # a crash never leaves half a cache
        except OSError as exc:
            log.error("could not cache the catalogue: %s", exc)

    def _need(self) -> Catalogue:
        if self.catalogue is None:
            raise NoCatalogue("the catalogue is not loaded")
        return self.catalogue

    # --- queries ---------------------------------------------------------------

    def lines(self) -> list[Line]:
        """The lines, in catalogue order (empty before a catalogue is loaded)."""
        return [] if self.catalogue is None else list(self.catalogue.lines)

    def matters_of(self, line_code: str) -> list[Matter]:
        """The matters of one line."""
        return [] if self.catalogue is None else self.catalogue.matters_of(line_code)

    def matter(self, code: str) -> Matter:
        """The matter with `code`; raises `UnknownMatter`."""
        matter = None if self.catalogue is None else self.catalogue.matter(code)
        if matter is None:
            raise UnknownMatter(code)
        return matter

    def search(self, query: str) -> list[Matter]:
        """Matters whose name, English name, code or a keyword contains `query` (any case)."""
        needle = query.strip().casefold()
        if not needle or self.catalogue is None:
            return []
        return [m for m in self.catalogue.matters if needle in _haystack(m)]

    def unavailable_devices(self) -> frozenset[str]:
        """The device kinds the health monitor reports failed or absent (never raises)."""
        try:
            return frozenset(self.unavailable())
        except Exception:
            log.exception("the device monitor failed; offering every matter")
            return frozenset()

    def offered(self, matters: Iterable[Matter] | None = None) -> list[OfferedMatter]:
        """`matters` (default: all) with the devices each misses on this kiosk now."""
        down = self.unavailable_devices()
        chosen = self._need().matters if matters is None else matters
        return [OfferedMatter(m, tuple(d for d in m.devices if d in down)) for m in chosen]

    def offer(self, code: str) -> OfferedMatter:
        """One matter as offered now; raises `UnknownMatter`."""
        return self.offered([self.matter(code)])[0]

    # --- hub -------------------------------------------------------------------

    async def service_hours(self) -> ServiceHours:
        """Whether the point serves now. No route (404) or no answer: open, `known` False."""
        try:
            data = await self.hub.get_json("/api/v1/kiosk/service")
            return ServiceHours.of(KioskService.model_validate(data))
        except HubRequestError as exc:
            if exc.code != "not_found":
                log.warning("service hours refused: %s", exc.code)
        except HubError as exc:
            log.info("service hours unknown (%s)", type(exc).__name__)
        except ValidationError as exc:
            log.error("malformed service hours (%s)", invalid_text(exc))
        return ServiceHours()

    async def leave_callback(self, matter_code: str, phone: str, note: str = "") -> str:
        """Post a call-back request; returns the masked number.

        Raises `shared.protocol.callbacks.InvalidPhone` before sending a bad number,
        `UnknownMatter`, or the hub client's errors.
        """
        digits = normalize_phone(phone)
        self.matter(matter_code)
        payload = request_json(
            CallbackCreate, matter_code=matter_code, phone=digits, note=note.strip()
        )
        await self.hub.post_json("/api/v1/callbacks", payload)
        log.info("call-back request left for %s (%s)", matter_code, mask_phone(digits))
        return mask_phone(digits)


def _haystack(matter: Matter) -> str:
    parts = [matter.name, matter.name_en or "", matter.code, *matter.keywords]
    return "\x00".join(parts).casefold()
