"""Standing principals for the API tests: a steward, an auditor, an admin, a CRM and an ERP
system with tokens, a system granted another domain only, a user of another department,
and an outsider; and a trained customer model where matching must run."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import api_token_issue
from matching.training import match_model_store
from mdm.access import Role, access_grant, department_join, department_set
from mdm.history import Change
from mdm.models import SourceSystem
from mdm.tests.factories import system

SETUP = Change(actor="test", reason="setup")


@pytest.fixture(autouse=True)
def _fresh_counts():
    """Throttle counts live in the process's cache, keyed by token, user or address ids
    that another test's database may hand out again: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class Principals:
    clients: dict[str, APIClient]
    systems: dict[str, SourceSystem]
    tokens: dict[str, str]

    def __getitem__(self, name: str) -> APIClient:
        return self.clients[name]


def _person(django_user_model, name: str, role: str | None, domains=()):
    user = django_user_model.objects.create_user(name, password="x")
    if role:
        access_grant(user=user, role=role, domains=domains, change=SETUP)
    client = APIClient()
    client.force_login(user)
    return user, client


def _system(code: str, domains: list[str]) -> tuple[SourceSystem, str, APIClient]:
    source = system(code)
    issued = api_token_issue(system=source, name="test", change=SETUP)
    source.refresh_from_db()
    access_grant(user=source.api_user, role=Role.SYSTEM, domains=domains, change=SETUP)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.plaintext}")
    return source, issued.plaintext, client


@pytest.fixture
def principals(db, django_user_model) -> Principals:
    """anonymous; steward (customer); auditor; admin; crm and erp (systems, customer);
    mes (a system granted product only: the wrong system for customer); east (a customer
    steward of the east department, which holds erp's records only); outsider (no grant)."""
    clients, systems, tokens = {"anonymous": APIClient()}, {}, {}
    for code, domains in (("crm", ["customer"]), ("erp", ["customer"]), ("mes", ["product"])):
        systems[code], tokens[code], clients[code] = _system(code, domains)
    _, clients["steward"] = _person(django_user_model, "steward", Role.STEWARD, ["customer"])
    _, clients["auditor"] = _person(django_user_model, "auditor", Role.AUDITOR)
    _, clients["admin"] = _person(django_user_model, "admin", Role.ADMIN)
    _, clients["outsider"] = _person(django_user_model, "outsider", None)
    east, clients["east"] = _person(django_user_model, "east", Role.STEWARD, ["customer"])
    department_join(user=east, department=department_set(code="east", name="East", systems=["erp"], change=SETUP),
                    change=SETUP)
    return Principals(clients=clients, systems=systems, tokens=tokens)


@pytest.fixture
def second_steward(principals, django_user_model) -> APIClient:
    """Another customer steward, of no department: the second pair of eyes."""
    return _person(django_user_model, "second", Role.STEWARD, ["customer"])[1]


@pytest.fixture
def customer_model(db, trained):
    """The customer model trained on the samples, active (real-time matching runs)."""
    return match_model_store(domain="customer", trained=trained("customer"), change=SETUP)
