"""The wire protocol between kiosks, consoles and the hub.

Every message is a versioned, strictly validated model; `codec` turns text into
models and back. Nothing outside this package builds message dictionaries by hand.
"""

from shared.protocol.codec import (
    MAX_MESSAGE_BYTES,
    ProtocolError,
    decode_client_message,
    decode_server_message,
    encode,
)
from shared.protocol.messages import (
    PROTOCOL_VERSION,
    Ack,
    CallState,
    CallStateReport,
    ClientMessage,
    ErrorCode,
    ErrorReply,
    IceServer,
    QueueJoin,
    QueueLeave,
    QueueSnapshot,
    QueueStatus,
    Role,
    RtcAnswer,
    RtcOffer,
    ServerMessage,
    SessionEnd,
    SessionEnded,
    SessionStarted,
    TicketInfo,
    TicketTake,
    Welcome,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "Ack",
    "CallState",
    "CallStateReport",
    "ClientMessage",
    "ErrorCode",
    "ErrorReply",
    "IceServer",
    "ProtocolError",
    "QueueJoin",
    "QueueLeave",
    "QueueSnapshot",
    "QueueStatus",
    "Role",
    "RtcAnswer",
    "RtcOffer",
    "ServerMessage",
    "SessionEnd",
    "SessionEnded",
    "SessionStarted",
    "TicketInfo",
    "TicketTake",
    "Welcome",
    "decode_client_message",
    "decode_server_message",
    "encode",
]
