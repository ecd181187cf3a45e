"""The console's log-in with a second factor: the code field appears when the hub asks
for it, against a real hub (its account enrolled with a real TOTP secret)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyotp
import pytest

from backoffice_console.app import ConsoleController, ConsoleError, Phase
from backoffice_console.call_ports import default_hub_factory
from backoffice_console.hub.core.principal import Principal
from backoffice_console.ui.login import LoginWindow
from shared.protocol import Role
from shared.ui.screenshot import save_screenshot
from tests.support.hub_fixtures import PASSWORD, HubHarness
from tests.support.qt_helpers import styled_app_fixture  # noqa: F401


def test_the_code_field_appears_when_asked(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    window = LoginWindow()
    qtbot.addWidget(window)
    window.show()
    assert not window.code_edit.isVisible() and window.code() is None
    save_screenshot(window, test_output / "console-login-before-code.png")
    window.username.setText("zhao")
    window.password.setText(PASSWORD)
    window.show_error("该账号已开启双因素认证，请输入身份验证器中的动态验证码")
    window.ask_code()
    assert window.code_edit.isVisible() and window.focusWidget() is window.code_edit
    window.code_edit.setText("12345")
    assert window.code() is None  # not six digits yet
    window.code_edit.setText("123456")
    assert window.code() == "123456"
    save_screenshot(window, test_output / "console-login-code.png")


def _peer_factory(*_: Any) -> Any:
    raise AssertionError("no call in this test")


async def test_controller_logs_in_with_the_code(hub: HubHarness) -> None:
    user_id = await hub.user("zhao", Role.SUPERVISOR)
    totp = hub.hub.accounts.totp
    who = Principal(Role.SUPERVISOR, user_id, "zhao")
    secret, _ = await totp.enrol(who)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    await totp.confirm(who, pyotp.TOTP(secret).at(earlier))
    controller = ConsoleController(default_hub_factory(hub.url, hub.ca), _peer_factory)
    try:
        with pytest.raises(ConsoleError) as err:
            await controller.login("zhao", PASSWORD)
        assert err.value.key == "login.error.totp_required"
        assert controller.phase is Phase.LOGGED_OUT
        await controller.login("zhao", PASSWORD, totp_code=pyotp.TOTP(secret).now())
        assert controller.phase is Phase.QUEUE
    finally:
        await controller.close()
