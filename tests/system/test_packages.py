"""The packages on a fresh Debian 12 root: built by `make deb`, checked by lintian, installed
from the .deb files alone (Debian's own packages from the mirror), then a hub initialised and
serving, a kiosk enrolled with it and its health checks on simulated devices, an upgrade from
a local apt repository that keeps config and data, and removal and purge.

The tests run in file order and share the root (tests/system/conftest.py's `stage`).
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

from tests.system.conftest import NEW_DEBS, OLD_DEBS, OUTPUT, PACKAGES, REPO, Stage

PASSWORD = "system-test-password-1"
ADMIN = "upgrade-check"
KIOSK_NAME = "kiosk-system-test"
KIOSK_TOML = "/etc/vw-kiosk/kiosk.toml"
HUB_TOML = "/etc/vw-hub/hub.toml"
CREDENTIAL = "/var/lib/vw-kiosk/credential.json"
APT_INSTALL = [
    "apt-get",
    "install",
    "-y",
    "--no-install-recommends",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
]
# Health parts a root without screens, cameras or sound can pass with simulated devices.
HEALTH_PARTS = ["doccam", "idcard", "printer", "hub", "disk", "outbox", "print_queue", "version"]

# What the tests hand on to the next (they run in order on one root).
STATE: dict[str, Any] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hub_request(path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    context = ssl.create_default_context(cafile=STATE["ca_host_path"])
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"https://127.0.0.1:{STATE['port']}{path}",
        data=data,
        headers={"Content-Type": "application/json"} if data else {},
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _start_hub(stage: Stage, log_name: str) -> subprocess.Popen[str]:
    proc = stage.root.start(
        ["vw-hub", "--config", HUB_TOML, "serve"], OUTPUT / log_name, user="vw-hub"
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, (OUTPUT / log_name).read_text(errors="replace")[-3000:]
        try:
            status, _ = _hub_request("/api/v1/health")
        except (urllib.error.URLError, ConnectionError, ssl.SSLError, TimeoutError):
            time.sleep(0.2)  # polling the port until the hub answers
            continue
        assert status == 200
        return proc
    raise AssertionError(f"the hub did not answer within 180 s; see {OUTPUT / log_name}")


def _stop_hub(stage: Stage, proc: subprocess.Popen[str]) -> None:
    assert stage.root.stop(proc) == 0, "the hub did not exit 0 on SIGTERM"


def _login_works() -> None:
    status, reply = _hub_request("/api/v1/auth/login", {"username": ADMIN, "password": PASSWORD})
    assert status == 200, reply
    assert reply["user"]["username"] == ADMIN


def _versions(stage: Stage) -> dict[str, str]:
    out = stage.root.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *PACKAGES])
    return dict(line.split() for line in out.stdout.splitlines())


def _health(stage: Stage, report: bool) -> dict[str, Any]:
    args = ["vw-health", "--config", KIOSK_TOML, "--json", "--lang", "en", "--only", *HEALTH_PARTS]
    done = stage.root.run([*args, *(["--report"] if report else [])], user="vw-kiosk", check=False)
    (OUTPUT / f"health-{'report' if report else 'local'}.json").write_text(done.stdout)
    assert done.returncode == 0, f"vw-health failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _assert_healthy(statuses: dict[str, str]) -> None:
    # The simulated document camera shows the test card only some of the time, so its check
    # may warn "place the test card"; nothing may fail, and everything else is ok.
    assert statuses.get("doccam") in ("ok", "warning"), statuses
    assert all(s == "ok" for part, s in statuses.items() if part != "doccam"), statuses


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not in the packaged kiosk.toml exactly once"
    return text.replace(old, new)


def _configure_kiosk(stage: Stage) -> str:
    """The technician's edits of the packaged kiosk.toml: the hub, the name, simulated devices."""
    path = stage.root.path(KIOSK_TOML)
    text = path.read_text(encoding="utf-8")
    text = _replace_once(
        text,
        'url = "https://hub.centre.example:8443"',
        f'url = "https://127.0.0.1:{STATE["port"]}"',
    )
    text = _replace_once(text, 'name = "kiosk-1"', f'name = "{KIOSK_NAME}"')
    text = _replace_once(text, 'kind = "v4l2"\npath = "/dev/vw-facecam"', 'kind = "synthetic"')
    text = _replace_once(
        text, 'backend = "sam-serial"\nport = "/dev/vw-idcard"', 'backend = "simulated"'
    )
    text = _replace_once(text, 'backend = "v4l2"\npath = "/dev/vw-doccam"', 'backend = "simulated"')
    text = _replace_once(
        text,
        'backend = "cups"\nname = "Kiosk"',
        'backend = "simulated"\nname = "Kiosk"\nfolder = "/var/lib/vw-kiosk/state/printed"',
    )
    path.write_text(text, encoding="utf-8")
    return text


