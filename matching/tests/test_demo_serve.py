"""The end of the main job: the web app served, with a steward login printed."""

import stat

import pytest
from django.conf import settings
from django.contrib.auth import authenticate

from matching.management.commands import demo
from mdm.access import Action, can


@pytest.mark.django_db
def test_it_serves_the_steward_app_and_prints_a_steward_login(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(demo, "call_command", lambda name, *args, **kwargs: started.append((name, args)))
    command = demo.Command()

    command._serve("127.0.0.1:8123")
    command._serve("127.0.0.1:8123")  # a second demo keeps the same logins

    out = capsys.readouterr().out
    assert [name for name, _ in started] == ["collectstatic", "runserver"] * 2
    login = settings.DATA_DIR / "demo-steward.txt"
    user, password = login.read_text().split()
    assert f"Steward login: steward / {password}" in out and "http://127.0.0.1:8123/steward/" in out
    assert stat.S_IMODE(login.stat().st_mode) == 0o600
    steward = authenticate(username=user, password=password)
    assert steward is not None and not steward.is_staff
    assert all(can(steward, Action.DECIDE, domain) for domain in ("customer", "product", "supplier"))
    admin_user, admin_password = (settings.DATA_DIR / "demo-admin.txt").read_text().split()
    assert authenticate(username=admin_user, password=admin_password).is_superuser
