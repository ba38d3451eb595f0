"""Who must act next after each transition, and the e-mail that tells them.

:func:`send_notice` is the one place a notice about a brief leaves Brief: transitions, scope
changes and questions all go through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from brief.accounts.models import User
from brief.core import calendar
from brief.core.choices import ClockState, Responsible
from brief.core.models import SLAClock
from brief.core.roles import AREA_ROLES, Role

from .choices import ACTIONS, NoticeKind, Status
from .models import Brief, Notification
from .workspace import brief_url

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


# Action → who acts next, where it is not the target state's (a refused exit goes back to
# the provider, who fixes and requests it again).
NEXT_ACTORS_BY_ACTION: dict[str, tuple[str, ...]] = {"refuse_exit": ("provider", "ocm", "area")}


def people(brief, who: Iterable[str]) -> list[User]:
    """Active users with an e-mail among ``who`` of ``brief``: "ocm", "area", "provider",
    "requester" (the brief's requester) or "role:<role>" (the users of that role: of the
    brief's area for an area role, all of them otherwise)."""
    condition = Q(pk__in=[])
    for party in who:
        role = party.removeprefix("role:") if party.startswith("role:") else None
        if role in AREA_ROLES:
            condition |= Q(groups__name=role, area=brief.area_id)
        elif role:
            condition |= Q(groups__name=role)
        elif party == "requester":
            condition |= Q(pk=brief.requester_id)
        elif party == "ocm":
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
    return settings.SITE_URL + brief_url(brief.code, anchor)


def notify_in_app(
    users: Iterable[User], *, brief, kind: str, text: str, anchor: str = "", key: str = ""
) -> int:
    """Put a notice in the bell of each of ``users``; with a ``key``, once per user (an alert
    written again is skipped). Returns how many were written."""
    users = list(users)
    if key:
        done = set(Notification.objects.filter(key=key).values_list("user_id", flat=True))
        users = [u for u in users if u.pk not in done]
    url = brief_url(brief.code, anchor)
    Notification.objects.bulk_create(
        [
            Notification(user=u, kind=kind, brief=brief, text=text[:500], url=url, key=key)
            for u in users
        ],
        ignore_conflicts=bool(key),
    )
    return len(users)


def send_notice(
    users: Iterable[User],
    *,
    brief,
    subject: str,
    lines: list[str],
    anchor="",
    kind: str = NoticeKind.TRANSITION,
) -> int:
    """Tell ``users`` about ``brief``: a notice in their bell and an e-mail (subject, lines and
    a link). The one place a notice about a brief is sent; returns how many e-mails."""
    users = list(users)
    notify_in_app(users, brief=brief, kind=kind, text=f"{brief.code} · {subject}", anchor=anchor)
    body = "\n".join(
        [
            *lines,
            "",
            gettext("Ver el brief: %(url)s") % {"url": brief_link(brief, anchor)},
            "",
            str(FOOTER),
        ]
    )
    subject = f"[Brief] {brief.code} · {subject}"
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users if u.email]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


FOOTER = gettext_lazy("— Brief ICETEX (no responda este correo)")


def send_transition_email(transition) -> int:
    """E-mail the next actors of ``transition`` with a link to the brief; returns how many."""
    brief = transition.brief
    spec = ACTIONS[transition.action]
    lines = [
        gettext("El brief %(code)s «%(name)s» pasó a «%(status)s».")
        % {"code": brief.code, "name": brief.name, "status": Status(transition.to_status).label},
        gettext("Acción: %(action)s, por %(actor)s.")
        % {"action": spec.label, "actor": transition.actor.display_name},
    ]
    if transition.note and spec.reasons:
        lines.append(gettext("Motivos: %(note)s") % {"note": transition.note})
    elif transition.note:
        lines.append(gettext("Nota: %(note)s") % {"note": transition.note})
    who = NEXT_ACTORS_BY_ACTION.get(transition.action) or NEXT_ACTORS.get(transition.to_status, ())
    users = [u for u in people(brief, who) if u.pk != transition.actor_id]
    return send_notice(
        users, brief=brief, subject=str(Status(transition.to_status).label), lines=lines
    )


# --- alerts and the daily digest (beat tasks) ------------------------------------------

ALERT_BUSINESS_HOURS = 4  # an open clock due within this many business hours is "por vencer"


def _brief_of(clock: SLAClock) -> Brief | None:
    subject = clock.subject
    if isinstance(subject, Brief):
        return subject
    return getattr(subject, "brief", None)  # a question


def alert_clocks(now: dt.datetime | None = None) -> int:
    """Bell alerts for open clocks due within 4 business hours and for breached ones, to the
    party responsible (the provider, or OCM for ICETEX's clocks): once per clock, kind and
    user, so running it again writes nothing. Returns how many notices were written."""
    now = now or timezone.now()
    running = SLAClock.objects.filter(stopped_at__isnull=True, state=ClockState.RUNNING)
    due = running.filter(due_at__lte=now + dt.timedelta(days=7)).select_related("rule")
    written = 0
    for clock in due.iterator():
        if clock.due_at <= now or clock.breached_at:
            kind, text = NoticeKind.SLA_BREACHED, gettext("ANS vencido: %(rule)s")
        elif calendar.business_hours_between(now, clock.due_at) <= ALERT_BUSINESS_HOURS:
            kind, text = NoticeKind.SLA_DUE_SOON, gettext("ANS por vencer: %(rule)s")
        else:
            continue
        brief = _brief_of(clock)
        if brief is None:
            continue
        who = ("provider",) if clock.responsible == Responsible.PROVIDER else ("ocm",)
        written += notify_in_app(
            people(brief, who),
            brief=brief,
            kind=kind,
            text=f"{brief.code} · " + text % {"rule": clock.rule.name},
            anchor="ans",
            key=f"{kind}:{clock.pk}",
        )
    return written


def send_digests(now: dt.datetime | None = None) -> int:
    """One e-mail per user who chose the daily digest, listing their unread notices of the
    day; once a day per user (``last_digest_at``). Returns how many e-mails went out."""
    now = now or timezone.now()
    today = calendar.local(now).date()
    since = now - dt.timedelta(days=1)
    sent = 0
    users = User.objects.filter(daily_digest=True, is_active=True).exclude(email="")
    for user in users:
        if user.last_digest_at and calendar.local(user.last_digest_at).date() == today:
            continue
        notes = list(user.notifications.filter(read_at__isnull=True, created_at__gt=since)[:100])
        User.objects.filter(pk=user.pk).update(last_digest_at=now)
        if not notes:
            continue
        lines = [f"- {n.created_at:%d/%m %H:%M} {n.text} {settings.SITE_URL}{n.url}" for n in notes]
        link = settings.SITE_URL + reverse("campaigns:notifications")
        body = "\n".join(
            [gettext("Sus avisos sin leer de hoy:"), "", *lines, "", link, "", str(FOOTER)]
        )
        subject = gettext("[Brief] Resumen diario: %(n)s avisos") % {"n": len(notes)}
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return sent
