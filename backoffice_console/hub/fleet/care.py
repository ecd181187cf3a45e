"""Keeping the fleet working: kiosk presence, health reports, work orders, inspections, overview.

A health report with a failed part opens a work order for that kiosk and part
unless one is already open (a kiosk reporting every few minutes must not flood the
technicians); the order stays open until a technician closes it with a note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Kiosk, ServicePoint
from backoffice_console.hub.calls import CallSession
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, iso, utcnow
from backoffice_console.hub.fleet.models import (
    FleetHealthReport,
    FleetInspection,
    FleetKioskPresence,
    FleetWorkOrder,
)
from backoffice_console.hub.fleet.points import FleetPoints, local_today
from shared.protocol import ErrorCode
from shared.protocol.health import HealthReport


def order_dict(o: FleetWorkOrder, names: dict[int, str]) -> dict[str, Any]:
    """A work order as the API returns it (`names`: point id -> current name)."""
    return {
        "id": o.id,
        "point_id": o.point_id,
        "point_name": names.get(o.point_id, ""),
        "kiosk_id": o.kiosk_id,
        "part": o.part,
        "source": o.source,
        "summary": o.summary,
        "opened_at": o.opened_at.isoformat(),
        "opened_by": o.opened_by,
        "closed_at": iso(o.closed_at),
        "closed_by": o.closed_by,
        "close_note": o.close_note,
    }


def inspection_dict(i: FleetInspection, names: dict[int, str], today: dt.date) -> dict[str, Any]:
    """An inspection as the API returns it."""
    return {
        "id": i.id,
        "point_id": i.point_id,
        "point_name": names.get(i.point_id, ""),
        "title": i.title,
        "checklist": list(i.checklist),
        "due_on": i.due_on.isoformat(),
        "overdue": i.done_at is None and i.due_on < today,
        "done_at": iso(i.done_at),
        "done_by": i.done_by,
        "results": dict(i.results),
        "note": i.note,
    }


class FleetCare:
    """Presence, health, work orders, inspections and the fleet overview."""

    def __init__(self, db: Database, points: FleetPoints) -> None:
        self._db = db
        self._points = points

    # --- presence --------------------------------------------------------------

    async def presence(self, kiosk_id: int, online: bool) -> None:
        """Record a kiosk going online (first connection) or offline (last one gone)."""
        now = utcnow()
        async with self._db.session() as s, s.begin():
            row = await s.get(FleetKioskPresence, kiosk_id)
            if row is None:
                s.add(FleetKioskPresence(kiosk_id=kiosk_id, online=online, since=now))
            elif row.online != online:
                row.online, row.since = online, now

    async def all_offline(self) -> None:
        """At start-up no kiosk is connected: everyone marked online goes offline now."""
        async with self._db.session() as s, s.begin():
            await s.execute(
                update(FleetKioskPresence)
                .where(FleetKioskPresence.online.is_(True))
                .values(online=False, since=utcnow())
            )

    # --- health ----------------------------------------------------------------

    async def report(self, kiosk: Principal, report: HealthReport) -> dict[str, Any]:
        """Store a kiosk's report; open a work order per newly failed part."""
        failed = sorted(report.failed_parts())
        async with self._db.session() as s, s.begin():
            # One report of a kiosk at a time, so two cannot both open the same order.
            await s.execute(
                select(Kiosk.id).where(Kiosk.id == kiosk.subject_id).with_for_update(key_share=True)
            )
            point_id = await s.scalar(select(Kiosk.point_id).where(Kiosk.id == kiosk.subject_id))
            if point_id is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such kiosk")
            row = FleetHealthReport(
                kiosk_id=kiosk.subject_id, failed=failed, report=report.model_dump(mode="json")
            )
            s.add(row)
            await s.flush()
            already = set(
                await s.scalars(
                    select(FleetWorkOrder.part).where(
                        FleetWorkOrder.kiosk_id == kiosk.subject_id,
                        FleetWorkOrder.closed_at.is_(None),
                    )
                )
            )
            messages = {c.part: c.message for c in report.checks}
            opened: list[int] = []
            for part in failed:
                if part in already:
                    continue
                order = FleetWorkOrder(
                    point_id=point_id,
                    kiosk_id=kiosk.subject_id,
                    part=part,
                    source="health",
                    summary=f"{part}: {messages.get(part) or 'check failed'}"[:300],
                    report_id=row.id,
                    close_note="",
                )
                s.add(order)
                await s.flush()
                opened.append(order.id)
                s.add(audit_entry(kiosk, "fleet.order.open", order_id=order.id, part=part))
            return {"report_id": row.id, "failed": failed, "work_orders_opened": opened}

    async def latest(self, kiosk_id: int) -> dict[str, Any]:
        """The kiosk's newest report: `{"kiosk_id", "received_at", "report"}` (None if never)."""
        async with self._db.session() as s:
            row = await s.scalar(
                select(FleetHealthReport)
                .where(FleetHealthReport.kiosk_id == kiosk_id)
                .order_by(FleetHealthReport.id.desc())
                .limit(1)
            )
        return {
            "kiosk_id": kiosk_id,
            "received_at": iso(row.received_at) if row else None,
            "report": row.report if row else None,
        }

    async def kiosk_of_session(self, session_id: str) -> int:
        """The kiosk of a session (any state); `not_found` if there is no such session."""
        async with self._db.session() as s:
            kiosk_id = await s.scalar(
                select(CallSession.kiosk_id).where(CallSession.id == session_id)
            )
        if kiosk_id is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        return kiosk_id

    async def history(self, kiosk_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """The kiosk's reports, newest first."""
        async with self._db.session() as s:
            if await s.get(Kiosk, kiosk_id) is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such kiosk")
            rows = await s.scalars(
                select(FleetHealthReport)
                .where(FleetHealthReport.kiosk_id == kiosk_id)
                .order_by(FleetHealthReport.id.desc())
                .limit(limit)
            )
            return [
                {
                    "id": r.id,
                    "received_at": r.received_at.isoformat(),
                    "failed": list(r.failed),
                    "report": r.report,
                }
                for r in rows
            ]

    # --- work orders -----------------------------------------------------------

    async def orders(
        self, state: str = "open", point_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Work orders (`open`, `closed` or `all`), newest first."""
        query = select(FleetWorkOrder)
        if state == "open":
            query = query.where(FleetWorkOrder.closed_at.is_(None))
        elif state == "closed":
            query = query.where(FleetWorkOrder.closed_at.is_not(None))
        if point_id is not None:
            query = query.where(FleetWorkOrder.point_id == point_id)
        async with self._db.session() as s:
            rows = await s.scalars(query.order_by(FleetWorkOrder.id.desc()))
            names = await self._names_in(s)
            return [order_dict(o, names) for o in rows]

    async def open_order(
        self, point_id: int, kiosk_id: int | None, summary: str, who: Principal
    ) -> dict[str, Any]:
        """A manual work order."""
        async with self._db.session() as s, s.begin():
            if await s.get(ServicePoint, point_id) is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such service point")
            if kiosk_id is not None:
                kiosk = await s.get(Kiosk, kiosk_id)
                if kiosk is None or kiosk.point_id != point_id:
                    raise HubError(ErrorCode.BAD_MESSAGE, "that kiosk is not at this point")
            order = FleetWorkOrder(
                point_id=point_id,
                kiosk_id=kiosk_id,
                source="manual",
                summary=summary,
                opened_by=who.subject_id,
                close_note="",
            )
            s.add(order)
            await s.flush()
            s.add(audit_entry(who, "fleet.order.open", order_id=order.id))
            return order_dict(order, await self._names_in(s))

    async def _names_in(self, s: AsyncSession) -> dict[int, str]:
        rows = await s.execute(select(ServicePoint.id, ServicePoint.name))
        return {point_id: name for point_id, name in rows}

    async def close_order(self, order_id: int, note: str, who: Principal) -> dict[str, Any]:
        """Close an open order with the technician's note; `conflict` if already closed."""
        async with self._db.session() as s, s.begin():
            order = await s.get(FleetWorkOrder, order_id, with_for_update={"key_share": True})
            if order is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such work order")
            if order.closed_at is not None:
                raise HubError(ErrorCode.CONFLICT, "this work order is already closed")
            order.closed_at, order.closed_by, order.close_note = utcnow(), who.subject_id, note
            s.add(audit_entry(who, "fleet.order.close", order_id=order_id))
            return order_dict(order, await self._names_in(s))

    # --- inspections -----------------------------------------------------------

    async def schedule(
        self, point_id: int, title: str, checklist: list[str], due_on: dt.date, who: Principal
    ) -> dict[str, Any]:
        """Schedule an inspection of a point."""
        if len(set(checklist)) != len(checklist):
            raise HubError(ErrorCode.BAD_MESSAGE, "checklist items must be distinct")
        async with self._db.session() as s, s.begin():
            if await s.get(ServicePoint, point_id) is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such service point")
            row = FleetInspection(
                point_id=point_id,
                title=title,
                checklist=checklist,
                due_on=due_on,
                scheduled_by=who.subject_id,
                results={},
                note="",
            )
            s.add(row)
            await s.flush()
            s.add(audit_entry(who, "fleet.inspection.schedule", inspection_id=row.id))
            return inspection_dict(row, await self._names_in(s), local_today())

    async def due(self, within_days: int = 14) -> list[dict[str, Any]]:
        """Inspections not yet recorded and due within `within_days` (overdue ones first)."""
        today = local_today()
        async with self._db.session() as s:
            rows = await s.scalars(
                select(FleetInspection)
                .where(
                    FleetInspection.done_at.is_(None),
                    FleetInspection.due_on <= today + dt.timedelta(days=within_days),
                )
                .order_by(FleetInspection.due_on, FleetInspection.id)
            )
            names = await self._names_in(s)
            return [inspection_dict(i, names, today) for i in rows]

    async def record(
        self, inspection_id: int, results: dict[str, bool], note: str, who: Principal
    ) -> dict[str, Any]:
        """Record an inspection: one result per checklist item, exactly."""
        async with self._db.session() as s, s.begin():
            row = await s.get(FleetInspection, inspection_id, with_for_update={"key_share": True})
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such inspection")
            if row.done_at is not None:
                raise HubError(ErrorCode.CONFLICT, "this inspection is already recorded")
            if set(results) != set(row.checklist):
                missing = sorted(set(row.checklist) - set(results))
                extra = sorted(set(results) - set(row.checklist))
                raise HubError(
                    ErrorCode.BAD_MESSAGE,
                    f"results must cover the checklist exactly (missing {missing}, "
                    f"unknown {extra})"[:200],
                )
            row.done_at, row.done_by, row.results, row.note = (
                utcnow(),
                who.subject_id,
                results,
                note,
            )
            s.add(audit_entry(who, "fleet.inspection.record", inspection_id=inspection_id))
            return inspection_dict(row, await self._names_in(s), local_today())

    # --- overview --------------------------------------------------------------

    async def overview(self, sub_district: str | None = None) -> list[dict[str, Any]]:
        """Points today with their kiosks (online / offline since), failed parts and open orders.

        Points with an offline kiosk come first (longest offline first), then by name.
        """
        points = await self._points.at(local_today(), sub_district)
        async with self._db.session() as s:
            kiosks = list(await s.scalars(select(Kiosk).where(Kiosk.active.is_(True))))
            presence = {p.kiosk_id: p for p in await s.scalars(select(FleetKioskPresence))}
            newest = (
                select(func.max(FleetHealthReport.id))
                .group_by(FleetHealthReport.kiosk_id)
                .scalar_subquery()
            )
            reports = {
                r.kiosk_id: r
                for r in await s.scalars(
                    select(FleetHealthReport).where(FleetHealthReport.id.in_(newest))
                )
            }
            counted = await s.execute(
                select(FleetWorkOrder.point_id, func.count())
                .where(FleetWorkOrder.closed_at.is_(None))
                .group_by(FleetWorkOrder.point_id)
            )
            open_orders = {point_id: int(n) for point_id, n in counted}
        rows: list[dict[str, Any]] = []
        for point in points:
            entries: list[dict[str, Any]] = []
            for k in (k for k in kiosks if k.point_id == point["point_id"]):
                seen = presence.get(k.id)
                report = reports.get(k.id)
                entries.append(
                    {
                        "id": k.id,
                        "name": k.name,
                        "online": bool(seen and seen.online),
                        "since": iso(seen.since if seen else (k.last_seen_at or k.enrolled_at)),
                        "failed": list(report.failed) if report else [],
                        "report_at": iso(report.received_at) if report else None,
                        "version": _version_of(report.report) if report else None,
                    }
                )
            offline = [e["since"] for e in entries if not e["online"]]
            rows.append(
                point
                | {
                    "kiosks": entries,
                    "offline_since": min(offline) if offline else None,
                    "failed_parts": sorted({p for e in entries for p in e["failed"]}),
                    "open_orders": int(open_orders.get(point["point_id"], 0)),
                }
            )
        rows.sort(key=lambda r: (r["offline_since"] is None, r["offline_since"] or "", r["name"]))
        return rows


def _version_of(report: dict[str, Any]) -> str | None:
    """The software version a stored health report carries (the kiosk's, as it sent it)."""
    found = report.get("software_version")
    return str(found)[:64] if found else None
