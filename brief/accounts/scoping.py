"""Row-level scoping: which objects of a queryset a user may see.

Every list, detail, download and API endpoint passes its queryset through :func:`scope`.
Staff roles (OCM, process leader, auditor, communications, front support) see every area;
area roles see their own area; provider roles see what was forwarded to their provider;
anyone else sees nothing.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from brief.core.roles import AREA_ROLES, PROVIDER_ROLES

M = TypeVar("M", bound=Model)


def scope(
    queryset: QuerySet[M],
    user,
    *,
    area_field: str | None = "area",
    provider_field: str | None = None,
    provider_visible: Q | None = None,
) -> QuerySet[M]:
    """Narrow ``queryset`` to what ``user`` may read.

    ``area_field`` is the lookup path to the owning :class:`Area`; ``provider_field`` the
    lookup path to the :class:`Provider` handling it, and ``provider_visible`` an extra
    condition for provider users (e.g. only briefs already forwarded).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.sees_all_areas:
        return queryset
    condition = Q(pk__in=[])
    if area_field and user.area_id and user.roles & AREA_ROLES:
        condition |= Q(**{area_field: user.area_id})
    if provider_field and user.provider_id and user.roles & PROVIDER_ROLES:
        provider_q = Q(**{provider_field: user.provider_id})
        if provider_visible is not None:
            provider_q &= provider_visible
        condition |= provider_q
    return queryset.filter(condition)
