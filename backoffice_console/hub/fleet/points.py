"""Service points with effective-dated versions and their opening hours.

A point's history is a chain of `FleetPointVersion` rows: each change closes the
latest version on the change's effective date and opens the next, so "the point as
of date D" is the one version with valid_from <= D < valid_to. Changes are appended
in date order only (a change dated before the latest version is refused): history
is never rewritten. Dates are calendar days in the hub's local time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Kiosk, ServicePoint
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow
from backoffice_console.hub.fleet import hours
from backoffice_console.hub.fleet.models import FleetHourRule, FleetPointVersion
from backoffice_console.hub.fleet.store import as_of, require_point
from shared.protocol import ErrorCode

POINT_KINDS = ("committee", "park", "building", "party_mass_centre")
VERSION_FIELDS = (
    "kind",
    "name",
    "address",
    "sub_district",
    "longitude",
    "latitude",
    "contact",
    "status",
    "reason",
)


def local_today() -> dt.date:
    """Today in the hub's local time zone."""
    return dt.datetime.now().astimezone().date()


def _local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone().date()


def version_dict(v: FleetPointVersion) -> dict[str, Any]:
    """A version as the API returns it."""
    return {
        "point_id": v.point_id,
        "version_id": v.id,
        "valid_from": v.valid_from.isoformat(),
        "valid_to": v.valid_to.isoformat() if v.valid_to else None,
        **{name: getattr(v, name) for name in VERSION_FIELDS},
        "changed_by": v.changed_by,
        "changed_at": v.changed_at.isoformat(),
    }


def rule_of(row: FleetHourRule) -> hours.HourRule:
    """The pure-logic form of a stored rule."""
    return hours.HourRule(row.kind, row.weekday, row.day, row.opens_min, row.closes_min, row.id)


def rule_dict(rule: hours.HourRule, note: str = "") -> dict[str, Any]:
    """A rule as the API returns it."""
    return {
        "id": rule.rule_id,
        "kind": rule.kind,
        "weekday": rule.weekday,
        "day": rule.day.isoformat() if rule.day else None,
        "opens": hours.hhmm(rule.opens) if rule.kind != hours.CLOSED else None,
        "closes": hours.hhmm(rule.closes) if rule.kind != hours.CLOSED else None,
        "note": note,
    }


@dataclass(frozen=True)
class ServiceStatus:
    """Whether a point serves now (`GET /api/v1/kiosk/service`)."""

    point_id: int
    name: str
    closed: bool
    open_now: bool
    hours_today: list[tuple[int, int]]
    next_open: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        """The endpoint's JSON shape."""
        return {
            "point": {"id": self.point_id, "name": self.name},
            "open_now": self.open_now,
            "hours_today": [[hours.hhmm(o), hours.hhmm(c)] for o, c in self.hours_today],
            "next_open": self.next_open.isoformat() if self.next_open else None,
            "closed": self.closed,
        }


