"""Progress look-up at a kiosk and the receipt's QR code, through a real hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.hubclient import HubRequestError
from shared.protocol import IdentityReport
from tests.hub.cases.test_routes import call, in_case
from tests.shared.documents.test_render import _png, _qr_texts
from tests.support.hub_fixtures import WAIT, HubHarness, Peer
from tests.support.identity_samples import VALID_NUMBER, record

LAST4 = VALID_NUMBER[-4:]


async def ask(kiosk: Peer, case_no: str, last4: str) -> dict[str, object] | str:
    """The progress answer, or the error code."""
    try:
        body = {"case_no": case_no, "last4": last4}
        return dict(await asyncio.wait_for(kiosk.client.post_json("/api/v1/progress", body), WAIT))
    except HubRequestError as exc:
        return exc.code


async def with_identity(hub: HubHarness, name: str = "o1") -> tuple[Peer, Peer, str, str]:
    officer, kiosk, sid, updated, _ = await in_case(hub, name)
    report = IdentityReport(session_id=sid, record=record().to_dict())
    await asyncio.wait_for(kiosk.client.request(report), WAIT)
    await officer.skip_to("identity.update")
    return officer, kiosk, sid, updated.case_no


async def test_progress_right_wrong_unknown_and_rate_limited(hub: HubHarness) -> None:
    officer, kiosk, _sid, case_no = await with_identity(hub)
    outcome = f"/api/v1/cases/{case_no}/outcome"
    await call(officer, "POST", outcome, {"state": "accepted"})
    await call(officer, "POST", f"/api/v1/cases/{case_no}/notes", {"text": "内部备注"})

    other = await hub.kiosk("K-other")
    answer = await ask(other, case_no, LAST4)  # any kiosk, not only the one of the call
    assert isinstance(answer, dict)
    assert answer["state"] == "accepted" and answer["approval_state"] == "pending"
    assert answer["matter_name"] == "低保申请" and answer["case_no"] == case_no
    timeline = answer["timeline"]
    assert isinstance(timeline, list)
    assert [(t["kind"], t["state"]) for t in timeline] == [
        ("opened", None),
        ("outcome", "accepted"),
    ]
    assert "内部备注" not in str(answer) and "note" not in str(answer)  # public kinds only

    # Unknown case and wrong digits: the same answer (no oracle); malformed input: 400.
    wrong = "0000" if LAST4 != "0000" else "1111"
    assert await ask(other, "SL20990101-999999", LAST4) == "not_found"
    assert await ask(other, case_no, wrong) == "not_found"
    for bad in ("12", "abcd", "12345"):
        assert await ask(other, case_no, bad) == "bad_message"
    assert await ask(other, "bad case/no", LAST4) == "bad_message"
    # Officers cannot use the kiosk look-up.
    with pytest.raises(HubRequestError) as err:
        await officer.client.post_json("/api/v1/progress", {"case_no": case_no, "last4": LAST4})
    assert err.value.code == "forbidden"

    # Five wrong tries for one case in the window: even the right digits are refused now,
    # from any kiosk; other cases are still answered.
    third = await hub.kiosk("K-third")
    for _ in range(4):
        assert await ask(third, case_no, wrong) == "not_found"
    assert await ask(third, case_no, LAST4) == "rate_limited"
    assert await ask(kiosk, case_no, LAST4) == "rate_limited"
    _, _, _, case2 = await with_identity(hub, "o2")
    assert isinstance(await ask(third, case2, LAST4), dict)
    actions = [e["action"] for e in await hub.hub.core.audit.entries(None)]
    assert actions.count("progress.failed") == 6 and actions.count("progress.read") == 2

    # One kiosk spraying case numbers is stopped too (per-kiosk limit), others are not.
    sprayer = await hub.kiosk("K-spray")
    for n in range(20):
        assert await ask(sprayer, f"SL20990101-{n:06d}", LAST4) == "not_found"
    assert await ask(sprayer, case2, LAST4) == "rate_limited"
    assert isinstance(await ask(third, case2, LAST4), dict)


async def test_receipt_qr_carries_the_case_number(hub: HubHarness, tmp_path: Path) -> None:
    officer, kiosk, sid, case_no = await with_identity(hub)
    doc = await asyncio.wait_for(
        officer.client.post_json(f"/api/v1/sessions/{sid}/documents", {"kind": "receipt"}), WAIT
    )
    pdf = await asyncio.wait_for(
        kiosk.client.get_bytes(f"/api/v1/documents/{doc['document_id']}.pdf"), WAIT
    )
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    image = await asyncio.to_thread(_png, path, tmp_path / "receipt.png")
    assert f"RVW-CASE:{case_no}" in _qr_texts(image)
