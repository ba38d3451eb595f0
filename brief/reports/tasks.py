"""Periodic reports (thin: they call the builders and actions)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from brief.core import calendar

from . import daily, sla_report

# --- monthly reports, QC sample ---


@shared_task(name="brief.reports.tasks.send_monthly_reports")
def send_monthly_reports() -> int:
    """Generate last month's mass-campaign report and e-mail it to OCM (once per month)."""
    from django.utils import timezone

    from brief.core import calendar

    from . import monthly

    month = monthly.previous_month(calendar.local(timezone.now()).date())
    return monthly.send_monthly_report(month)


@shared_task(name="brief.reports.tasks.draw_monthly_sample")
def draw_monthly_sample() -> str:
    """Draw last month's QC sample when it has none (safe to run twice)."""
    from django.utils import timezone

    from brief.core import calendar

    from . import actions, monthly
    from .models import QualitySample

    month = monthly.previous_month(calendar.local(timezone.now()).date())
    if QualitySample.objects.filter(month=month).exists():
        return "exists"
    actions.draw_sample(month)
    return "drawn"


# --- daily execution report ---


@shared_task(name="brief.reports.tasks.close_execution_day")
def close_execution_day(day: str | None = None, at: str | None = None) -> dict[str, int]:
    """At the close of a business day: the daily report of every brief in execution, built,
    stored and e-mailed once (``day``/``at`` ISO strings default to now in Bogota)."""
    moment = dt.datetime.fromisoformat(at) if at else timezone.now()
    when = dt.date.fromisoformat(day) if day else calendar.local(moment).date()
    return daily.close_day(when, at=moment)


# --- fortnightly SLA report ---


@shared_task(name="brief.reports.tasks.send_fortnightly_sla_report")
def send_fortnightly_sla_report(day: str | None = None) -> int:
    """On the 1st and the 16th: the SLA report of the fortnight before ``day`` (ISO; today in
    Bogota by default), e-mailed to OCM once."""
    when = dt.date.fromisoformat(day) if day else calendar.local(timezone.now()).date()
    return sla_report.send_fortnight(when)