class FleetPoints:
    """Reads and writes points, their versions and their hour rules."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- versions --------------------------------------------------------------

    async def ensure_versions(self) -> int:
        """Give each point without a version (made by enrolment) its first; returns how many."""
        async with self._db.session() as s, s.begin():
            missing = await s.scalars(
                select(ServicePoint).where(
                    ~exists().where(FleetPointVersion.point_id == ServicePoint.id)
                )
            )
            added = 0
            for point in missing:
                s.add(
                    FleetPointVersion(
                        point_id=point.id,
                        valid_from=_local_date(point.created_at),
                        kind="committee",
                        name=point.name,
                        address="",
                        sub_district="",
                        contact="",
                        status="open",
                        reason="enrolled",
                    )
                )
                added += 1
            return added

    async def create(
        self, fields: dict[str, Any], effective: dt.date, who: Principal
    ) -> dict[str, Any]:
        """A new point, its first version from `effective`; `conflict` if the name is taken."""
        try:
            async with self._db.session() as s, s.begin():
                point = ServicePoint(name=fields["name"])
                s.add(point)
                await s.flush()
                version = FleetPointVersion(
                    point_id=point.id, valid_from=effective, changed_by=who.subject_id, **fields
                )
                s.add(version)
                await s.flush()
                s.add(audit_entry(who, "fleet.point.create", point_id=point.id))
                return version_dict(version)
        except IntegrityError:
            raise HubError(ErrorCode.CONFLICT, "a service point with this name exists") from None

    async def change(
        self, point_id: int, changes: dict[str, Any], effective: dt.date, who: Principal
    ) -> dict[str, Any]:
        """Append a version from `effective` with `changes` applied (open/change/close)."""
        await self.ensure_versions()
        async with self._db.session() as s, s.begin():
            # Serialise changes of one point (PostgreSQL; SQLite has one writer anyway).
            await s.execute(
                select(ServicePoint.id)
                .where(ServicePoint.id == point_id)
                .with_for_update(key_share=True)
            )
            latest = await s.scalar(
                select(FleetPointVersion).where(
                    FleetPointVersion.point_id == point_id, FleetPointVersion.valid_to.is_(None)
                )
            )
            if latest is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such service point")
            # On the latest version's own first day the latest is kept as an empty span
            # (valid_from == valid_to): still in the history, never "as of" any date.
            if effective < latest.valid_from:
                raise HubError(
                    ErrorCode.CONFLICT,
                    f"a change cannot take effect before the latest version "
                    f"(from {latest.valid_from.isoformat()})",
                )
            latest.valid_to = effective
            values = {name: getattr(latest, name) for name in VERSION_FIELDS}
            values["reason"] = ""
            values.update(changes)
            version = FleetPointVersion(
                point_id=point_id, valid_from=effective, changed_by=who.subject_id, **values
            )
            s.add(version)
            await s.flush()
            s.add(
                audit_entry(
                    who,
                    "fleet.point.change",
                    point_id=point_id,
                    fields=sorted(changes),
                    effective=effective.isoformat(),
                )
            )
            return version_dict(version)

    async def version_at(
        self, s: AsyncSession, point_id: int, day: dt.date
    ) -> FleetPointVersion | None:
        """The version of `point_id` valid on `day`, if any."""
        return await s.scalar(
            select(FleetPointVersion).where(FleetPointVersion.point_id == point_id, as_of(day))
        )

    async def at(self, day: dt.date, sub_district: str | None = None) -> list[dict[str, Any]]:
        """Every point as it was on `day` (points not yet opened on `day` are absent)."""
        await self.ensure_versions()
        query = select(FleetPointVersion).where(as_of(day))
        if sub_district:
            query = query.where(FleetPointVersion.sub_district == sub_district)
        async with self._db.session() as s:
            rows = await s.scalars(query.order_by(FleetPointVersion.point_id))
            return [version_dict(v) for v in rows]

    async def history(self, point_id: int) -> list[dict[str, Any]]:
        """Every version of a point, oldest first; `not_found` for an unknown point."""
        await self.ensure_versions()
        async with self._db.session() as s:
            rows = list(
                await s.scalars(
                    select(FleetPointVersion)
                    .where(FleetPointVersion.point_id == point_id)
                    .order_by(FleetPointVersion.valid_from, FleetPointVersion.id)
                )
            )
        if not rows:
            raise HubError(ErrorCode.NOT_FOUND, "no such service point")
        return [version_dict(v) for v in rows]

    # --- hours -----------------------------------------------------------------

    async def rules(self, point_id: int) -> list[dict[str, Any]]:
        """A point's hour rules."""
        async with self._db.session() as s:
            await require_point(s, point_id)
            rows = await s.scalars(
                select(FleetHourRule)
                .where(FleetHourRule.point_id == point_id)
                .order_by(FleetHourRule.id)
            )
            return [rule_dict(rule_of(r), r.note) for r in rows]

    async def add_rule(
        self, point_id: int, rule: hours.HourRule, note: str, who: Principal
    ) -> dict[str, Any]:
        """Add a rule; `bad_message` if malformed, `conflict` if it overlaps another rule."""
        try:
            hours.validate(rule)
        except hours.HoursError as exc:
            raise HubError(ErrorCode.BAD_MESSAGE, str(exc)) from None
        async with self._db.session() as s, s.begin():
            await s.execute(
                select(ServicePoint.id)
                .where(ServicePoint.id == point_id)
                .with_for_update(key_share=True)
            )
            await require_point(s, point_id)
            existing = [
                rule_of(r)
                for r in await s.scalars(
                    select(FleetHourRule).where(FleetHourRule.point_id == point_id)
                )
            ]
            try:
                hours.check_new(existing, rule)
            except hours.HoursError as exc:
                raise HubError(ErrorCode.CONFLICT, str(exc)) from None
            row = FleetHourRule(
                point_id=point_id,
                kind=rule.kind,
                weekday=rule.weekday,
                day=rule.day,
                opens_min=rule.opens,
                closes_min=rule.closes,
                note=note,
                created_by=who.subject_id,
            )
            s.add(row)
            await s.flush()
            s.add(audit_entry(who, "fleet.hours.add", point_id=point_id, rule_id=row.id))
            return rule_dict(rule_of(row), note)

    async def calendar(self, point_id: int, start: dt.date, days: int) -> list[dict[str, Any]]:
        """Opening hours of each day from `start`, `days` days (holidays and specials applied)."""
        async with self._db.session() as s:
            await require_point(s, point_id)
            rules = await self._rules_of(s, point_id)
        return [
            {
                "date": (day := start + dt.timedelta(days=i)).isoformat(),
                "open": [[hours.hhmm(o), hours.hhmm(c)] for o, c in hours.day_hours(rules, day)],
            }
            for i in range(days)
        ]

    async def delete_rule(self, rule_id: int, who: Principal) -> None:
        """Remove a rule; `not_found` if there is none."""
        async with self._db.session() as s, s.begin():
            row = await s.get(FleetHourRule, rule_id)
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such hour rule")
            await s.delete(row)
            s.add(audit_entry(who, "fleet.hours.delete", point_id=row.point_id, rule_id=rule_id))

    async def _rules_of(self, s: AsyncSession, point_id: int) -> list[hours.HourRule]:
        rows = await s.scalars(select(FleetHourRule).where(FleetHourRule.point_id == point_id))
        return [rule_of(r) for r in rows]

    async def service(self, point_id: int, now: dt.datetime | None = None) -> ServiceStatus:
        """Whether `point_id` serves at `now` (aware; default: the hub's local now)."""
        await self.ensure_versions()
        local = (now or utcnow()).astimezone()
        async with self._db.session() as s:
            version = await self.version_at(s, point_id, local.date())
            rules = await self._rules_of(s, point_id)
            point = await s.get(ServicePoint, point_id)
        name = version.name if version else (point.name if point else "")
        if version is None or version.status != "open":
            return ServiceStatus(point_id, name, True, False, [], None)
        today = hours.day_hours(rules, local.date())
        open_now = hours.is_open(rules, local)
        upcoming = None if open_now else hours.next_open(rules, local)
        return ServiceStatus(point_id, name, False, open_now, today, upcoming)

    async def point_of_kiosk(self, kiosk_id: int) -> int:
        """The point a kiosk belongs to."""
        async with self._db.session() as s:
            point_id = await s.scalar(select(Kiosk.point_id).where(Kiosk.id == kiosk_id))
        if point_id is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such kiosk")
        return point_id

    async def check_queue_open(self, kiosk: Principal) -> None:
        """Refuse queueing (`bad_state`) when the kiosk's point is closed today."""
        status = await self.service(await self.point_of_kiosk(kiosk.subject_id))
        if status.closed:
            raise HubError(
                ErrorCode.BAD_STATE, "this service point is closed; queueing is not possible"
            )
