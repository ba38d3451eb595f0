"""Write paths for accounts: role groups and user provisioning."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from brief.core.audit import record
from brief.core.roles import Role

from .models import User


def ensure_role_groups() -> list[Group]:
    """Create one auth group per role (idempotent)."""
    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]


@transaction.atomic
def set_roles(user: User, roles: list[str], *, actor=None) -> None:
    """Replace ``user``'s roles and record it."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    groups = [Group.objects.get_or_create(name=r)[0] for r in roles]
    user.groups.set(groups)
    user.__dict__.pop("roles", None)
    record("USER_ROLES_CHANGED", actor=actor, target=user, details={"roles": sorted(roles)})


@transaction.atomic
def set_daily_digest(user: User, *, enabled: bool) -> User:
    """The user chooses (or stops) the daily digest e-mail of unread notices."""
    User.objects.filter(pk=user.pk).update(daily_digest=enabled)
    user.daily_digest = enabled
    record("USER_DIGEST_CHANGED", actor=user, target=user, details={"daily_digest": enabled})
    return user
