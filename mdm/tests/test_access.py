"""The permission model: roles, per-domain steward grants, the grant command."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from mdm.access import ALL, Action, Role, access_grant, access_revoke, can, domains, require
from mdm.errors import Forbidden, InvalidInput, UnknownDomain
from mdm.models import AccessGrant


@pytest.fixture
def users(db, django_user_model, change):
    def make(name, role=None, domains=()):
        user = django_user_model.objects.create_user(name, password="x")
        if role:
            access_grant(user=user, role=role, domains=domains, change=change)
        return django_user_model.objects.get(pk=user.pk)

    return {
        "steward": make("steward", Role.STEWARD, ["customer"]),
        "auditor": make("auditor", Role.AUDITOR),
        "admin": make("admin", Role.ADMIN),
        "outsider": make("outsider"),
    }


def test_it_lets_a_steward_act_in_the_granted_domain_only(users):
    steward = users["steward"]
    assert can(steward, Action.VIEW, "customer") and can(steward, Action.DECIDE, "customer")
    assert can(steward, Action.REQUEST, "customer")
    assert not can(steward, Action.VIEW, "product") and not can(steward, Action.DECIDE, "product")
    assert not can(steward, Action.AUDIT) and not can(steward, Action.ADMINISTER)
    assert can(steward, Action.DECIDE)  # in some domain
    assert domains(steward, Action.DECIDE) == {"customer"}


def test_it_lets_an_auditor_read_everything_and_change_nothing(users):
    auditor = users["auditor"]
    for domain in ("customer", "product", "supplier"):
        assert can(auditor, Action.VIEW, domain) and can(auditor, Action.AUDIT, domain)
        assert not can(auditor, Action.DECIDE, domain) and not can(auditor, Action.REQUEST, domain)
    assert domains(auditor, Action.VIEW) is ALL and domains(auditor, Action.DECIDE) == set()


def test_it_lets_an_admin_and_a_superuser_do_everything(users, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    for user in (users["admin"], root):
        assert all(can(user, action, "product") for action in Action.values)


def test_it_refuses_outsiders_anonymous_and_inactive_users(users, change):
    users["steward"].is_active = False
    for user in (users["outsider"], AnonymousUser(), users["steward"]):
        assert not any(can(user, action) for action in Action.values)
    with pytest.raises(Forbidden) as caught:
        require(users["outsider"], Action.VIEW, "customer")
    assert caught.value.code == "forbidden" and caught.value.status == 403
    assert "outsider may not view in customer" in caught.value.message


def test_it_refuses_bad_grants_and_writes_history(users, change):
    steward = users["steward"]
    with pytest.raises(UnknownDomain):
        access_grant(user=steward, role=Role.STEWARD, domains=["nope"], change=change)
    with pytest.raises(InvalidInput):
        access_grant(user=steward, role=Role.AUDITOR, domains=["customer"], change=change)
    with pytest.raises(InvalidInput):
        access_grant(user=steward, role="boss", change=change)
    with pytest.raises(InvalidInput):
        can(steward, "delete")
    access_grant(user=steward, role=Role.STEWARD, domains=["customer", "product"], change=change)
    assert AccessGrant.objects.filter(user=steward).count() == 2  # customer not granted twice
    assert can(steward, Action.DECIDE, "product")
    assert access_revoke(user=steward, role=Role.STEWARD, domains=["product"], change=change) == 1
    assert not can(steward, Action.DECIDE, "product") and can(steward, Action.DECIDE, "customer")
    rows = AccessGrant.history.filter(user_id=steward.pk).order_by("history_id")
    assert [r.history_type for r in rows] == ["+", "+", "-"]
    assert all(r.history_actor == "test" for r in rows)


def test_it_grants_from_the_command_line(db, capsys, django_user_model):
    call_command("grant", "wang", "steward", "--domain", "customer", "--create")
    out = capsys.readouterr().out
    assert "wang: steward in customer" in out and "created wang with password" in out
    wang = django_user_model.objects.get(username="wang")
    assert can(wang, Action.DECIDE, "customer")
    call_command("grant", "wang", "auditor")
    assert "wang: auditor; steward in customer" in capsys.readouterr().out
    call_command("grant", "wang", "steward", "--revoke")
    assert not can(django_user_model.objects.get(pk=wang.pk), Action.DECIDE, "customer")
    with pytest.raises(CommandError, match="no user 'li'"):
        call_command("grant", "li", "steward")
    with pytest.raises(CommandError, match="only a steward grant is per domain"):
        call_command("grant", "wang", "admin", "--domain", "customer")
