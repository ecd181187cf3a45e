"""The government map's feed: points open today as an RFC 7946 FeatureCollection.

Only points whose version today is open, that have coordinates (WGS84, emitted
[longitude, latitude] as RFC 7946 requires) and that open at some time today are
listed; each carries its hours for the next seven days. The point's `contact` is
its public office contact, published on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from backoffice_console.hub.db import Database
from backoffice_console.hub.fleet import hours
from backoffice_console.hub.fleet.models import FleetHourRule, FleetPointVersion
from backoffice_console.hub.fleet.points import local_today, rule_of
from backoffice_console.hub.fleet.store import as_of


def _week(rules: list[hours.HourRule], day: dt.date) -> list[dict[str, Any]]:
    days = [day + dt.timedelta(days=i) for i in range(7)]
    return [
        {
            "date": d.isoformat(),
            "open": [[hours.hhmm(o), hours.hhmm(c)] for o, c in hours.day_hours(rules, d)],
        }
        for d in days
    ]


async def open_points(db: Database, day: dt.date | None = None) -> dict[str, Any]:
    """The FeatureCollection for `day` (today); call `FleetPoints.ensure_versions` first."""
    day = day or local_today()
    async with db.session() as s:
        versions = list(await s.scalars(select(FleetPointVersion).where(as_of(day))))
        rules: dict[int, list[hours.HourRule]] = defaultdict(list)
        for row in await s.scalars(select(FleetHourRule)):
            rules[row.point_id].append(rule_of(row))
    features: list[dict[str, Any]] = []
    for v in sorted(versions, key=lambda v: v.point_id):
        if v.status != "open" or v.longitude is None or v.latitude is None:
            continue
        if not hours.day_hours(rules[v.point_id], day):
            continue
        features.append(
            {
                "type": "Feature",
                "id": v.point_id,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(v.longitude, 6), round(v.latitude, 6)],
                },
                "properties": {
                    "name": v.name,
                    "kind": v.kind,
                    "address": v.address,
                    "sub_district": v.sub_district,
                    "contact": v.contact,
                    "hours": _week(rules[v.point_id], day),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
