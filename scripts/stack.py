"""The whole system on one machine: a hub, kiosks and consoles as child processes.

Used by `make demo` and by the end-to-end tests, so the demo and the tests start
the system the same way a deployment does: `vw-hub init`, an officer account,
a one-time enrolment code, `vw-kiosk enroll`, then the three processes with
their own configuration files. All traffic stays on loopback.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

DEMO_OFFICER = ("officer1", "王晓明", "demo-officer-password")
DEMO_ADMIN = ("admin1", "李建国", "demo-admin-password")
"""Opens the console's 报表 and 设备运维 tabs after the tour's call (an officer sees no fleet)."""
DEMO_MATTER = "civil.gljt"
"""高龄老人津贴申领: the tour's matter; it needs every device the demo kiosk has."""
DEMO_HELPER = "社区工作人员 张丽"
DEMO_PIN = "2468"
"""The demo kiosk's technician PIN (its sha256 goes into the config, never the PIN)."""
DEMO_POINT = "东湖街道东湖社区居委会"
KIOSK_TONE_HZ = 440.0
CONSOLE_TONE_HZ = 880.0
HEARD_WAV = "heard.wav"
"""With `Stack.audio`, each kiosk and console records what it hears here, in its own folder."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def offscreen_platform(folder: Path, width: int = 1280, height: int = 720) -> str:
    """A QT_QPA_PLATFORM value giving two virtual screens, "face" and "touch"."""
    screens = [
        {"name": name, "x": i * width, "y": 0, "width": width, "height": height,
         "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
        for i, name in enumerate(("face", "touch"))
    ]  # fmt: skip
    path = folder / "screens.json"
    path.write_text(json.dumps({"screens": screens}))
    return f"offscreen:configfile={path}"


@dataclass
class Child:
    """A running process of the stack and where its output goes."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def stop(self, timeout: float = 20.0) -> int:
        """Ask the process to stop (SIGTERM) and return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.log_file.close()
        return code

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; kill it after `timeout` (returns -9)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.log_file.close()
        return code


@dataclass
class Stack:
    """Lays out and runs hub, kiosk and console under `root` (see module docstring)."""

    root: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    python: str = sys.executable
    port: int = 0
    prefix: list[str] = field(default_factory=list)
    """Put before every command, e.g. `ip netns exec NS` to run the stack in a namespace."""
    children: list[Child] = field(default_factory=list)
    audio: bool = False
    """Give kiosks a 440 Hz and consoles an 880 Hz tone as microphone, and a WAV file
    (`heard_wav(name)`) as loudspeaker; off: no audio, as on a machine without a sound card."""

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def hub_config(self) -> Path:
        return self.hub_dir / "hub.toml"

    @property
    def hub_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.hub_dir / "tls" / "ca.pem"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def _run(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [*self.prefix, self.python, "-m", *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:3])} failed ({result.returncode}): "
                f"{result.stderr.decode()[-2000:]}"
            )
        return result.stdout.decode()

    def _hub_cli(self, *args: str, stdin: str | None = None) -> str:
        return self._run(
            "backoffice_console.hub", "--config", str(self.hub_config), *args, stdin=stdin
        )

    def _spawn(self, name: str, *args: str) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.out"
        log_file = log_path.open("ab")
        proc = subprocess.Popen(
            [*self.prefix, self.python, "-m", *args],
            stdout=subprocess.PIPE if name == "hub" else log_file,
            stderr=log_file,
            env=self.env,
        )
        child = Child(name, proc, log_path, log_file)
        self.children.append(child)
        return child

    def init_hub(self) -> None:
        """Initialise the hub's folder, database and TLS, and the demo officer (idempotent)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port()
        self._run(
            "backoffice_console.hub", "init", "--dir", str(self.hub_dir), "--port", str(self.port)
        )
        for (username, display_name, password), role in (
            (DEMO_OFFICER, "officer"),
            (DEMO_ADMIN, "admin"),
        ):
            marker = self.hub_dir / f".{username}-created"
            if role == "officer" and (self.hub_dir / ".officer-created").exists():
                continue  # a hub folder from before the admin existed
            if marker.exists():
                continue
            password_file = self.hub_dir / f"{username}.password"
            password_file.write_text(password)
            password_file.chmod(0o600)
            self._hub_cli(
                "add-user", "--username", username, "--display-name", display_name,
                "--role", role, "--password-file", str(password_file),
            )  # fmt: skip
            marker.touch()

    def start_hub(self, timeout: float = 60.0) -> Child:
        """Start `vw-hub serve` and wait for its "listening on" line."""
        child = self._spawn("hub", "backoffice_console.hub", "--config", str(self.hub_config),
                            "serve", "--port", str(self.port))  # fmt: skip
        assert child.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = child.proc.stdout.readline().decode()
            if not line:
                raise RuntimeError(f"hub exited early; see {child.log_path}")
            child.log_file.write(line.encode())
            if line.startswith("listening on "):
                # Keep draining stdout so the hub never blocks on a full pipe.
                _drain_in_background(child)
                return child
        raise RuntimeError("hub did not start listening in time")

    def _client_sections(self, camera_label: str) -> str:
        """The parts of a kiosk's and a console's config that are the same: hub, camera, rtc, ui."""
        return f"""[hub]
url = "{self.hub_url}"
ca_file = "{self.ca_file}"

[camera]
kind = "synthetic"
width = 320
height = 240
fps = 15
label = "{camera_label}"

[rtc]
loopback = true

[ui]
language = "zh_CN"
"""

    def _audio_section(self, tone_hz: float) -> str:
        """The `[audio]` section: a tone in, a WAV file out; empty unless `audio` is set."""
        if not self.audio:
            return ""
        return f"""
[audio]
input = {{kind = "tone", frequency = {tone_hz}}}
output = {{kind = "wav", path = "{HEARD_WAV}"}}
"""

    def heard_wav(self, name: str) -> Path:
        """The WAV file where the kiosk or console `name` records what it heard (with `audio`)."""
        return self.root / name / HEARD_WAV

    def kiosk_config(self, name: str = "kiosk1", camera_label: str = "居民") -> Path:
        """Write a kiosk's config file (synthetic camera, loopback rtc); returns its path."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "kiosk.toml"
        path.write_text(
            self._client_sections(camera_label)
            + self._audio_section(KIOSK_TONE_HZ)
            + f"""
