"""The wire codec: every malformed input gets a precise ProtocolError, valid ones round-trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.protocol import (
    MAX_MESSAGE_BYTES,
    ErrorCode,
    IceServer,
    ProtocolError,
    QueueSnapshot,
    RtcOffer,
    SessionStarted,
    TicketInfo,
    TicketTake,
    decode_client_message,
    decode_server_message,
    encode,
)


def test_client_message_round_trip() -> None:
    offer = RtcOffer(id="r1", session_id="abc_DEF-1", sdp="v=0\r\n")
    assert decode_client_message(encode(offer)) == offer


def test_server_message_round_trip() -> None:
    started = SessionStarted(
        session_id="s1",
        ticket_id=4,
        offerer=True,
        peer_name="王工 (1001)",
        ice_servers=[IceServer(urls=["turn:turn.example:3478"], username="u", credential="p")],
    )
    assert decode_server_message(encode(started)) == started
    snapshot = QueueSnapshot(
        tickets=[
            TicketInfo(
                ticket_id=1,
                point_name="东湖社区居委会",
                kiosk_name="一号机",
                waiting_since=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
            )
        ]
    )
    assert decode_server_message(encode(snapshot)) == snapshot


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", ErrorCode.BAD_JSON),
        (b"\xff\xfe{}", ErrorCode.BAD_JSON),
        ("[1, 2]", ErrorCode.BAD_MESSAGE),
        ('{"type": "launch.rockets"}', ErrorCode.UNKNOWN_TYPE),
        ('{"ticket_id": 1}', ErrorCode.UNKNOWN_TYPE),
        ('{"type": "ticket.take", "ticket_id": 1, "v": 2}', ErrorCode.UNSUPPORTED_VERSION),
        ('{"type": "ticket.take"}', ErrorCode.BAD_MESSAGE),
        ('{"type": "ticket.take", "ticket_id": 0}', ErrorCode.BAD_MESSAGE),
        ('{"type": "ticket.take", "ticket_id": 1, "extra": true}', ErrorCode.BAD_MESSAGE),
        ('{"type": "rtc.offer", "session_id": "../../etc", "sdp": "x"}', ErrorCode.BAD_MESSAGE),
        ('{"type": "welcome"}', ErrorCode.UNKNOWN_TYPE),  # a server message sent by a client
    ],
)
def test_malformed_client_messages(text: str | bytes, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client_message(text)
    assert info.value.code == code
    assert len(info.value.message) <= 200


def test_error_keeps_request_id_when_readable() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client_message('{"type": "ticket.take", "id": "r7", "ticket_id": "x"}')
    assert info.value.request_id == "r7"
    assert "ticket_id" in info.value.message


def test_oversized_message_is_refused_before_parsing() -> None:
    sdp = "a" * MAX_MESSAGE_BYTES
    text = json.dumps({"type": "rtc.offer", "session_id": "s", "sdp": sdp})
    with pytest.raises(ProtocolError) as info:
        decode_client_message(text)
    assert info.value.code == ErrorCode.TOO_LARGE


def test_sdp_length_is_bounded() -> None:
    text = json.dumps({"type": "rtc.offer", "session_id": "s", "sdp": "a" * 40_000})
    with pytest.raises(ProtocolError) as info:
        decode_client_message(text)
    assert info.value.code == ErrorCode.BAD_MESSAGE


def test_encode_omits_absent_optionals() -> None:
    assert json.loads(encode(TicketTake(ticket_id=3))) == {
        "v": 1,
        "type": "ticket.take",
        "ticket_id": 3,
    }
