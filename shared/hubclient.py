"""Client side of the hub: the HTTP API and the websocket, for kiosk and console alike.

`HubClient` logs in (an officer with a password, a kiosk with its device
credential), opens the websocket, hands every hub message to a callback, and
keeps the connection up: after a drop it reconnects with backoff and logs in
again where it can. The access token is short; the client trades its refresh
token for a new one before it runs out (a kiosk falls back to its credential).
When the hub ends the log-in (logout, revocation, a disabled account or kiosk:
the close codes of `shared.protocol.accounts`), `ended` says why; an officer's
client then stops, a kiosk's tries again only after `REFUSED_RETRY_S`, so a
revoked kiosk never hammers the hub. Requests that expect an answer go through `request()`, which
matches the hub's `ack` or `error` to the request by its id.

Over HTTP the bodies and replies are the models of `shared.protocol` (see
`shared.protocol.http`): `request_json` builds a body, the caller validates the
reply with its model. A refusal arrives as `HubRequestError` whatever its shape.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from shared.protocol import (
    MAX_MESSAGE_BYTES,
    Ack,
    ErrorReply,
    ProtocolError,
    Welcome,
    decode_server_message,
    encode,
)
from shared.protocol.accounts import (
    CLOSE_ACCESS_REVOKED,
    CLOSE_SESSION_ENDED,
    DeviceTokenBody,
    DeviceTokenReply,
    EnrollBody,
    EnrollReply,
    LoginBody,
    LoginReply,
    PasswordChangeBody,
    RefreshBody,
    TokenPair,
)
from shared.protocol.http import ErrorBody, invalid_text, wire
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

ReplyT = TypeVar("ReplyT", bound=BaseModel)

MessageHandler = Callable[[Any], Awaitable[None]]
"""Receives each hub message (a `ServerMessage` model) that is not a reply."""

ConnectionHandler = Callable[[bool], Awaitable[None]]
"""Told True when the websocket is up (after `welcome`), False when it drops."""


class HubError(Exception):
    """Base of the errors the hub client raises."""


class HubUnavailable(HubError):
    """The hub could not be reached or dropped the connection."""


class HubAuthError(HubError):
    """The hub refused the credentials (wrong password, unknown device, expired token)."""


class HubRequestError(HubError):
    """The hub answered a request with an error reply."""

    def __init__(self, code: str, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.body = body or {}  # the whole reply: some errors carry details (a 409's state)


class HubReplyError(HubError):
    """The hub answered with a body its `shared.protocol` model refuses (another hub version?)."""


def request_json(model: type[BaseModel], /, **fields: Any) -> dict[str, Any]:
    """The JSON of the request body `model(**fields)`: only the fields given (`wire`).

    A value the model refuses raises `HubRequestError("bad_message")` before anything
    is sent: the answer the hub itself gives to such a body, so callers handle both alike.
    """
    try:
        return wire(model(**fields))
    except ValidationError as exc:
        raise HubRequestError("bad_message", invalid_text(exc)) from None


def parse_reply(model: type[ReplyT], data: Any, what: str) -> ReplyT:
    """`data` validated as `model`; raises `HubReplyError` naming `what` when it does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HubReplyError(
            f"the hub's answer to {what} is malformed: {invalid_text(exc)}"
        ) from None


def refusal(status: int, reason: str, body: Any) -> HubRequestError:
    """The error of an HTTP refusal: the hub's `ErrorBody`, or the bare status (a proxy's page).

    Some areas add keys to the body (circulation's 409 `state` and `expected`, the
    catalogue's `problems`); the caller reads them from `HubRequestError.body` with its
    area's model.
    """
    data = body if isinstance(body, dict) else {}
    try:
        error = ErrorBody.model_validate(
            {k: v for k, v in data.items() if k in ("code", "message")}
        )
    except ValidationError:
        return HubRequestError(str(data.get("code") or status), reason, data)
    return HubRequestError(error.code, error.message, data)


