"""The kiosk's udev rules: parsed by the real udev, and consistent with weston.ini.

`udevadm test` reads every rules file and reports each line it cannot use. It runs in a
mount namespace of its own, where /etc/udev/rules.d holds only our file and /etc/group
has the kiosk's group (as the package's sysusers.d entry makes it), so the machine's
own udev set-up is neither read nor touched.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SESSION = REPO / "installer" / "kiosk-session"
RULES = SESSION / "60-vw-kiosk.rules"


def _udevadm_test(rules: Path, tmp_path: Path) -> str:
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    shutil.copy(rules, rules_dir / "60-vw-kiosk.rules")
    group = tmp_path / "group"
    group.write_text(Path("/etc/group").read_text() + "vw-kiosk:x:64999:\n")
    script = (
        f"mount --bind {rules_dir} /etc/udev/rules.d && mount --bind {group} /etc/group && "
        "udevadm test --action=add /sys/class/tty/tty1"
    )
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def test_rules_parse_without_complaint(tmp_path: Path) -> None:
    out = _udevadm_test(RULES, tmp_path)
    assert "Reading rules file: /etc/udev/rules.d/60-vw-kiosk.rules" in out, out[-2000:]
    complaints = [
        line for line in out.splitlines()
        if "60-vw-kiosk.rules" in line and "Reading rules file" not in line
    ]  # fmt: skip
    assert not complaints, complaints


def test_a_broken_rule_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text('SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86", SYMLNK+="vw-idcard"\n')
    out = _udevadm_test(broken, tmp_path)
    assert any("60-vw-kiosk.rules:1" in line for line in out.splitlines()), out[-2000:]


def test_touch_input_goes_to_the_touch_output() -> None:
    """WL_OUTPUT in the rules names weston.ini's output for the touch window."""
    wl_output = re.search(r'ENV\{WL_OUTPUT\}="([^"]+)"', RULES.read_text(encoding="utf-8"))
    assert wl_output is not None
    text = (SESSION / "weston.ini").read_text(encoding="utf-8")
    outputs = {}
    for block in re.split(r"(?m)^(?=\[output\])", text)[1:]:
        parser = configparser.ConfigParser()
        parser.read_string(block)
        outputs[parser["output"]["app-ids"]] = parser["output"]["name"]
    assert outputs["vw-kiosk-touch"] == wl_output[1]
    assert outputs["vw-kiosk-face"] != wl_output[1]
