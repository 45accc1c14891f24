"""Who may do what: the one permission model of every face (the steward web app, the API,
the CLI).

Ask one question, `can(user, action, domain=None)`, or `require(...)` to raise `Forbidden`
(code "forbidden", HTTP 403). Actions are a small fixed set (`Action`):

    view        read a domain's records: source records, golden records, names, proposals
    decide      approve / reject proposals, merge, split, unmerge, override, undo
    request     ask for new master data (a new customer, product, supplier)
    audit       read history, rulings, the change feed and every domain's dashboard
    administer  grant roles, register source systems, change settings
    submit      send a source system's own records (the API)
    view_sensitive  see sensitive attributes (declared `sensitive` in the domain) unmasked

Roles (`AccessGrant.Role`) hold actions (`ROLE_ACTIONS`):

    steward     view, decide, request: in the domains granted (one grant per domain, or
                domain "" for all)
    auditor     view, audit, view_sensitive in every domain; changes nothing
    admin       everything in every domain (a Django superuser is an admin without a grant)
    system      view, submit: in the domains granted (a source system's API user)
    sensitive   view_sensitive: in the domains granted (added to another role)

Departments (`Department`): a user who belongs to one or more sees only the records of
their systems (`visible_systems`); a user who belongs to none is not limited by department.
Sensitive attributes are masked (`masked_attributes`, `mask`) for whoever cannot
view_sensitive in the domain, in every face alike: mdm.visibility applies both rules to
records for the pages, the auditors' log and the file exports.

`domain=None` asks "in some domain": true when any grant of the user holds the action
(menus, the dashboard); with a domain the grant must cover that domain. An anonymous or
inactive user can do nothing. `domains(user, action)` lists the domains a user may act in
(for filtering queues and search), `ALL` when every domain.

Grants are rows (`AccessGrant`, with history), given and taken by `access_grant` and
`access_revoke`, or `manage.py grant USER ROLE [--domain D]`.

Extending (the API): a source system authenticates as its `SourceSystem.api_user`, an
ordinary user, so it is given roles like a person (a CRM that may request new customers:
a steward grant limited to what the API lets a system call, or a new role added to
`AccessGrant.Role` and `ROLE_ACTIONS`). Departments and attribute masking fit the same
shape: a new action (e.g. "view_sensitive") in `Action` and the roles that hold it, asked
through `can()` where the values are rendered or serialized.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from mdm import history
from mdm.domains import get_domain
from mdm.errors import Forbidden, InvalidInput
from mdm.history import Change
from mdm.models import AccessGrant, Department, DepartmentMember

MSG_FORBIDDEN = "{user} may not {action} {where}"
MSG_DOMAIN_ROLE = "only a steward grant is per domain (and a system or sensitive one); an {role} holds every domain"
MASK = "***"
DOMAIN_ROLES = ("steward", "system", "sensitive")


class Action(models.TextChoices):
    VIEW = "view"
    DECIDE = "decide"
    REQUEST = "request"
    AUDIT = "audit"
    ADMINISTER = "administer"
    SUBMIT = "submit"
    VIEW_SENSITIVE = "view_sensitive"


Role = AccessGrant.Role
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.STEWARD: frozenset({Action.VIEW, Action.DECIDE, Action.REQUEST}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.AUDIT, Action.VIEW_SENSITIVE}),
    Role.ADMIN: frozenset(Action.values),
    Role.SYSTEM: frozenset({Action.VIEW, Action.SUBMIT}),
    Role.SENSITIVE: frozenset({Action.VIEW_SENSITIVE}),
}
ALL = None  # domains(): every domain
User = AbstractBaseUser | AnonymousUser


def _grants(user: User) -> list[tuple[str, str]]:
    """(role, domain) of the user's grants, read once per user object (a request's user
    lives one request)."""
    cached = getattr(user, "_mdm_grants", None)
    if cached is None:
        cached = list(AccessGrant.objects.filter(user_id=user.pk).values_list("role", "domain"))
        user._mdm_grants = cached
    return cached


def domains(user: User, action: str) -> set[str] | None:
    """The domains `user` may `action` in: ALL (None) for every domain, else a set (empty:
    none)."""
    if action not in Action.values:
        raise InvalidInput(f"unknown action {action!r}: one of {', '.join(Action.values)}")
    if not user.is_authenticated or not user.is_active:
        return set()
    if getattr(user, "is_superuser", False):
        return ALL
    out: set[str] = set()
    for role, domain in _grants(user):
        if action in ROLE_ACTIONS.get(role, ()):
            if not domain:
                return ALL
            out.add(domain)
    return out


def can(user: User, action: str, domain: str | None = None) -> bool:
    """May `user` do `action` in `domain` (None: in some domain)?"""
    allowed = domains(user, action)
    if allowed is ALL:
        return True
    return bool(allowed) if domain is None else domain in allowed


def require(user: User, action: str, domain: str | None = None) -> None:
    """Raise Forbidden unless can(user, action, domain)."""
    if not can(user, action, domain):
        where = f"in {domain}" if domain else "anywhere"
        name = user.get_username() if user.is_authenticated else "an anonymous user"
        raise Forbidden(MSG_FORBIDDEN.format(user=name, action=action, where=where))


@transaction.atomic
def access_grant(*, user: AbstractBaseUser, role: str, domains: Iterable[str] = (), change: Change
                 ) -> list[AccessGrant]:
    """Give `user` a role: a steward in each of `domains` (none: every domain), an auditor
    or admin everywhere. Granting what the user holds already changes nothing."""
    if role not in Role.values:
        raise InvalidInput(f"unknown role {role!r}: one of {', '.join(Role.values)}")
    wanted = sorted(set(domains)) or [""]
    if role not in DOMAIN_ROLES and wanted != [""]:
        raise InvalidInput(MSG_DOMAIN_ROLE.format(role=role))
    for domain in wanted:
        if domain:
            get_domain(domain)  # UnknownDomain
    out = []
    for domain in wanted:
        grant = AccessGrant.objects.filter(user=user, role=role, domain=domain).first()
        if grant is None:
            grant = AccessGrant(user=user, role=role, domain=domain, granted_by=change.actor,
                                created_at=timezone.now())
            history.stamp(grant, change)
            grant.save()
        out.append(grant)
    user._mdm_grants = None
    return out


@transaction.atomic
def access_revoke(*, user: AbstractBaseUser, role: str, domains: Iterable[str] = (), change: Change) -> int:
    """Take a role back (in `domains`; none: every grant of that role). Returns how many
    grants went."""
    query = AccessGrant.objects.filter(user=user, role=role)
    wanted = set(domains)
    if wanted:
        query = query.filter(domain__in=wanted)
    count = 0
    for grant in query.order_by("pk"):
        history.stamp(grant, change)
        grant.delete()
        count += 1
    user._mdm_grants = None
    return count


def grants_summary(user: User) -> str:
    """The user's roles in one line ("steward in customer, product; auditor")."""
    if getattr(user, "is_superuser", False):
        return "admin"
    by_role: dict[str, list[str]] = {}
    for role, domain in _grants(user):
        by_role.setdefault(role, []).append(domain or "*")
    return "; ".join(
        f"{role} in {', '.join(sorted(d))}" if role in DOMAIN_ROLES else role for role, d in sorted(by_role.items())
    ) or "no grants"



