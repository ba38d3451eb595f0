"""Periodic core work."""

from celery import shared_task

from . import sla


@shared_task(name="brief.core.tasks.scan_sla_breaches")
def scan_sla_breaches() -> int:
    """Mark overdue SLA clocks as breached (safe to run twice: each breach is marked once)."""
    return sla.scan_breaches()
