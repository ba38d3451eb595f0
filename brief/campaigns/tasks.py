"""Background work of the brief workflow."""

from celery import shared_task

from .models import BriefTransition
from .notifications import send_transition_email


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