@dataclass(frozen=True)
class DeviceCredential:
    """What a kiosk keeps after enrolment; the secret is shown to the hub only to get tokens."""

    device_id: int
    secret: str

    def save(self, path: Path) -> None:
        """Write the credential to `path`, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"device_id": self.device_id, "secret": self.secret}))
        tmp.chmod(0o600)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> DeviceCredential:
        """Read a credential written by `save`."""
        data = json.loads(path.read_text())
        return cls(device_id=int(data["device_id"]), secret=str(data["secret"]))


@dataclass(frozen=True)
class _ConnectionChange:
    """Queued with the messages so handlers see connection changes in order."""

    up: bool


def _auth_message(body: Any) -> str:
    try:
        return ErrorBody.model_validate(body).message
    except ValidationError:
        return "not authorised"


def make_ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """TLS context that trusts the system CAs, or only `ca_file` when given."""
    if ca_file is None:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=str(ca_file))


class HubClient:
    """An authenticated client of one hub (see module docstring)."""

    RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)
    REFUSED_RETRY_S = 300.0
    """A kiosk whose credential the hub refuses (revoked, disabled) asks again this rarely."""

    def __init__(
        self,
        base_url: str,
        ca_file: Path | None,
        on_message: MessageHandler,
        on_connection: ConnectionHandler | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._ssl = make_ssl_context(ca_file) if base_url.startswith("https") else False
        self._on_message = on_message
        self._on_connection = on_connection
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._token: str | None = None
        self._tokens: TokenPair | None = None
        self._relogin: Callable[[], Awaitable[None]] | None = None
        self._renewing: asyncio.Lock = asyncio.Lock()
        self.ended: str | None = None
        """Why the hub ended this client's log-in (None while it holds)."""
        self._close_note = ""
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Ack]] = {}
        self._tasks = TaskKeeper("hubclient")
        # Handlers run one at a time, in arrival order, on their own task, so that
        # a handler may itself await `request()`: the reader keeps resolving acks.
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._closing = False
        self.welcome: Welcome | None = None

    # --- HTTP ----------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl),
                timeout=aiohttp.ClientTimeout(total=15),
            )
        return self._http

    async def _call(self, method: str, path: str, renew: bool = True, **kwargs: Any) -> Any:
        """One request; a refused token is renewed once (`renew`) and the request repeated."""
        try:
            return await self._call_once(method, path, dict(kwargs))
        except HubAuthError:
            if not renew or not self.can_renew:
                raise
            await self.renew()
            return await self._call_once(method, path, kwargs)

    async def _call_once(self, method: str, path: str, kwargs: dict[str, Any]) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            async with self._session().request(
                method, f"{self.base_url}{path}", headers=headers, **kwargs
            ) as resp:
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
                if resp.status == 401:
                    raise HubAuthError(_auth_message(body))
                if resp.status >= 400:
                    raise refusal(resp.status, resp.reason or "", body)
                return body
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise HubUnavailable(f"hub at {self.base_url} unreachable: {exc}") from exc

    async def get_json(self, path: str, **params: str) -> Any:
        """GET an API path (e.g. `/api/v1/sessions`) as the logged-in subject."""
        return await self._call("GET", path, params=params)

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        """POST JSON to an API path as the logged-in subject."""
        return await self._call("POST", path, json=payload)

    async def post_bytes(
        self, path: str, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> Any:
        """POST raw bytes (a page image) and return the JSON reply (a refused token is
        renewed once, like every request)."""
        return await self._call(
            "POST", path, data=data, headers={"Content-Type": content_type, **(headers or {})}
        )

    async def get_bytes(self, path: str) -> bytes:
        """GET a binary resource (a material's JPEG) as the logged-in subject."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with self._session().get(f"{self.base_url}{path}", headers=headers) as resp:
                if resp.status == 401:
                    raise HubAuthError("not authorised")
                if resp.status >= 400:
                    raise refusal(resp.status, "", await resp.json(content_type=None))
                return await resp.read()
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise HubUnavailable(f"hub at {self.base_url} unreachable: {exc}") from exc

    def _take(self, tokens: TokenPair) -> None:
        self._tokens, self._token, self.ended = tokens, tokens.token, None

    @property
    def can_renew(self) -> bool:
        """Whether a refused token can be renewed (a refresh token or a device credential)."""
        return self._tokens is not None or self._relogin is not None

    async def login_officer(
        self,
        username: str,
        password: str,
        new_password: str | None = None,
        totp_code: str | None = None,
    ) -> dict[str, Any]:
        """Log in with a password; returns the hub's description of the user (`UserInfo`).

        After an administrator's reset the hub answers `password_change_required`
        (`HubRequestError`): log in again with `new_password`.
        """
        self._token = self._tokens = None
        fields: dict[str, Any] = {"username": username, "password": password}
        if new_password is not None:
            fields["new_password"] = new_password
        if totp_code is not None:  # the account's second factor (`totp_required`)
            fields["totp_code"] = totp_code
        body = request_json(LoginBody, **fields)
        answer = await self._call("POST", "/api/v1/auth/login", renew=False, json=body)
        reply = parse_reply(LoginReply, answer, "the log-in")
        self._take(reply)
        return reply.user.model_dump(mode="json")

    async def renew(self) -> None:
        """A fresh access token: the refresh token, else (a kiosk) the device credential.

        Raises `HubAuthError` when the hub has ended the log-in and nothing else works.
        """
        async with self._renewing:
            tokens = self._tokens
            if tokens is not None:
                try:
                    body = request_json(RefreshBody, refresh_token=tokens.refresh_token)
                    answer = await self._call(
                        "POST", "/api/v1/auth/refresh", renew=False, json=body
                    )
                    self._take(parse_reply(TokenPair, answer, "the token refresh"))
                    return
                except HubAuthError:
                    self._tokens = None
                    if self._relogin is None:
                        raise
            if self._relogin is None:
                raise HubAuthError("no way to renew the token: log in again")
            await self._relogin()

    async def logout(self) -> None:
        """End this log-in at the hub (its tokens and sockets), then close the client."""
        try:
            await self._call("POST", "/api/v1/auth/logout", renew=False)
        finally:
            self.ended = "logged out"
            await self.close()

    async def change_password(self, old_password: str, new_password: str) -> None:
        """Change the logged-in user's password (other log-ins of the account end)."""
        body = request_json(
            PasswordChangeBody, old_password=old_password, new_password=new_password
        )
        await self._call("POST", "/api/v1/auth/password", json=body)

    async def login_device(self, credential: DeviceCredential) -> None:
        """Exchange a kiosk's device credential for a short-lived token.

        The credential is remembered, so a reconnect after the token expired
        logs in again by itself.
        """

        async def relogin() -> None:
            self._token = self._tokens = None
            body = request_json(
                DeviceTokenBody, device_id=credential.device_id, secret=credential.secret
            )
            answer = await self._call("POST", "/api/v1/devices/token", renew=False, json=body)
            self._take(parse_reply(DeviceTokenReply, answer, "the device log-in"))

        self._relogin = relogin
        await relogin()

    async def enroll(self, code: str, name: str) -> DeviceCredential:
        """Enrol this machine as a kiosk with a one-time code from an administrator."""
        body = request_json(EnrollBody, code=code, name=name)
        answer = await self._call("POST", "/api/v1/devices/enroll", renew=False, json=body)
        reply = parse_reply(EnrollReply, answer, "the enrolment")
        return DeviceCredential(device_id=reply.device_id, secret=reply.secret)

    # --- websocket -----------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the websocket is open and welcomed."""
        return self._ws is not None and not self._ws.closed and self.welcome is not None

    async def connect(self) -> Welcome:
        """Open the websocket once, wait for `welcome`, and start the reader.

        After this, a dropped connection is re-established in the background
        until `close()`.
        """
        welcome = await self._open()
        self._tasks.start(self._read_loop(), "reader")
        self._tasks.start(self._dispatch_loop(), "dispatcher")
        self._tasks.start(self._renew_loop(), "renewer")
        return welcome

    async def _renew_loop(self) -> None:
        """Refresh the access token a while before it runs out, for as long as it can."""
        while not self._closing:
            tokens = self._tokens
            if tokens is None:
                delay = 30.0  # a kiosk between log-ins, or an ended log-in: look again later
            else:
                left = (tokens.expires_at - datetime.now(UTC)).total_seconds()
                delay = max(1.0, left - min(60.0, max(left, 0.0) / 5))
            await asyncio.sleep(delay)
            if self._tokens is None or self.ended is not None:
                continue
            try:
                await self.renew()
            except HubAuthError as exc:
                log.warning("the hub would not renew this log-in: %s", exc)
            except HubError as exc:
                log.info("renewing the token failed, will retry: %s", exc)

    async def _open(self) -> Welcome:
        ws_url = self.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            ws = await self._session().ws_connect(
                f"{ws_url}/ws", headers=headers, heartbeat=10.0, max_msg_size=MAX_MESSAGE_BYTES
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                raise HubAuthError("the hub refused the credentials") from exc
            raise HubUnavailable(f"websocket refused: {exc.status}") from exc
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise HubUnavailable(f"hub at {self.base_url} unreachable: {exc}") from exc
        msg = await ws.receive(timeout=10)
        if msg.type != aiohttp.WSMsgType.TEXT:
            await ws.close()
            raise HubUnavailable("the hub closed the connection before welcoming")
        welcome = decode_server_message(msg.data)
        if not isinstance(welcome, Welcome):
            await ws.close()
            raise HubUnavailable(f"expected welcome, got {welcome.type}")
        self._ws, self.welcome = ws, welcome
        self._inbox.put_nowait(_ConnectionChange(up=True))
        return welcome

    async def _read_loop(self) -> None:
        while not self._closing:
            ws = self._ws
            code: int | None = None
            if ws is not None:
                await self._read(ws)
                code = ws.close_code
            if self._closing:
                return
            self.welcome = None
            self._fail_pending(HubUnavailable("connection to the hub lost"))
            if code in (CLOSE_ACCESS_REVOKED, CLOSE_SESSION_ENDED):
                self.ended = self._close_note or "log-in ended"
                log.warning("the hub ended this log-in (%s, %s)", code, self.ended)
            self._inbox.put_nowait(_ConnectionChange(up=False))
            if code == CLOSE_ACCESS_REVOKED or (code == CLOSE_SESSION_ENDED and not self.can_renew):
                if self._relogin is None:
                    return  # a person logs in again; the client does not
                await asyncio.sleep(self.REFUSED_RETRY_S)
            if not await self._reconnect():
                return

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._close_note = ""
        while True:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.CLOSE:
                # The hub's reason (why a log-in ended) comes only with the close frame.
                self._close_note = str(msg.extra or "")
                return
            if msg.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return
            if msg.type == aiohttp.WSMsgType.ERROR:
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                message = decode_server_message(msg.data)
            except ProtocolError as exc:
                log.warning("ignored a malformed hub message: %s", exc.message)
                continue
            if isinstance(message, Ack | ErrorReply) and message.re in self._pending:
                future = self._pending.pop(message.re)
                if not future.done():
                    if isinstance(message, Ack):
                        future.set_result(message)
                    else:
                        future.set_exception(HubRequestError(message.code, message.message))
                continue
            if isinstance(message, ErrorReply):
                log.warning("hub error: %s %s", message.code, message.message)
            self._inbox.put_nowait(message)

    async def _dispatch_loop(self) -> None:
        while True:
            item = await self._inbox.get()
            try:
                if isinstance(item, _ConnectionChange):
                    if self._on_connection is not None:
                        await self._on_connection(item.up)
                else:
                    await self._on_message(item)
            except Exception:
                log.exception("handling %s failed", item)

    async def _reconnect(self) -> bool:
        """Open the websocket again; False when giving up (closing, or a person must log in)."""
        for attempt in itertools.count():
            if self._closing:
                return False
            await asyncio.sleep(self.RECONNECT_DELAYS[min(attempt, len(self.RECONNECT_DELAYS) - 1)])
            try:
                try:
                    await self._open()
                except HubAuthError:
                    if not self.can_renew:
                        raise
                    await self.renew()
                    await self._open()
                log.info("reconnected to the hub")
                self.ended = None
                return True
            except HubAuthError as exc:
                log.error("the hub no longer accepts this client's credentials: %s", exc)
                self.ended = self.ended or "credentials refused"
                if self._relogin is None:
                    return False  # an officer's log-in has ended: a person must log in again
                await asyncio.sleep(self.REFUSED_RETRY_S)
            except (HubError, ProtocolError) as exc:
                log.info("hub still unreachable (%s)", exc)
        return False  # the loop above only ends by returning

    def _fail_pending(self, exc: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()

    async def send(self, message: BaseModel) -> None:
        """Send a message without waiting for an answer; raises HubUnavailable when offline."""
        ws = self._ws
        if ws is None or ws.closed:
            raise HubUnavailable("not connected to the hub")
        try:
            await ws.send_str(encode(message))
        except (aiohttp.ClientConnectionError, ConnectionResetError) as exc:
            raise HubUnavailable(str(exc)) from exc

    async def request(self, message: BaseModel, timeout: float = 10.0) -> Ack:
        """Send a request and wait for its `ack`; an `error` reply raises HubRequestError."""
        request_id = f"r{next(self._ids)}"
        message = message.model_copy(update={"id": request_id})
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.send(message)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise HubUnavailable(f"no answer from the hub to {message.type}") from None  # type: ignore[attr-defined]
        finally:
            self._pending.pop(request_id, None)

    async def close(self) -> None:
        """Close the websocket and the HTTP session; stops reconnecting."""
        self._closing = True
        await self._tasks.cancel_all()
        self._fail_pending(HubUnavailable("client closed"))
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
