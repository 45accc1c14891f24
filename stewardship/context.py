"""What every steward page's header needs to know of the user."""

from mdm.access import Action, can


def access(request) -> dict:
    user = getattr(request, "user", None)
    return {"can_audit": bool(user and can(user, Action.AUDIT))}