[kiosk]
name = "{name}"
credential_file = "credential.json"
state_dir = "state"
log_dir = "{self.log_dir}"

[screens]
face = "face"
touch = "touch"

[idcard]
# The demo's fictional residents; the autopilot lays card 0 on the reader.
backend = "simulated"

[doccam]
# Synthetic pages slide under the document camera and settle (kiosk/devices/doccam).
backend = "simulated"
width = 960
height = 540
fps = 8
still_width = 1920
still_height = 1080

[printer]
# The demo prints into a folder: each job is a PDF there (kiosk/devices/printer/simulated.py).
backend = "simulated"
folder = "printed"

[point]
# The neighbourhood staff member at this kiosk: the rating is tied to the helper too.
helper = "{DEMO_HELPER}"

[health]
# The technician's checks (vw-health, the maintenance page); no TURN in the demo.
timeout_s = 8.0

[maintenance]
# The technician PIN {DEMO_PIN!r} for the maintenance page, stored only as its digest.
pin_sha256 = "{hashlib.sha256(DEMO_PIN.encode()).hexdigest()}"
""",
            encoding="utf-8",
        )
        return path

    def broken_printer_config(self, name: str = "kiosk1") -> Path:
        """The kiosk's config with its printer behind a CUPS server that is down (issue 7's demo).

        Same folder, so the same credential: `vw-health --report` with it reports as that kiosk.
        """
        text = self.kiosk_config(name).read_text(encoding="utf-8")
        start, end = text.index("[printer]"), text.index("[point]")
        broken = (
            "[printer]\n# A CUPS server nothing listens on: the printer check fails.\n"
            f'backend = "cups-cli"\nname = "Kiosk"\nserver = "127.0.0.1:{free_port()}"\n\n'
        )
        path = self.root / name / "kiosk-broken-printer.toml"
        path.write_text(text[:start] + broken + text[end:], encoding="utf-8")
        return path

    def enroll_kiosk(self, name: str = "kiosk1", display_name: str = "一号机") -> Path:
        """Get a one-time code from the hub and enrol a kiosk with it (skipped if enrolled)."""
        config = self.kiosk_config(name)
        if (config.parent / "credential.json").exists():
            return config
        out = self._hub_cli("enroll-code", "--point", DEMO_POINT, "--kiosk-name", display_name)
        code = out.strip().splitlines()[-1].split()[-1]
        self._run(
            "kiosk", "--config", str(config), "enroll", "--code", code, "--name", display_name
        )
        return config

    def console_config(self, name: str = "console1", camera_label: str = "工作人员") -> Path:
        """Write a console's config file; returns its path."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "console.toml"
        path.write_text(
            self._client_sections(camera_label)
            + self._audio_section(CONSOLE_TONE_HZ)
            + f'\n[console]\nlog_dir = "{self.log_dir}"\n',
            encoding="utf-8",
        )
        return path

    def officer_password_file(self) -> Path:
        """The demo officer's password file written by `init_hub`."""
        return self.hub_dir / "officer1.password"

    def admin_password_file(self) -> Path:
        """The demo admin's password file written by `init_hub`."""
        return self.hub_dir / f"{DEMO_ADMIN[0]}.password"

    def start_kiosk(self, config: Path, *args: str, name: str = "kiosk") -> Child:
        """Start `vw-kiosk run` with extra arguments (e.g. --autopilot)."""
        return self._spawn(name, "kiosk", "--config", str(config), "run", *args)

    def start_console(
        self, config: Path, *args: str, name: str = "console", admin: bool = False
    ) -> Child:
        """Start `vw-console` logged in as the demo officer (or admin), with extra arguments."""
        username = DEMO_ADMIN[0] if admin else DEMO_OFFICER[0]
        password = self.admin_password_file() if admin else self.officer_password_file()
        return self._spawn(
            name, "backoffice_console", "--config", str(config),
            "--username", username, "--password-file", str(password), *args,
        )  # fmt: skip

    def run_health(self, config: Path, *args: str) -> tuple[int, str]:
        """`python -m kiosk.health --config CONFIG ARGS`: (exit status, stdout); never raises."""
        result = subprocess.run(
            [*self.prefix, self.python, "-m", "kiosk.health", "--config", str(config), *args],
            capture_output=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / "health.out").open("ab") as log_file:
            log_file.write(result.stderr)
        return result.returncode, result.stdout.decode()

    def stop_all(self) -> dict[str, int]:
        """Stop every child still running (kiosks and consoles first, the hub last)."""
        codes: dict[str, int] = {}
        for child in sorted(self.children, key=lambda c: c.name == "hub"):
            if child.log_file.closed:
                codes[child.name] = child.proc.returncode
            else:
                codes[child.name] = child.stop()
        return codes


def _drain_in_background(child: Child) -> None:
    def drain() -> None:
        assert child.proc.stdout is not None
        for line in child.proc.stdout:
            if not child.log_file.closed:
                child.log_file.write(line)

    threading.Thread(target=drain, name=f"drain-{child.name}", daemon=True).start()


def read_report(path: Path) -> dict[str, Any]:
    """A kiosk's or console's autopilot report, or {} when it wrote none."""
    try:
        return dict(json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