def test_packages_built_with_their_dependencies(stage: Stage) -> None:
    for folder, version in ((NEW_DEBS, stage.new_version), (OLD_DEBS, stage.old_version)):
        for package in PACKAGES:
            (deb,) = folder.glob(f"{package}_{version}_*.deb")
            fields = subprocess.run(
                ["dpkg-deb", "-f", str(deb), "Package", "Version"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert f"Version: {version}" in fields
    depends = {
        p: subprocess.run(
            [
                "dpkg-deb",
                "-f",
                str(next(NEW_DEBS.glob(f"{p}_{stage.new_version}_*.deb"))),
                "Depends",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for p in PACKAGES
    }
    # What Qt's xcb platform plugin loads comes from the wheels' own libraries (dpkg-shlibdeps),
    # not from a hand-kept list: the two a minimal system lacked are there.
    for lib in ("libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libegl1", "python3.11"):
        assert lib in depends["vw-common"], depends["vw-common"]
    for needed in ("pcscd", "cups-client", "sane-utils", "weston", "pipewire", "fonts-wqy"):
        assert needed in depends["vw-kiosk"], depends["vw-kiosk"]
    for package in ("vw-hub", "vw-kiosk", "vw-console"):
        assert f"vw-common (>= {stage.new_version})" in depends[package]


def test_lintian_reports_no_errors(stage: Stage) -> None:
    errors = [line for line in stage.lintian.stdout.splitlines() if line.startswith("E: ")]
    assert not errors, "\n".join(errors[:50])
    assert stage.lintian.returncode == 0, stage.lintian.stdout[-3000:]


def test_fresh_root_installs_from_debs_and_runs_hub_kiosk_and_health(stage: Stage) -> None:
    root = stage.root
    t = time.monotonic()
    shutil.copytree(OLD_DEBS, root.path("/tmp/vw-old"))
    root.run(["apt-get", "update"])
    debs = sorted(f"/tmp/vw-old/{p.name}" for p in OLD_DEBS.glob("*.deb"))
    install = root.run([*APT_INSTALL, *debs], timeout=1800)
    (OUTPUT / "install-old.log").write_text(install.stdout + install.stderr)
    stage.timings["install old (with Debian deps)"] = time.monotonic() - t
    assert _versions(stage) == dict.fromkeys(PACKAGES, stage.old_version)

    # Users, groups and folders from sysusers.d and tmpfiles.d.
    groups = root.run(["id", "-nG", "vw-kiosk"]).stdout.split()
    assert {"video", "dialout", "lp", "scanner", "pcscd"} <= set(groups)
    for path, owner, mode in (
        ("/etc/vw-hub", "root:vw-hub", "750"),
        ("/var/lib/vw-hub", "vw-hub:vw-hub", "750"),
        ("/var/log/vw-hub", "vw-hub:adm", "750"),
        ("/var/lib/vw-kiosk", "vw-kiosk:vw-kiosk", "750"),
    ):
        got = root.run(["stat", "-c", "%U:%G %a", path]).stdout.split()
        assert got == [owner, mode], (path, got)

    # The hub: init (as root, handing its state to the hub's user; config in /etc/vw-hub,
    # state in /var/lib/vw-hub, logs in /var/log/vw-hub), a user and an enrolment code,
    # then serve as the hub's user.
    STATE["port"] = _free_port()
    init = root.run(["vw-hub", "init", "--port", str(STATE["port"]), "--owner", "vw-hub"])
    assert root.run(["stat", "-c", "%U:%G %a", HUB_TOML]).stdout.split() == ["root:vw-hub", "640"]
    ca = next(line for line in init.stdout.splitlines() if line.startswith("clients trust:"))
    STATE["ca"] = ca.split(":", 1)[1].strip()
    STATE["ca_host_path"] = str(root.path(STATE["ca"]))
    root.run(
        [
            "vw-hub",
            "--config",
            HUB_TOML,
            "add-user",
            "--username",
            ADMIN,
            "--display-name",
            "Upgrade check",
            "--role",
            "admin",
            "--password-stdin",
        ],
        user="vw-hub",
        input=PASSWORD + "\n",
    )
    code = root.run(
        [
            "vw-hub",
            "--config",
            HUB_TOML,
            "enroll-code",
            "--point",
            "System test point",
            "--kiosk-name",
            KIOSK_NAME,
        ],
        user="vw-hub",
    ).stdout.split()[0]
    hub = _start_hub(stage, "hub-old.log")
    try:
        _login_works()

        # The kiosk: version, the technician's config edits, enrolment, health checks.
        version = root.run(["vw-kiosk", "--version"], user="vw-kiosk").stdout.strip()
        assert version.startswith("vw-kiosk ")
        # As the README says: `install -m 0644` (the kiosk's user reads it).
        root.run(["install", "-m", "0644", STATE["ca"], "/etc/vw-kiosk/hub-ca.pem"])
        STATE["kiosk_toml"] = _configure_kiosk(stage)
        enrolled = root.run(
            ["vw-kiosk", "--config", KIOSK_TOML, "enroll", "--code", code], user="vw-kiosk"
        )
        assert "enrolled as device" in enrolled.stdout
        credential = root.path(CREDENTIAL)
        STATE["credential"] = credential.read_bytes()
        assert root.run(["stat", "-c", "%U", CREDENTIAL]).stdout.strip() == "vw-kiosk"

        report = _health(stage, report=True)
        statuses = {c["part"]: c["status"] for c in report["checks"]}
        assert set(statuses) == set(HEALTH_PARTS), statuses
        _assert_healthy(statuses)
    finally:
        _stop_hub(stage, hub)


def test_upgrade_from_local_apt_repo_keeps_config_and_data(stage: Stage) -> None:
    root = stage.root
    assert "credential" in STATE, "the fresh-install test did not get this far"
    repo = root.path("/srv/vw-apt")
    subprocess.run(
        [str(REPO / "installer/make-apt-repo.sh"), str(NEW_DEBS), str(repo)],
        check=True,
        capture_output=True,
        text=True,
    )
    root.path("/etc/apt/sources.list.d/vw.list").write_text(
        "deb [trusted=yes] file:/srv/vw-apt ./\n"
    )
    t = time.monotonic()
    root.run(["apt-get", "update"])
    upgrade = root.run([*APT_INSTALL, "vw-hub", "vw-kiosk", "vw-console"], timeout=1800)
    (OUTPUT / "upgrade.log").write_text(upgrade.stdout + upgrade.stderr)
    stage.timings["upgrade from apt repo"] = time.monotonic() - t
    assert _versions(stage) == dict.fromkeys(PACKAGES, stage.new_version)

    # The technician's config and the kiosk's credential are untouched, with no conffile copy.
    assert root.path(KIOSK_TOML).read_text(encoding="utf-8") == STATE["kiosk_toml"]
    assert not list(root.path("/etc/vw-kiosk").glob("*.dpkg-*"))
    assert root.path(CREDENTIAL).read_bytes() == STATE["credential"]
    assert (
        root.run(["vw-kiosk", "--version"], user="vw-kiosk").stdout.strip().startswith("vw-kiosk ")
    )
    # The hub's data survived: the user made before the upgrade logs in, and the kiosk's
    # credential still signs it in to send its health report.
    hub = _start_hub(stage, "hub-new.log")
    try:
        _login_works()
        report = _health(stage, report=True)
        _assert_healthy({c["part"]: c["status"] for c in report["checks"]})
    finally:
        _stop_hub(stage, hub)


def test_remove_keeps_data_and_purge_removes_it(stage: Stage) -> None:
    root = stage.root
    assert _versions(stage) == dict.fromkeys(PACKAGES, stage.new_version)
    root.run(["apt-get", "remove", "-y", *PACKAGES])
    assert not root.path("/opt/venvs/vw").exists(), "removal left files in the venv"
    assert not root.path("/usr/bin/vw-hub").exists()
    assert root.path(HUB_TOML).exists()
    assert root.path(CREDENTIAL).read_bytes() == STATE["credential"]
    assert root.path(KIOSK_TOML).exists()

    root.run(["apt-get", "purge", "-y", *PACKAGES])
    for gone in (
        "/etc/vw-hub",
        "/var/lib/vw-hub",
        "/var/log/vw-hub",
        "/etc/vw-kiosk",
        "/var/lib/vw-kiosk",
        "/var/log/vw-kiosk",
        "/etc/vw-console",
    ):
        assert not root.path(gone).exists(), f"purge left {gone}"
