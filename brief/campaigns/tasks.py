"""Background work of the brief workflow."""

from celery import shared_task

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
) -> int:
    """Tell the parties ``who`` ("ocm", "area", "provider") of a brief about something that
    happened to it (a scope change, a question), except the user ``exclude`` who did it."""
    brief = Brief.objects.filter(pk=brief_id).first()
    if brief is None:
        return 0
    users = [u for u in people(brief, who) if u.pk != exclude]
    return send_notice(users, brief=brief, subject=subject, lines=lines, anchor=anchor)
