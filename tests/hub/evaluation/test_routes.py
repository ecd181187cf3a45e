"""Ratings, rectifications and follow-ups through a real hub on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from backoffice_console.hub.cases.models import CaseEvent
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.evaluation import EVALUATION_KEY
from backoffice_console.hub.evaluation.models import CaseContact, FollowUp, Rating, Rectification
from backoffice_console.hub.evaluation.service import EvaluationService
from shared.protocol import Role
from tests.support.evaluation_helpers import ended_call, logged_in, raw_status, refused
from tests.support.hub_fixtures import WAIT, HubHarness

PHONE = "13812345678"


async def rows(hub: HubHarness, model: type) -> list[Any]:
    async with hub.hub.db.session() as s:
        return list(await s.scalars(select(model)))


def service(hub: HubHarness) -> EvaluationService:
    return hub.app[EVALUATION_KEY]


def fixed_clock(svc: EvaluationService, when: dt.datetime) -> None:
    svc.clock = lambda: when


async def wait(call: Any) -> Any:
    return await asyncio.wait_for(call, WAIT)


async def test_rating_once_second_refused_and_bad_input_changes_nothing(hub: HubHarness) -> None:
    officer, kiosk, sid, case = await ended_call(hub, "r1")
    path = f"/api/v1/sessions/{sid}/rating"

    for bad in (
        {"level": 0},
        {"level": 6},
        {"level": "five"},
        {"level": 5, "reasons": ["attitude"]},  # a complaint chip on a 非常满意
        {"level": 1, "reasons": ["attitude", "attitude"]},
        {"level": 4, "extra": 1},
    ):
        err = await refused(kiosk.client.post_json(path, bad))
        assert err.code == "bad_message", bad
    assert await raw_status(hub, kiosk, "POST", path, {"level": 9}) == 400
    # The officer cannot rate for the resident; another kiosk cannot rate this session.
    assert (await refused(officer.client.post_json(path, {"level": 5}))).code == "forbidden"
    other = await hub.kiosk("K-other")
    assert (await refused(other.client.post_json(path, {"level": 5}))).code == "not_in_session"
    assert await rows(hub, Rating) == []

    done = await wait(
        kiosk.client.post_json(path, {"level": 4, "reasons": ["patient"], "helper": " 王 芳 "})
    )
    assert done["level"] == 4 and done["case_id"] == case.id and done["rectification"] is None

    second = await refused(kiosk.client.post_json(path, {"level": 1, "reasons": ["attitude"]}))
    assert second.code == "conflict"
    assert await raw_status(hub, kiosk, "POST", path, {"level": 2}) == 409
    (rating,) = await rows(hub, Rating)
    assert (rating.level, rating.reasons, rating.helper) == (4, ["patient"], "王 芳")
    assert rating.officer_id == case.officer_id and rating.case_id == case.id
    assert await rows(hub, Rectification) == []
    # Skipping after rating is refused too, and makes no follow-up.
    assert (await refused(kiosk.client.post_json(f"{path}/skip", {}))).code == "conflict"
    assert await rows(hub, FollowUp) == []

    shown = await wait(officer.client.get_json(path))
    assert shown["level"] == 4 and shown["rectification_id"] is None
    events = [e for e in await rows(hub, CaseEvent) if e.kind == "rating"]
    assert [e.detail["level"] for e in events] == [4]


async def test_close_needs_supervisor_and_a_callback_record(hub: HubHarness) -> None:
    svc = service(hub)
    opened = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    fixed_clock(svc, opened)
    officer, kiosk, sid, _ = await ended_call(hub, "r3")
    await wait(kiosk.client.post_json(f"/api/v1/sessions/{sid}/rating", {"level": 1}))
    (rect,) = await rows(hub, Rectification)
    path = f"/api/v1/rectifications/{rect.id}/close"
    fixed_clock(svc, opened + dt.timedelta(days=3))
    callback = {"callback_at": (opened + dt.timedelta(days=2)).isoformat(),
                "callback_note": "已电话回访，居民表示理解"}  # fmt: skip

    # Officers and technicians are neither allowed to list nor to close.
    assert (await refused(officer.client.get_json("/api/v1/rectifications"))).code == "forbidden"
    assert await raw_status(hub, officer, "POST", path, callback) == 403
    tech = await logged_in(hub, "tech", Role.TECHNICIAN)
    assert await raw_status(hub, tech, "POST", path, callback) == 403

    supervisor = await logged_in(hub, "sup", Role.SUPERVISOR)
    for bad in (
        {},
        {"callback_at": callback["callback_at"]},
        {"callback_note": "x"},
        {**callback, "callback_note": "   "},
        {**callback, "callback_at": "2026-11-04T10:00:00"},  # no time zone
        {**callback, "callback_at": (opened - dt.timedelta(days=1)).isoformat()},
        {**callback, "callback_at": (opened + dt.timedelta(days=30)).isoformat()},
    ):
        assert await raw_status(hub, supervisor, "POST", path, bad) == 400, bad
    assert (await rows(hub, Rectification))[0].state == "open"
    assert await raw_status(hub, supervisor, "POST", "/api/v1/rectifications/999/close",
                            callback) == 404  # fmt: skip

    closed = await wait(supervisor.client.post_json(path, callback))
    assert closed["state"] == "closed" and closed["overdue"] is False
    assert closed["callback_note"] == "已电话回访，居民表示理解"
    assert await raw_status(hub, supervisor, "POST", path, callback) == 409
    (row,) = await rows(hub, Rectification)
    assert row.closed_by is not None and row.callback_at == opened + dt.timedelta(days=2)
    audits = [a for a in await rows(hub, AuditEntry) if a.action == "rectification.close"]
    assert len(audits) == 1 and audits[0].session_id == sid


async def test_bad_ratings_open_rectifications_due_in_15_working_days(hub: HubHarness) -> None:
    svc = service(hub)
    # Tuesday 1 Sep 2026: due 21 Sep, since Sunday 20 Sep is worked (调休).
    fixed_clock(svc, dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC))
    officer, kiosk, sid, _ = await ended_call(hub, "oa")
    done = await wait(kiosk.client.post_json(f"/api/v1/sessions/{sid}/rating", {"level": 1}))
    assert done["rectification"]["deadline"] == "2026-09-21"
    # Monday 28 Sep, 10:00 in Beijing: National Day (1-7 Oct) and the worked Saturday
    # 10 Oct lie inside the 15 working days.
    fixed_clock(svc, dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC))
    for reasons in (["wait_long", "unclear"], []):
        _, _, sid, _ = await ended_call(hub, "oa", (officer, kiosk))
        body = {"level": 2, "reasons": reasons}
        done = await wait(kiosk.client.post_json(f"/api/v1/sessions/{sid}/rating", body))
        assert done["rectification"]["deadline"] == "2026-10-23"
    assert [r.deadline for r in await rows(hub, Rectification)] == [
        dt.date(2026, 9, 21), dt.date(2026, 10, 23), dt.date(2026, 10, 23)
    ]  # fmt: skip

    supervisor = await logged_in(hub, "sup", Role.SUPERVISOR)
    fixed_clock(svc, dt.datetime(2026, 10, 22, 2, 0, tzinfo=dt.UTC))
    listed = await wait(supervisor.client.get_json("/api/v1/rectifications"))
    assert [(r["deadline"], r["overdue"], r["workdays_left"]) for r in listed] == [
        ("2026-09-21", True, 0), ("2026-10-23", False, 1), ("2026-10-23", False, 1)
    ]  # fmt: skip
    assert listed[1]["level"] == 2 and listed[1]["reasons"] == ["wait_long", "unclear"]

    first_id = listed[0]["id"]
    await wait(supervisor.client.post_json(
        f"/api/v1/rectifications/{first_id}/close",
        {"callback_at": "2026-10-21T01:00:00+00:00", "callback_note": "回访完毕"},
    ))  # fmt: skip
    fixed_clock(svc, dt.datetime(2026, 10, 26, 2, 0, tzinfo=dt.UTC))
    listed = await wait(supervisor.client.get_json("/api/v1/rectifications"))
    assert [(r["state"], r["overdue"]) for r in listed] == [
        ("open", True), ("open", True), ("closed", True)  # closed after its deadline
    ]  # fmt: skip
    only_open = await wait(supervisor.client.get_json("/api/v1/rectifications", state="open"))
    assert len(only_open) == 2
    bad = await refused(supervisor.client.get_json("/api/v1/rectifications", state="x"))
    assert bad.code == "bad_message"


async def test_skip_makes_follow_up_with_sms_to_the_recorded_phone(
    hub: HubHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outbox = hub.hub.config.config_dir / hub.hub.config.sms_outbox
    officer, kiosk, sid, case = await ended_call(hub, "f1")
    contact_path = f"/api/v1/cases/{case.id}/contact"
    for bad in ({"phone": "12ab"}, {"phone": ""}, {}):
        assert (await refused(officer.client.post_json(contact_path, bad))).code == "bad_message"
    other = await logged_in(hub, "o-other", Role.OFFICER)
    assert (await refused(other.client.post_json(contact_path, {"phone": PHONE}))).code == (
        "forbidden"
    )
    missing = officer.client.post_json("/api/v1/cases/99999/contact", {"phone": PHONE})
    assert (await refused(missing)).code == "not_found"
    assert await rows(hub, CaseContact) == []
    masked = await wait(officer.client.post_json(contact_path, {"phone": "13900000000"}))
    assert masked["phone"] == "139****0000"
    # Again by case number: the newer number replaces the first.
    by_no = f"/api/v1/cases/{case.case_no}/contact"
    masked = await wait(officer.client.post_json(by_no, {"phone": PHONE}))
    assert masked["phone"] == "138****5678" and masked["case_id"] == case.id
    (contact,) = await rows(hub, CaseContact)
    assert PHONE.encode() not in contact.ciphertext

    follow = await wait(kiosk.client.post_json(f"/api/v1/sessions/{sid}/rating/skip", {}))
    assert (follow["channel"], follow["state"], follow["source"]) == ("sms", "sent", "kiosk")
    again = await wait(kiosk.client.post_json(f"/api/v1/sessions/{sid}/rating/skip", {}))
    assert again["follow_up_id"] == follow["follow_up_id"]  # idempotent, one SMS
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["to"] == PHONE and "1-5" in lines[0]["text"]
    assert lines[0]["reference"] == f"followup-{follow['follow_up_id']}"
    assert PHONE not in caplog.text and "5678" not in caplog.text
    assert "followup-" in caplog.text  # the sending was logged, without the number
    # A rating still counts after a skip (the resident came back).
    await wait(kiosk.client.post_json(f"/api/v1/sessions/{sid}/rating", {"level": 5}))

    # The sweep follows up a session left without rating or skip, once, after a while.
    svc = service(hub)
    _, _, unrated, _ = await ended_call(hub, "f1", (officer, kiosk))
    assert await svc.sweep() == 0  # ended just now: not yet
    fixed_clock(svc, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    supervisor = await logged_in(hub, "sup", Role.SUPERVISOR)
    listed = await wait(supervisor.client.get_json("/api/v1/follow-ups"))
    assert [(f["session_id"], f["source"], f["state"]) for f in listed] == [
        (unrated, "sweep", "no_contact"),  # no phone on that case: no SMS
        (sid, "kiosk", "sent"),
    ]
    assert await svc.sweep() == 0  # once per session
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 1
    assert (await refused(officer.client.get_json("/api/v1/follow-ups"))).code == "forbidden"
