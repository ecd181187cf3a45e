"""The HTTP contract in `shared.protocol`: request bodies and replies.

- Every request body refuses an unknown key, a too-long value and a wrong type, and
  accepts a valid example.
- Every reply model accepts a realistic example shaped as the hub builds it and refuses
  an unknown key (a change on one side shows on the other).
- A real hub's answers validate with these models: tests/hub/core/test_replies.py.
- The hub client builds bodies with the models and reads refusals with `ErrorBody`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import BaseModel, RootModel, ValidationError

from shared.catalogue.io import load_sample
from shared.hubclient import HubRequestError, refusal, request_json
from shared.protocol import (
    accounts,
    cases,
    catalogue,
    circulation,
    documents,
    fleet,
    health,
    identity,
    materials,
    rating,
    reports,
    routing,
    sessions,
)
from shared.protocol import callbacks as callback_models
from shared.protocol.http import ErrorBody, HubHealth, invalid_text, wire

PROTOCOL_MODULES = (
    accounts, cases, catalogue, callback_models, circulation, documents, fleet, health,
    identity, materials, rating, reports, routing, sessions,
)  # fmt: skip

NOW = "2026-11-22T08:30:00.123456+00:00"
DAY = "2026-11-22"


# --- request bodies ------------------------------------------------------------------------

# Each body: a valid example, then (field, bad value) pairs it must refuse. Every body is
# also refused with an unknown key.
BODIES: list[tuple[type[BaseModel], dict[str, Any], list[tuple[str, Any]]]] = [
    (accounts.LoginBody, {"username": "o1", "password": "pw"},
     [("username", "x" * 65), ("password", ""), ("username", 12)]),
    (accounts.EnrollBody, {"code": "ABCD-1234", "name": "一号机"},
     [("code", "abc"), ("name", "x" * 201), ("name", None)]),
    (accounts.DeviceTokenBody, {"device_id": 3, "secret": "s"},
     [("device_id", 0), ("secret", "x" * 201), ("device_id", "three")]),
    (accounts.RefreshBody, {"refresh_token": "r"},
     [("refresh_token", ""), ("refresh_token", "x" * 201)]),
    (accounts.PasswordChangeBody, {"old_password": "a", "new_password": "b"},
     [("old_password", ""), ("new_password", "x" * 1025)]),
    (accounts.ReasonBody, {"reason": "lost"}, [("reason", ""), ("reason", "x" * 201)]),
    (accounts.ActiveBody, {"active": False, "reason": "left"},
     [("active", "maybe"), ("reason", "")]),
    (accounts.UserCreateBody, {"username": "o2", "display_name": "王工", "role": "officer",
                               "password": "p"},
     [("username", "有空格 x"), ("role", "kiosk_king"), ("display_name", "")]),
    (documents.CreateBody, {"kind": "receipt", "paper": "A4"},
     [("kind", "letter"), ("paper", "A3"), ("kind", 1)]),
    (documents.SignatureBody, {"field": "applicant", "strokes": [[[0.1, 0.2], [0.3, 0.4]]]},
     [("field", "Applicant"), ("strokes", [[[1.5, 0.2]]]), ("strokes", [[]] * 201),
      ("strokes", "scribble")]),
    (documents.UnsignedBody, {"reason": "cannot hold a pen"},
     [("reason", ""), ("reason", "x" * 201), ("reason", ["no"])]),
    (routing.LinesBody, {"lines": ["civil", "medins"]},
     [("lines", []), ("lines", ["x"] * 101), ("lines", "civil")]),
    (cases.OutcomeBody, {"state": "needs_more", "reason": "缺少户口本"},
     [("state", "lost"), ("reason", "x" * 501), ("reason", 5)]),
    (cases.ApprovalBody, {"approval": "rejected", "reason": "材料不全"},
     [("approval", "pending"), ("reason", "x" * 501), ("approval", 1)]),
    (cases.NoteBody, {"text": "居民下午补交"},
     [("text", ""), ("text", "x" * 2001), ("text", ["补交"])]),
    (cases.ChecklistBody, {"kind": "page", "ref": "12", "item_code": "hkb"},
     [("kind", "photo"), ("ref", "a b"), ("item_code", "x" * 65), ("ref", 12)]),
    (cases.ProgressBody, {"case_no": "SL20261122-000001", "last4": "123X"},
     [("case_no", "SL 1"), ("last4", "12345"), ("case_no", "x" * 33), ("last4", 1234)]),
    (circulation.ScanBody, {"code": "LZ-SL20261122-000001", "hop": "at_point", "note": ""},
     [("code", ""), ("code", "x" * 301), ("hop", "issued"), ("note", "x" * 201),
      ("note", 5)]),
    (callback_models.CallbackCreate, {"matter_code": "civil.dbsq", "phone": "13812345678"},
     [("phone", "12345"), ("matter_code", "civil dbsq"), ("note", "x" * 201),
      ("phone", 13812345678)]),
    (callback_models.CallbackDone, {"note": "已回电"}, [("note", "x" * 501), ("note", 1)]),
    (rating.RatingBody, {"level": 2, "reasons": ["attitude"], "helper": "李姐"},
     [("level", 6), ("reasons", ["efficient"]), ("helper", "x" * 65), ("level", "two")]),
    (rating.SkipBody, {"helper": "李姐"}, [("helper", "x" * 65), ("helper", 1)]),
    (rating.ContactBody, {"phone": "+8613812345678"},
     [("phone", "call me"), ("phone", "1" * 16), ("phone", 13812345678)]),
    (rating.CloseRectificationBody, {"callback_at": NOW, "callback_note": "已回访"},
     [("callback_at", "2026-11-22T08:30:00"), ("callback_note", "   "),
      ("callback_note", "x" * 1001), ("callback_note", 1)]),
    (fleet.PointBody, {"kind": "park", "name": "滨江公园", "longitude": 120.1, "latitude": 30.2},
     [("kind", "mall"), ("name", "x" * 201), ("longitude", 181), ("address", "x" * 301),
      ("name", 1)]),
    (fleet.ChangeBody, {"effective": DAY, "status": "closed", "reason": "装修"},
     [("effective", "tomorrow"), ("status", "gone"), ("latitude", -91), ("reason", "x" * 301),
      ("longitude", "east")]),
    (fleet.HourBody, {"kind": "weekly", "weekday": 0, "opens": "09:00", "closes": "12:00"},
     [("kind", "daily"), ("weekday", 7), ("opens", "09:00:00"), ("note", "x" * 201),
      ("weekday", "monday")]),
    (fleet.DeviceBody, {"point_id": 1, "kind": "printer", "model": "HP M404", "serial": "CN1"},
     [("point_id", 0), ("kind", "Printer"), ("serial", "x" * 101), ("point_id", "one")]),
    (fleet.MoveBody, {"point_id": 2}, [("point_id", 0), ("point_id", "two")]),
    (fleet.InspectionBody, {"title": "季度巡检", "checklist": ["屏幕", "打印机"], "due_on": DAY},
     [("checklist", []), ("checklist", ["x"] * 31), ("title", "x" * 201), ("due_on", "soon"),
      ("title", 5)]),
    (fleet.RecordBody, {"results": {"屏幕": True, "打印机": False}, "note": "换纸"},
     [("results", {f"i{n}": True for n in range(31)}), ("note", "x" * 501),
      ("results", {"屏幕": "maybe"})]),
    (fleet.OrderBody, {"point_id": 1, "kiosk_id": 2, "summary": "打印机卡纸"},
     [("summary", ""), ("summary", "x" * 301), ("kiosk_id", 0), ("point_id", "x")]),
    (fleet.CloseBody, {"note": "已更换硒鼓"}, [("note", ""), ("note", "x" * 501), ("note", 1)]),
    (health.HealthReport,
     {"at": NOW, "software_version": "1.2.3",
      "checks": [{"part": "printer", "status": "failed", "value": None, "message": "offline"}]},
     [("checks", []), ("software_version", "x" * 65), ("at", "yesterday")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "valid", "bad"), BODIES, ids=[f"{m.__module__}.{m.__name__}" for m, _, _ in BODIES]
)
def test_request_body_accepts_valid_and_refuses_bad_input(
    model: type[BaseModel], valid: dict[str, Any], bad: list[tuple[str, Any]]
) -> None:
    body = model.model_validate(valid)
    assert model.model_validate(json.loads(json.dumps(wire(body)))) == body
    with pytest.raises(ValidationError):
        model.model_validate({**valid, "surprise": 1})
    for name, value in bad:
        with pytest.raises(ValidationError):
            model.model_validate({**valid, name: value})


def test_bodies_keep_the_hubs_details() -> None:
    """Defaults, stripping and validators the hub relies on."""
    point = fleet.PointBody.model_validate({"kind": "park", "name": "  滨江公园  "})
    assert point.name == "滨江公园" and point.address == "" and point.effective is None
    change = fleet.ChangeBody.model_validate({"effective": DAY, "name": "新名字"})
    assert change.model_dump(exclude={"effective"}, exclude_unset=True) == {"name": "新名字"}
    assert documents.SignatureBody.model_validate({"strokes": []}).field == "applicant"
    assert documents.CreateBody.model_validate({"kind": "slip"}).paper == "A5"
    assert cases.ChecklistBody.model_validate({"kind": "document", "ref": "ab"}).item_code is None
    assert (
        callback_models.CallbackCreate.model_validate(
            {"matter_code": "civil.dbsq", "phone": "138 1234 5678"}
        ).phone
        == "13812345678"
    )
    assert rating.RatingBody.model_validate({"level": 5, "helper": "  李  姐 "}).helper == "李 姐"
    with pytest.raises(ValidationError):
        rating.RatingBody.model_validate({"level": 5, "reasons": ["patient", "patient"]})


def test_wire_sends_only_what_was_set() -> None:
    assert wire(cases.OutcomeBody(state="completed")) == {"state": "completed"}
    assert wire(documents.CreateBody(kind="form", paper="A4")) == {"kind": "form", "paper": "A4"}
    at = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
    body = rating.CloseRectificationBody(callback_at=at, callback_note="ok")
    assert wire(body) == {"callback_at": "2026-11-22T08:30:00Z", "callback_note": "ok"}


def test_request_json_refuses_locally_as_the_hub_would() -> None:
    assert request_json(cases.NoteBody, text="补交") == {"text": "补交"}
    with pytest.raises(HubRequestError) as err:
        request_json(fleet.CloseBody, note="x" * 501)
    assert err.value.code == "bad_message" and err.value.message.startswith("CloseBody: note: ")


def test_refusal_reads_the_error_body_and_keeps_its_details() -> None:
    conflict = {"code": "conflict", "message": "out of order", "state": "issued",
                "expected": "at_point"}  # fmt: skip
    error = refusal(409, "Conflict", conflict)
    assert (error.code, error.message, error.body) == ("conflict", "out of order", conflict)
    assert circulation.CirculationConflict.model_validate(error.body).expected == "at_point"
    proxy = refusal(502, "Bad Gateway", None)  # not the hub answering
    assert (proxy.code, proxy.message, proxy.body) == ("502", "Bad Gateway", {})


def test_invalid_text_names_model_place_and_problem() -> None:
    with pytest.raises(ValidationError) as err:
        sessions.SessionRow.model_validate({"session_id": "s"})
    text = invalid_text(err.value)
    assert text.startswith("SessionRow: ticket_id: Field required (+") and len(text) <= 200


# --- replies: examples shaped as the hub builds them --------------------------------------

SESSION_ROW = {
    "session_id": "abc_DEF-1", "ticket_id": 4, "officer_id": 2, "point_name": "东湖社区居委会",
    "kiosk_name": "一号机", "officer_name": "王工", "matter": "civil.dbsq",
    "matter_name": "低保申请", "started_at": NOW, "offer_at": NOW, "answered_at": NOW,
    "connected_at": None, "ended_at": None, "end_reason": None, "ended_by": None,
    "reconnects": 0,
}  # fmt: skip
CHECKLIST_ITEM = {
    "code": "hkb", "name": "户口本", "name_en": None, "optional": False,
    "original_required": True, "pages": ["12"], "documents": [],
}  # fmt: skip
CASE_SUMMARY = {
    "case_no": "SL20261122-000001", "session_id": "abc_DEF-1", "officer_id": 2,
    "matter_code": "civil.dbsq", "matter_name": "低保申请", "line_code": "civil",
    "line_name": "民政", "catalogue_version_id": 1, "state": "open", "outcome_reason": None,
    "approval_state": None, "opened_at": NOW, "closed_at": None, "has_identity": True,
    "items": [CHECKLIST_ITEM],
}  # fmt: skip
CIRCULATION = {
    "id": 1, "code": "LZ-SL20261122-000001", "case_no": "SL20261122-000001",
    "session_id": "abc_DEF-1", "state": "issued", "next": "at_point", "location": "东湖社区",
    "items": [{"code": "SL20261122-000001-01", "name": "原件", "copies": 1, "pages": None,
               "note": None}],
    "created_at": NOW, "state_at": NOW, "overdue": False, "limit_workdays": 1,
}  # fmt: skip
FIGURES = {
    "key": DAY, "label": DAY, "cases": 2, "waiting_median_s": 12.5, "waiting_mean_s": 12.5,
    "handling_median_s": None, "handling_mean_s": None,
    "outcomes": {"open": 1, "accepted": 1, "completed": 0, "needs_more": 0, "not_eligible": 0},
    "ratings": {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1}, "rated": 2, "rating_mean": 3.0,
    "open_rectifications": 1,
}  # fmt: skip
POINT_VERSION = {
    "point_id": 1, "version_id": 3, "valid_from": DAY, "valid_to": None, "kind": "committee",
    "name": "东湖社区居委会", "address": "东湖路 1 号", "sub_district": "东湖街道",
    "longitude": 120.1, "latitude": 30.2, "contact": "0571-1234567", "status": "open",
    "reason": "", "changed_by": None, "changed_at": NOW,
}  # fmt: skip
HEALTH_REPORT = {
    "at": NOW, "software_version": "1.2.3",
    "checks": [{"part": "printer", "status": "failed", "value": None, "message": "offline"}],
}  # fmt: skip
WORK_ORDER = {
    "id": 5, "point_id": 1, "point_name": "东湖社区居委会", "kiosk_id": 2, "part": "printer",
    "source": "health", "summary": "printer: offline", "opened_at": NOW, "opened_by": None,
    "closed_at": None, "closed_by": None, "close_note": "",
}  # fmt: skip

REPLIES: list[tuple[type[BaseModel], Any]] = [
    (ErrorBody, {"code": "not_found", "message": "no such case"}),
    (HubHealth, {"ok": True, "version": "0.1.0", "time": NOW}),
    (accounts.LoginReply, {"token": "t", "expires_at": NOW, "refresh_token": "r",
        "refresh_expires_at": NOW, "user": {
        "id": 1, "username": "o1", "display_name": "王工", "role": "officer"}}),
    (accounts.EnrollReply, {"device_id": 3, "secret": "s", "point": {"id": 1, "name": "东湖"}}),
    (accounts.DeviceTokenReply, {"token": "t", "expires_at": NOW, "refresh_token": "r",
        "refresh_expires_at": NOW}),
    (accounts.TokenPair, {"token": "t", "expires_at": NOW, "refresh_token": "r",
        "refresh_expires_at": NOW}),
    (accounts.Done, {"ok": True}),
    (accounts.PasswordReset, {"temporary_password": "x"}),
    (accounts.UserCreated, {"id": 3}),
    (accounts.UserList, [{"id": 1, "username": "o1", "display_name": "王工",
        "role": "officer", "active": True, "lines": ["*"], "must_change_password": False,
        "created_at": NOW}]),
    (accounts.KioskList, [{"id": 1, "name": "一号机", "point": {"id": 1,
        "name": "东湖"}, "active": True, "enrolled_at": NOW, "last_seen_at": None}]),
    (sessions.SessionList, [SESSION_ROW]),
    (sessions.AuditPage, {"entries": [{"id": 1, "seq": 1, "at": NOW, "actor_kind": "user",
                           "actor_id": 2, "action": "session.start", "session_id": "abc",
                           "detail": {"ticket_id": 4}, "row_hash": "ab" * 32}],
                          "next_cursor": None}),
    (identity.MaskedIdentity, {
        "identity_id": 1, "source": "id_card", "card_type": "resident", "name": "张三",
        "english_name": None, "id_number": "110101********1234", "gender": "1",
        "gender_name": "男", "nation": "汉", "age": 36, "valid_from": "2020-01-01",
        "valid_to": None, "long_term": True, "expired": False, "has_photo": True}),
    (identity.RevealedIdentity,
     {"identity_id": 1, "name": "张三", "id_number": "11010119900101123X"}),
    (documents.DocumentReply, {
        "document_id": "a" * 32, "session_id": "abc", "kind": "receipt", "title": "受理回执",
        "paper": "A5", "pages": 1, "sha256": "b" * 64, "status": "issued", "signed_at": None,
        "signed_sha256": None, "unsigned_reason": None}),
    (documents.DocumentDetail, {
        "document_id": "a" * 32, "session_id": "abc", "kind": "form", "title": "申请表",
        "paper": "A4", "pages": 1, "sha256": "b" * 64, "status": "signed", "signed_at": NOW,
        "signed_sha256": "c" * 64, "unsigned_reason": None,
        "signature_fields": [{"name": "applicant", "label": "申请人", "page": 0,
                              "box": [56.0, 90.5, 200.0, 60.0]}]}),
    (materials.MaterialStored, {"material_id": 7, "page_no": 1, "duplicate": False}),
    (materials.MaterialList, [{"material_id": 7, "page_no": 1, "sha256": "d" * 64, "width": 640,
                               "height": 480, "size_bytes": 12345, "command_id": None,
                               "created_at": NOW}]),
    (cases.CaseList, [CASE_SUMMARY]),
    (cases.CaseDetail, {**CASE_SUMMARY, "identity": {"name": "张三", "id_number": "110101***"},
                        "events": [{"at": NOW, "kind": "note", "actor_kind": "user",
                                    "actor_id": 2, "detail": {"text": "补交"}}]}),
    (cases.Progress, {
        "case_no": "SL20261122-000001", "state": "accepted", "approval_state": "pending",
        "matter_name": "低保申请", "matter_name_en": None, "line_name": "民政",
        "opened_at": NOW, "closed_at": NOW,
        "timeline": [{"at": NOW, "kind": "opened", "state": None}],
        "originals": [{"code": "LZ-1", "state": "at_point", "since": NOW, "items": ["原件"],
                       "overdue": False}]}),
    (routing.OfficerList, [{"id": 2, "display_name": "王工", "lines": ["civil"],
                            "role": "officer", "online": True, "busy": False}]),
    (routing.LinesReply, {"user_id": 2, "lines": ["civil"]}),
    (routing.LineList, [{"code": "civil", "name": "民政", "name_en": "Civil affairs"}]),
    (routing.TransferTargets, {"line": "civil", "officers": [
        {"id": 3, "display_name": "李工", "lines": ["*"]}],
        "lines": [{"code": "civil", "name": "民政", "name_en": None}]}),
    (callback_models.CallbackCreated, {"id": 1, "phone_masked": "138****5678"}),
    (callback_models.CallbacksReply, {"callbacks": [{
        "id": 1, "point_name": "东湖", "matter_code": "civil.dbsq", "matter_name": "低保申请",
        "created_at": NOW, "phone_masked": "138****5678", "note": "", "state": "done",
        "done_at": NOW, "done_note": "已回电"}]}),
    (callback_models.CallbackPhone, {"id": 1, "phone": "13812345678"}),
    (callback_models.CallbackClosed, {"id": 1, "state": "done"}),
    (rating.RatingGiven, {"rating_id": 1, "level": 1, "case_id": 3,
                          "rectification": {"id": 2, "deadline": DAY}}),
    (rating.SessionRating, {"rating_id": 1, "level": 1, "reasons": ["attitude"], "helper": None,
                            "at": NOW, "rectification_id": 2, "rectification_state": "open"}),
    (rating.RatingList, [{"session_id": "abc", "case_id": None, "level": 5, "reasons": [],
                          "at": NOW}]),
    (rating.ContactRecorded, {"case_id": 3, "case_no": "SL20261122-000001",
                              "phone": "138****5678"}),
    (rating.FollowUpList, [{"follow_up_id": 1, "session_id": "abc", "case_id": 3,
                            "channel": "none", "state": "no_contact", "source": "kiosk",
                            "created_at": NOW}]),
    (rating.RectificationList, [{
        "id": 2, "session_id": "abc", "case_id": 3, "case_no": "SL20261122-000001", "level": 1,
        "reasons": ["attitude"], "officer_id": 2, "officer_name": "王工", "helper": None,
        "opened_at": NOW, "deadline": DAY, "workdays_left": 15, "state": "open",
        "overdue": False, "closed_by": None, "closed_at": None, "callback_at": None,
        "callback_note": None}]),
    (circulation.CirculationList, [CIRCULATION]),
    (circulation.CirculationDetail, {**CIRCULATION, "hops": [
        {"hop": "at_point", "at": NOW, "by_kind": "device", "by_id": 3, "note": ""}]}),
    (circulation.CirculationConflict, {
        "code": "conflict", "message": "out of order: LZ-1 is issued, next is at_point",
        "state": "issued", "expected": "at_point"}),
    (reports.Report, {"from": DAY, "to": DAY, "by": "day", "scope": "all", "rows": [FIGURES],
                      "total": {**FIGURES, "key": "total", "label": "合计"}}),
    (catalogue.CatalogueReply, {"version_id": 1, "label": "2026.11-sample",
                                "catalogue": load_sample().model_dump(mode="json")}),
    (catalogue.CatalogueVersions, {"versions": [{
        "id": 1, "label": "2026.11-sample", "sha256": "e" * 64, "format": "json",
        "imported_at": NOW, "imported_by": None, "activated_at": NOW, "current": True,
        "matters": 50}]}),
    (catalogue.CatalogueImportReply, {
        "ok": True, "dry_run": True, "version_id": None, "created": False,
        "diff": {"old_version": "a", "new_version": "b", "lines_added": [],
                 "lines_removed": [], "lines_changed": [], "matters_added": ["x"],
                 "matters_removed": [], "matters_changed": [{"code": "y", "fields": ["name"]}]},
        "summary": "a -> b: matters +1 ~1", "problems": []}),
    (catalogue.CatalogueImportReply, {
        "ok": False, "code": "bad_message", "message": "the catalogue has 1 problem(s)",
        "problems": [{"message": "not a boolean", "row": 3, "field": "remote"}]}),
    (health.HealthReceipt, {"report_id": 1, "failed": ["printer"], "work_orders_opened": [5]}),
    (health.LatestHealth, {"kiosk_id": 2, "received_at": NOW, "report": HEALTH_REPORT}),
    (health.LatestHealth, {"kiosk_id": 2, "received_at": None, "report": None}),
    (health.StoredHealthReportList, [{"id": 1, "received_at": NOW, "failed": ["printer"],
                             "report": HEALTH_REPORT}]),
    (fleet.KioskService, {"point": {"id": 1, "name": "东湖"}, "open_now": False,
                          "hours_today": [["09:00", "12:00"], ["13:30", "24:00"]],
                          "next_open": NOW, "closed": False}),
    (fleet.PointVersionList, [POINT_VERSION]),
    (fleet.HourRuleList, [{"id": 1, "kind": "closed", "weekday": None, "day": DAY,
                           "opens": None, "closes": None, "note": "国庆"}]),
    (fleet.HoursDeleted, {"deleted": True}),
    (fleet.DayHoursList, [{"date": DAY, "open": [["09:00", "17:00"]]}]),
    (fleet.DeviceList, [{"id": 1, "kind": "printer", "model": "HP", "serial": "CN1",
                         "point_id": 1, "history": [{"point_id": 1, "installed_at": NOW,
                                                     "removed_at": None}]}]),
    (fleet.InspectionList, [{"id": 1, "point_id": 1, "point_name": "东湖", "title": "巡检",
                             "checklist": ["屏幕"], "due_on": DAY, "overdue": True,
                             "done_at": None, "done_by": None, "results": {}, "note": ""}]),
    (fleet.WorkOrderList, [WORK_ORDER]),
    (fleet.OverviewList, [{**POINT_VERSION, "kiosks": [
        {"id": 2, "name": "一号机", "online": False, "since": NOW, "failed": ["printer"],
         "report_at": NOW}], "offline_since": NOW, "failed_parts": ["printer"],
        "open_orders": 1}]),
    (fleet.PointFeatureCollection, {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": 1,
        "geometry": {"type": "Point", "coordinates": [120.1, 30.2]},
        "properties": {"name": "东湖", "kind": "committee", "address": "", "sub_district": "",
                       "contact": "", "hours": [{"date": DAY, "open": [["00:00", "24:00"]]}]}}]}),
]  # fmt: skip


def _with_unknown_key(data: Any) -> Any:
    """`data` with one unknown key in its first object (the reply itself or its first row)."""
    if isinstance(data, list):
        return [_with_unknown_key(data[0]), *data[1:]]
    return {**data, "surprise": 1}


@pytest.mark.parametrize(
    ("model", "example"),
    REPLIES,
    ids=[f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}-{i}" for i, (m, _) in enumerate(REPLIES)],
)
def test_reply_accepts_the_hubs_shape_and_refuses_an_unknown_key(
    model: type[BaseModel], example: Any
) -> None:
    parsed = model.model_validate(example)
    assert model.model_validate(parsed.model_dump(mode="json", by_alias=True)) == parsed
    with pytest.raises(ValidationError):
        model.model_validate(_with_unknown_key(example))


def test_reply_times_and_days_are_read_from_the_hubs_text() -> None:
    row = sessions.SessionList.model_validate([SESSION_ROW]).root[0]
    assert row.started_at == dt.datetime(2026, 11, 22, 8, 30, 0, 123456, tzinfo=dt.UTC)
    assert row.started_at.isoformat() == NOW  # the text the hub sent, back again
    report = reports.Report.model_validate(
        {"from": DAY, "to": DAY, "by": "line", "scope": "own", "rows": [], "total": FIGURES}
    )
    assert report.from_ == dt.date(2026, 11, 22) and report.total.ratings["5"] == 1
    with pytest.raises(ValidationError):
        sessions.SessionList.model_validate([{**SESSION_ROW, "started_at": "yesterday"}])


# --- the bodies' conventions ----------------------------------------------------------------


def _protocol_bodies() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in PROTOCOL_MODULES:
        for name, value in vars(module).items():
            if (
                isinstance(value, type) and issubclass(value, BaseModel)
                and name.endswith("Body") and not name.startswith("_")
                and value.__module__ == module.__name__
            ):  # fmt: skip
                assert name not in found, f"{name} is defined twice in shared.protocol"
                found[name] = value
    return found


def test_every_protocol_body_names_its_route() -> None:
    for name, model in _protocol_bodies().items():
        doc = model.__doc__ or ""
        assert "/api/v1/" in doc, f"{name}: the docstring names no route"


def test_json_lists_are_root_models_named_list() -> None:
    """The convention of `shared.protocol.http`: a reply that is a JSON list is `XList`."""
    for module in PROTOCOL_MODULES:
        for name, value in vars(module).items():
            if not (
                isinstance(value, type) and issubclass(value, BaseModel)
                and value.__module__ == module.__name__ and name.isidentifier()
            ):  # fmt: skip
                continue
            is_list = issubclass(value, RootModel) and str(
                value.model_fields["root"].annotation
            ).startswith("list[")
            assert is_list == name.endswith("List"), f"{module.__name__}.{name}"
