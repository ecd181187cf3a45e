"""The hub's settings: one TOML file (`hub.toml`) with `VW_HUB__...` environment overrides."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.config import load_config
from shared.protocol import IceServer

ENV_PREFIX = "VW_HUB"


class HubConfig(BaseModel):
    """Everything that deploys a hub. Relative paths are resolved against `config_dir`."""

    model_config = ConfigDict(extra="forbid")

    config_dir: Path = Path(".")
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8443, ge=0, le=65535)
    tls: bool = True
    tls_cert: Path = Path("tls/server.pem")
    tls_key: Path = Path("tls/server.key")
    identity_key_file: Path = Path("keys/identity.key")
    """AES-256 key (base64) for identities at rest; `vw-hub init` creates it, mode 600."""
    database_url: str | None = None
    ice_servers: list[IceServer] = Field(default_factory=list)
    officer_token_ttl_s: int = Field(default=12 * 3600, ge=60)
    """How long a user's log-in lasts at most (its refresh token's absolute end)."""
    access_token_ttl_s: int = Field(default=900, ge=30)
    """A user's access token; the client refreshes it before it runs out."""
    device_token_ttl_s: int = Field(default=3600, ge=60)
    """A kiosk's access token."""
    device_login_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    """How long a kiosk's log-in lasts at most; then it logs in again with its secret."""
    session_recheck_s: float = Field(default=30.0, gt=0)
    """Every socket's log-in (expiry, revocation, disabled account) is re-checked this often."""
    password_min_length: int = Field(default=10, ge=8, le=128)
    log_dir: Path | None = Path("log")
    log_level: str = "INFO"
    heartbeat_s: float = Field(default=20.0, gt=0)
    login_failures_allowed: int = Field(default=5, ge=1)
    login_failure_window_s: float = Field(default=300.0, gt=0)
    sms_outbox: Path = Path("var/sms-outbox.jsonl")
    """File SMS gateway's outbox (JSON lines; relative to config_dir)."""
    rating_followup_min: float = Field(default=30.0, gt=0)
    """A session ended this long ago without a rating gets a follow-up."""
    circulation_hop_workdays: dict[str, int] = Field(default_factory=dict)
    """Overrides of the working days originals may stay in one state (`hub/circulation.py`)."""
    priority_ratio: int = Field(default=3, ge=1)
    """Routing: after this many priority (70+/assistance) takes in a row, a normal ticket."""
    overdue_after_s: float = Field(default=900.0, gt=0)
    """Routing: a ticket waiting longer than this is flagged overdue (and audited once)."""
    max_pages_per_session: int = Field(default=200, ge=1)
    """Pages one session may hold; more are refused (`too_many_pages`)."""
    image_workers: int = Field(default=1, ge=1, le=32)
    """Threads decoding and re-encoding uploaded pages (each also uses OpenCV's own threads)."""
    image_queue: int = Field(default=8, ge=0)
    """Uploads that may wait for an image worker; past that the hub answers rate_limited."""
    check_replies: bool = False
    """Validate every JSON reply against its declared model; for tests and staging."""

    @model_validator(mode="after")
    def _resolve_paths(self) -> HubConfig:
        base = self.config_dir.resolve()
        self.config_dir = base
        self.tls_cert = base / self.tls_cert
        self.tls_key = base / self.tls_key
        self.identity_key_file = base / self.identity_key_file
        if self.log_dir is not None:
            self.log_dir = base / self.log_dir
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{base / 'hub.sqlite3'}"
        return self

    @property
    def db_url(self) -> str:
        """The database URL, always set after validation."""
        assert self.database_url is not None
        return self.database_url


def load_hub_config(path: Path | None, environ: dict[str, str] | None = None) -> HubConfig:
    """Read `hub.toml` (and `VW_HUB__KEY` overrides); raises `shared.config.ConfigError`."""
    return load_config(HubConfig, path, ENV_PREFIX, environ)


def render_config(port: int, hostnames: list[str]) -> str:
    """The `hub.toml` that `vw-hub init` writes."""
    names = ", ".join(f'"{h}"' for h in hostnames)
    return (
        "# Remote Virtual Window hub settings (paths are relative to this file).\n"
        f"# Server certificate names: localhost, 127.0.0.1, ::1{', ' + names if names else ''}\n"
        'listen_host = "127.0.0.1"\n'
        f"listen_port = {port}\n"
        'tls_cert = "tls/server.pem"\n'
        'tls_key = "tls/server.key"\n'
        "# AES-256-GCM key for personal data at rest (created by init, mode 600; back it up)\n"
        'identity_key_file = "keys/identity.key"\n'
        "# database_url defaults to sqlite+aiosqlite:///<this folder>/hub.sqlite3\n"
        '# ice_servers = [{ urls = ["turn:t.example:3478"], username = "u", credential = "p" }]\n'
        "ice_servers = []\n"
        "officer_token_ttl_s = 43200\n"
        "device_token_ttl_s = 3600\n"
        'log_dir = "log"\n'
    )
