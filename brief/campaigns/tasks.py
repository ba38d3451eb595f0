"""Background work of the brief workflow."""

from celery import shared_task

from . import notifications
from .choices import NoticeKind
from .models import Brief, BriefTransition
from .notifications import people, send_notice, send_transition_email


@shared_task(
    name="brief.campaigns.tasks.notify_transition",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_transition(transition_id: int) -> int:
    """Send the e-mails of one transition (idempotent enough: one send per transition)."""
    transition = (
        BriefTransition.objects.select_related("brief", "actor").filter(pk=transition_id).first()
    )
    return send_transition_email(transition) if transition else 0


@shared_task(
    name="brief.campaigns.tasks.notify_brief",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_brief(
    brief_id: int,
    who: list[str],
    subject: str,
    lines: list[str],
    anchor: str = "",
    exclude: int | None = None,
    kind: str = NoticeKind.CHANGE,
) -> int:
    """Tell the parties ``who`` ("ocm", "area", "provider") of a brief about something that
    happened to it (a scope change, a question), except the user ``exclude`` who did it."""
    brief = Brief.objects.filter(pk=brief_id).first()
    if brief is None:
        return 0
    users = [u for u in people(brief, who) if u.pk != exclude]
    return send_notice(users, brief=brief, subject=subject, lines=lines, anchor=anchor, kind=kind)


@shared_task(name="brief.campaigns.tasks.scan_sla_alerts")
def scan_sla_alerts() -> int:
    """Bell alerts for clocks due within 4 business hours or breached (once each)."""
    return notifications.alert_clocks()


@shared_task(name="brief.campaigns.tasks.send_daily_digests")
def send_daily_digests() -> int:
    """The daily digest e-mail to the users who chose it (once a day each)."""
    return notifications.send_digests()
