"""Who must act next after each transition, and the e-mail that tells them.

:func:`send_notice` is the one place a notice about a brief leaves Brief: transitions, scope
changes and questions all go through it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.urls import reverse

from brief.accounts.models import User
from brief.core.roles import Role

from .choices import ACTIONS, Status

# Target state → who acts next: "ocm", "area" (requesting area), "provider", "comms", "leader".
NEXT_ACTORS: dict[str, tuple[str, ...]] = {
    Status.SUBMITTED: ("ocm",),
    Status.IN_REVIEW: ("area",),
    Status.RETURNED: ("area",),
    Status.FORWARDED: ("provider",),
    Status.RECEIVED: ("ocm", "area"),
    Status.BASE_LOADED: ("ocm", "area"),
    Status.AWAITING_EXIT_APPROVAL: ("area", "ocm"),
    Status.EXECUTING: ("provider",),
    Status.RESULTS_REVIEW: ("ocm",),
    Status.RESULTS_SENT: ("area",),
    Status.ACCEPTED: ("ocm", "provider"),
    Status.CANCELLED: ("ocm", "area", "provider"),
}


def people(brief, who: Iterable[str]) -> list[User]:
    """Active users with an e-mail among ``who`` ("ocm", "area", "provider") of ``brief``."""
    condition = Q(pk__in=[])
    for party in who:
        if party == "ocm":
            condition |= Q(groups__name=Role.ANALISTA_OCM)
        elif party == "area":
            condition |= Q(groups__name__in=[Role.SOLICITANTE, Role.JEFE], area=brief.area_id)
        elif party == "provider" and brief.provider_id:
            condition |= Q(groups__name=Role.PROVEEDOR, provider=brief.provider_id)
    return list(User.objects.filter(condition, is_active=True).exclude(email="").distinct())


def recipients(brief, to_status: str) -> list[User]:
    """Active users who must act next on ``brief`` (or be told it ended)."""
    return people(brief, NEXT_ACTORS.get(to_status, ()))


def brief_link(brief, anchor: str = "") -> str:
    url = settings.SITE_URL + reverse("campaigns:brief_detail", args=[brief.code])
    return f"{url}#{anchor}" if anchor else url


def send_notice(users: Iterable[User], *, brief, subject: str, lines: list[str], anchor="") -> int:
    """E-mail ``users`` about ``brief`` (subject, lines and a link); returns how many."""
    body = "\n".join([*lines, "", f"Ver el brief: {brief_link(brief, anchor)}", "", FOOTER])
    subject = f"[Brief] {brief.code} · {subject}"
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


FOOTER = "— Brief ICETEX (no responda este correo)"


def send_transition_email(transition) -> int:
    """E-mail the next actors of ``transition`` with a link to the brief; returns how many."""
    brief = transition.brief
    spec = ACTIONS[transition.action]
    lines = [
        f"El brief {brief.code} «{brief.name}» pasó a «{Status(transition.to_status).label}».",
        f"Acción: {spec.label}, por {transition.actor.display_name}.",
    ]
    if transition.note:
        lines.append(f"Nota: {transition.note}")
    users = [u for u in recipients(brief, transition.to_status) if u.pk != transition.actor_id]
    return send_notice(
        users, brief=brief, subject=str(Status(transition.to_status).label), lines=lines
    )
