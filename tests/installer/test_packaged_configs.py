"""The packaged kiosk.toml and console.toml: valid for the apps, and naming the devices the
udev rules create and the folders the package owns."""

from __future__ import annotations

import re
from pathlib import Path

from backoffice_console.config import load_console_config
from kiosk.config import load_kiosk_config

REPO = Path(__file__).resolve().parents[2]
SESSION = REPO / "installer" / "kiosk-session"


def _udev_names() -> set[str]:
    rules = (SESSION / "60-vw-kiosk.rules").read_text(encoding="utf-8")
    return {f"/dev/{name}" for name in re.findall(r'SYMLINK\+="([^"]+)"', rules)}


def test_kiosk_config_loads_and_uses_the_udev_names() -> None:
    config = load_kiosk_config(SESSION / "kiosk.toml", environ={})
    names = _udev_names()
    assert config.idcard.backend == "sam-serial" and config.idcard.port in names
    assert config.doccam.backend == "v4l2" and config.doccam.path in names
    assert config.camera.kind == "v4l2" and config.camera.path in names
    assert config.credential_file == Path("/var/lib/vw-kiosk/credential.json")
    assert config.state_dir == Path("/var/lib/vw-kiosk/state")
    assert config.log_dir is None  # the journal
    assert config.audio.input.device == "default" and config.audio.output.device == "default"


def test_console_config_loads() -> None:
    config = load_console_config(REPO / "installer" / "console" / "console.toml", environ={})
    assert config.ca_file == Path("/etc/vw-console/hub-ca.pem")
    assert config.audio.input.kind == "alsa" and config.audio.output.kind == "alsa"
