"""The one error type the hub's services raise; websocket and HTTP layers translate it."""

from __future__ import annotations

from shared.protocol import ErrorCode

HTTP_STATUS = {
    ErrorCode.BAD_JSON: 400,
    ErrorCode.BAD_MESSAGE: 400,
    ErrorCode.UNKNOWN_TYPE: 400,
    ErrorCode.UNSUPPORTED_VERSION: 400,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.NOT_IN_SESSION: 409,
    ErrorCode.BAD_STATE: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INVALID_IDENTITY: 422,
    ErrorCode.INVALID_IMAGE: 422,
    ErrorCode.WEAK_PASSWORD: 422,
    ErrorCode.PASSWORD_CHANGE_REQUIRED: 403,
    ErrorCode.TOTP_REQUIRED: 403,
    ErrorCode.INTERNAL: 500,
}


class HubError(Exception):
    """A refused request: `code` is sent to the client with `message` (no personal data)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        """The HTTP status the API answers this error with."""
        return HTTP_STATUS.get(self.code, 400)


class Unauthorized(Exception):
    """Missing, unknown or expired credentials (HTTP 401)."""

    def __init__(self, message: str = "not authorised") -> None:
        super().__init__(message)
        self.message = message
