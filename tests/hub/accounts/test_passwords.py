"""The password rules (pure): length, the common-password list, the user name."""

from __future__ import annotations

import pytest

from backoffice_console.hub.accounts.passwords import common_passwords, password_problem


def test_the_common_list_is_shipped_and_read() -> None:
    found = common_passwords()
    assert len(found) > 200 and "123456" in found and "woaini1314" in found


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "at least 10"),
        ("Qwertyuiop", "too common"),  # on the list, whatever the case
        ("password2024!", "too common"),  # a listed word with digits and symbols tacked on
        ("woaini1314520", "too common"),
        ("li-wei-0001-x", None),
        ("my name is wangfang", "user name"),
        ("aaaaaaaaaaaa", "too few different"),
        (" padded phrase 12 ", "spaces"),
    ],
)
def test_password_rules(password: str, why: str | None) -> None:
    problem = password_problem(password, "WangFang")
    if why is None:
        assert problem is None
    else:
        assert problem is not None and why in problem
        assert password not in problem  # the message never repeats the password


def test_short_user_names_do_not_forbid_every_password() -> None:
    assert password_problem("a decent long phrase", "a") is None
