"""Who must act next after each transition, and the e-mail that tells them."""

from __future__ import annotations

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


def recipients(brief, to_status: str) -> list[User]:
    """Active users who must act next on ``brief`` (or be told it ended)."""
    condition = Q(pk__in=[])
    for who in NEXT_ACTORS.get(to_status, ()):
        if who == "ocm":
            condition |= Q(groups__name=Role.ANALISTA_OCM)
        elif who == "area":
            condition |= Q(groups__name__in=[Role.SOLICITANTE, Role.JEFE], area=brief.area_id)
        elif who == "provider" and brief.provider_id:
            condition |= Q(groups__name=Role.PROVEEDOR, provider=brief.provider_id)
    return list(User.objects.filter(condition, is_active=True).exclude(email="").distinct())


def send_transition_email(transition) -> int:
    """E-mail the next actors of ``transition`` with a link to the brief; returns how many."""
    brief = transition.brief
    spec = ACTIONS[transition.action]
    link = settings.SITE_URL + reverse("campaigns:brief_detail", args=[brief.code])
    subject = f"[Brief] {brief.code} · {Status(transition.to_status).label}"
    lines = [
        f"El brief {brief.code} «{brief.name}» pasó a «{Status(transition.to_status).label}».",
        f"Acción: {spec.label}, por {transition.actor.display_name}.",
    ]
    if transition.note:
        lines.append(f"Nota: {transition.note}")
    lines += ["", f"Ver el brief: {link}", "", "— Brief ICETEX (no responda este correo)"]
    body = "\n".join(lines)
    people = [u for u in recipients(brief, transition.to_status) if u.pk != transition.actor_id]
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in people]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