# --- departments ---------------------------------------------------------------------------


def visible_systems(user: User) -> frozenset[str] | None:
    """The source system codes whose records `user` may see: None when not limited (no
    department, an admin, a superuser), else those of the user's departments."""
    cached = getattr(user, "_mdm_systems", False)
    if cached is not False:
        return cached
    out: frozenset[str] | None = None
    if user.is_authenticated and not getattr(user, "is_superuser", False) and not any(
            role == Role.ADMIN for role, _ in _grants(user)):
        rows = list(Department.objects.filter(members__user_id=user.pk).values_list("systems", flat=True))
        if rows:
            out = frozenset(code for systems in rows for code in systems)
    user._mdm_systems = out
    return out


def can_see_system(user: User, system: str) -> bool:
    visible = visible_systems(user)
    return visible is None or system in visible


@transaction.atomic
def department_set(*, code: str, name: str, systems: Iterable[str], change: Change) -> Department:
    """Create a department or change its name and systems."""
    department = Department.objects.select_for_update().filter(code=code).first()
    department = department or Department(code=code, created_at=timezone.now())
    department.name, department.systems = name, sorted(set(systems))
    history.stamp(department, change)
    department.save()
    return department


@transaction.atomic
def department_join(*, user: AbstractBaseUser, department: Department, change: Change) -> DepartmentMember:
    member = DepartmentMember.objects.filter(user=user, department=department).first()
    if member is None:
        member = DepartmentMember(user=user, department=department, created_at=timezone.now())
        history.stamp(member, change)
        member.save()
    user._mdm_systems = False
    return member


@transaction.atomic
def department_leave(*, user: AbstractBaseUser, department: Department, change: Change) -> int:
    count = 0
    for member in DepartmentMember.objects.filter(user=user, department=department):
        history.stamp(member, change)
        member.delete()
        count += 1
    user._mdm_systems = False
    return count


# --- sensitive attributes ----------------------------------------------------------------------


def masked_attributes(user: User, domain: str) -> frozenset[str]:
    """The domain's sensitive attributes `user` may not see unmasked (empty: sees all)."""
    if can(user, Action.VIEW_SENSITIVE, domain):
        return frozenset()
    return frozenset(name for name, a in get_domain(domain).attributes.items() if a.sensitive)


def mask(values: dict[str, Any], masked: Collection[str]) -> dict[str, Any]:
    """`values` (attributes, with derived parts under `name__part`) with the masked
    attributes' values, and their parts, replaced by MASK."""
    if not masked:
        return values
    return {k: MASK if v not in (None, "") and k.split("__", 1)[0] in masked else v for k, v in values.items()}
