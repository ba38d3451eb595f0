"""The daily execution report («entrega de reportes durante la ejecución — 1 día de caída»).

At the close of each business day, every brief in execution gets one :class:`DailyReport`:
the messages of the day by channel and status, the cumulative totals, the calls and other
interactions worked and typified that day, and the open issues (paused or cancelled sweeps,
messages waiting for a decision, breached clocks). It is stored as an XLSX file with a JSON
snapshot, and e-mailed to OCM and the requesting area. Its SLA clock (rule
``reporte-diario-ejecucion``, the provider's, 1 business day) starts when the day closes and
stops when the report is sent: a day whose report could not be built stays open and breaches.

"The day" is everything since the previous report of the brief closed (the start of the
execution for the first), so what happens on a Saturday is in Monday's report. Statuses are
those at the moment the report is built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections import Counter
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from brief.calls.models import Interaction
from brief.campaigns.choices import NoticeKind, Status, channel_label
from brief.campaigns.models import Brief
from brief.campaigns.notifications import people, send_notice
from brief.contacts.exports import cell_safe
from brief.core import calendar, sla
from brief.core.audit import record
from brief.dispatch.choices import COUNT_KEYS, MessageStatus, SweepState
from brief.dispatch.models import Message, Sweep
from brief.dispatch.report import totals

from .models import DailyReport

log = logging.getLogger(__name__)

DAY_CLOSED = "daily_report.day_closed"
REPORT_SENT = "daily_report.sent"
# Reports of earlier days still unsent are retried this many days back.
RETRY_DAYS = 7
# The parties a daily report is e-mailed to.
RECIPIENTS = ("ocm", "area")


# --- figures ---------------------------------------------------------------------------


def _messages(brief: Brief) -> Any:  # a QuerySet[Message] annotated with ``moment``
    """The brief's messages with the moment they count for: sent, else failed, else the start
    of their sweep (suppressed and still-queued messages)."""
    return Message.objects.filter(sweep__brief=brief).annotate(
        moment=Coalesce("sent_at", "failed_at", "sweep__started_at", "sweep__created_at")
    )


def _by_channel(rows: QuerySet) -> dict[str, dict[str, int]]:
    """``{channel: {status: n}}`` from rows of ``sweep__channel``, ``status``, ``n``."""
    out: dict[str, dict[str, int]] = {}
    for row in rows.values("sweep__channel", "status").annotate(n=Count("id")).order_by():
        status = MessageStatus.QUEUED if row["status"] == MessageStatus.SENDING else row["status"]
        counts = out.setdefault(row["sweep__channel"], dict.fromkeys(COUNT_KEYS, 0))
        counts[status] = counts.get(status, 0) + row["n"]
    return out


def _message_part(rows: QuerySet) -> dict[str, Any]:
    by_status = _by_channel(rows)
    summed: Counter[str] = Counter()
    for counts in by_status.values():
        summed.update(counts)
    return {
        "by_channel": {
            channel: {"statuses": counts, "totals": totals(counts)}
            for channel, counts in sorted(by_status.items())
        },
        "totals": totals({**dict.fromkeys(COUNT_KEYS, 0), **summed}),
    }


def _interaction_part(rows: QuerySet[Interaction]) -> dict[str, Any]:
    counted = rows.values("channel").annotate(
        worked=Count("id"), typified=Count("id", filter=Q(typification__isnull=False))
    )
    by_channel = {
        r["channel"]: {"worked": r["worked"], "typified": r["typified"]}
        for r in counted.order_by("channel")
    }
    return {
        "by_channel": by_channel,
        "worked": sum(r["worked"] for r in by_channel.values()),
        "typified": sum(r["typified"] for r in by_channel.values()),
        "calls_worked": by_channel.get("call", {}).get("worked", 0),
        "calls_typified": by_channel.get("call", {}).get("typified", 0),
    }


def _issues(brief: Brief, since: dt.datetime | None, until: dt.datetime) -> list[dict[str, Any]]:
    """What needs attention: paused and cancelled sweeps, failures of the day by reason,
    messages waiting for a person's decision, breached SLA clocks still open."""
    issues: list[dict[str, Any]] = []
    for sweep in Sweep.objects.filter(
        brief=brief, state__in=[SweepState.PAUSED, SweepState.CANCELLED]
    ).order_by("number"):
        issues.append(
            {
                "kind": f"sweep_{sweep.state}",
                "sweep": sweep.number,
                "channel": sweep.channel,
                "message": gettext("Barrido %(n)s (%(channel)s): %(state)s. %(reason)s")
                % {
                    "n": sweep.number,
                    "channel": channel_label(sweep.channel),
                    "state": SweepState(sweep.state).label,
                    "reason": sweep.pause_reason,
                },
            }
        )
    day = _messages(brief).filter(moment__lte=until)
    if since is not None:
        day = day.filter(moment__gt=since)
    failed = (
        day.filter(status__in=[MessageStatus.FAILED, MessageStatus.BOUNCED])
        .values("error_code")
        .annotate(n=Count("id"))
        .order_by("-n", "error_code")
    )
    for row in failed[:10]:
        issues.append(
            {
                "kind": "failures",
                "code": row["error_code"],
                "count": row["n"],
                "message": gettext("%(n)s mensajes fallidos o rebotados (%(code)s)")
                % {"n": row["n"], "code": row["error_code"] or gettext("sin código")},
            }
        )
    unknown = Message.objects.filter(sweep__brief=brief, status=MessageStatus.UNKNOWN).count()
    if unknown:
        issues.append(
            {
                "kind": "unknown_messages",
                "count": unknown,
                "message": gettext("%(n)s mensajes en estado desconocido esperan una decisión.")
                % {"n": unknown},
            }
        )
    for clock in sla.clocks_for(brief).filter(stopped_at__isnull=True, breached_at__isnull=False):
        issues.append(
            {
                "kind": "sla_breached",
                "rule": clock.rule.code,
                "message": gettext("ANS vencido: %(rule)s") % {"rule": clock.rule.name},
            }
        )
    return issues


def build(brief: Brief, day: dt.date, *, since: dt.datetime | None, until: dt.datetime) -> dict:
    """The figures of ``brief``'s execution day ``day``: activity in ``(since, until]`` (from
    the beginning when ``since`` is None) and the totals up to ``until``."""
    upto = _messages(brief).filter(moment__lte=until)
    of_day = upto.filter(moment__gt=since) if since is not None else upto
    interactions = Interaction.objects.filter(brief=brief, started_at__lte=until)
    day_interactions = (
        interactions.filter(started_at__gt=since) if since is not None else interactions
    )
    return {
        "brief": {"code": brief.code, "name": brief.name, "status": brief.status},
        "day": day.isoformat(),
        "period": {"from": since.isoformat() if since else None, "to": until.isoformat()},
        "messages": _message_part(of_day),
        "cumulative": _message_part(upto),
        "interactions": _interaction_part(day_interactions),
        "cumulative_interactions": _interaction_part(interactions),
        "issues": _issues(brief, since, until),
    }


# --- the file --------------------------------------------------------------------------

STATUS_COLUMNS = ["sent", "delivered", "read", "not_sent", "bounced", "failed", "pending"]


def _status_header() -> list[str]:
    return [
        gettext("Canal"),
        gettext("Enviados"),
        gettext("Entregados"),
        gettext("Leídos"),
        gettext("No enviados"),
        gettext("Rebotados"),
        gettext("Fallidos"),
        gettext("Pendientes"),
    ]


def xlsx(data: dict) -> bytes:
    """The daily report as a workbook (one sheet; text never runs as a formula)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(gettext("Reporte diario"))
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 8, 13)
    brief = data["brief"]
    rows: list[tuple[list[Any], Any]] = [
        ([gettext("Reporte diario de ejecución")], bold),
        ([gettext("Brief"), brief["code"], brief["name"]], None),
        ([gettext("Día"), data["day"]], None),
        (
            [
                gettext("Desde"),
                data["period"]["from"] or "",
                gettext("Hasta"),
                data["period"]["to"],
            ],
            None,
        ),
    ]
    for title, part in (
        (gettext("Mensajes del día"), data["messages"]),
        (gettext("Acumulado"), data["cumulative"]),
    ):
        rows += [([], None), ([title], bold), (_status_header(), bold)]
        for channel, row in part["by_channel"].items():
            rows.append(
                ([channel_label(channel), *(row["totals"][k] for k in STATUS_COLUMNS)], None)
            )
        rows.append(([gettext("Total"), *(part["totals"][k] for k in STATUS_COLUMNS)], bold))
    for title, part in (
        (gettext("Interacciones del día"), data["interactions"]),
        (gettext("Interacciones acumuladas"), data["cumulative_interactions"]),
    ):
        rows += [
            ([], None),
            ([title], bold),
            ([gettext("Canal"), gettext("Trabajadas"), gettext("Tipificadas")], bold),
        ]
        for channel, row in part["by_channel"].items():
            rows.append(([channel_label(channel), row["worked"], row["typified"]], None))
        rows.append(([gettext("Total"), part["worked"], part["typified"]], bold))
    rows += [([], None), ([gettext("Novedades")], bold)]
    rows += [([issue["message"]], None) for issue in data["issues"]] or [
        ([gettext("Sin novedades.")], None)
    ]
    for r, (values, fmt) in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(r, c, cell_safe(value), fmt)
            else:
                sheet.write_number(r, c, value, fmt)
    book.close()
    return out.getvalue()


# --- the day's close (called by the beat task) -----------------------------------------


def open_day(brief: Brief, day: dt.date, *, at: dt.datetime) -> DailyReport:
    """The report row of ``brief``'s day ``day``, created once with its clock started at the
    day's close (``at`` when it is still that day, else the end of the day)."""
    closed_at = min(at, calendar.end_of_day(day))
    with transaction.atomic():
        report, created = DailyReport.objects.get_or_create(
            brief=brief, day=day, defaults={"closed_at": closed_at}
        )
        if created:
            sla.on_event(DAY_CLOSED, report, at=closed_at)
    return report


def generate(report: DailyReport, *, at: dt.datetime | None = None) -> bool:
    """Build and store the figures and the XLSX of ``report`` once; ``False`` when building
    failed (the error is kept, the clock keeps running and the next run tries again)."""
    if report.generated_at:
        return True
    previous = (
        DailyReport.objects.filter(brief=report.brief_id, day__lt=report.day)
        .order_by("-day")
        .first()
    )
    try:
        data = build(
            report.brief,
            report.day,
            since=previous.closed_at if previous else None,
            until=report.closed_at,
        )
        content = xlsx(data)
    except Exception as exc:  # a failed build must leave the day open, not crash the run
        log.exception("daily report %s failed", report)
        DailyReport.objects.filter(pk=report.pk).update(error=str(exc)[:300])
        return False
    report.file.save(report.file_name, ContentFile(content), save=False)
    report.sha256 = hashlib.sha256(content).hexdigest()
    report.data = data
    report.generated_at = at or timezone.now()
    report.error = ""
    report.save(update_fields=["file", "sha256", "data", "generated_at", "error"])
    return True


def download_url(report: DailyReport) -> str:
    return reverse("reports:daily_download", args=[report.brief.code, report.day.isoformat()])


def send(report: DailyReport, *, at: dt.datetime | None = None) -> bool:
    """E-mail a generated report to OCM and the area (bell + e-mail with the download link),
    once: the claim of ``sent_at`` and the e-mails land together; stops the day's clock."""
    at = at or timezone.now()
    if not report.generated_at:
        return False
    brief = report.brief
    with transaction.atomic():
        claimed = DailyReport.objects.filter(pk=report.pk, sent_at__isnull=True).update(sent_at=at)
        if not claimed:
            return False
        users = people(brief, RECIPIENTS)
        figures = report.data["messages"]["totals"]
        lines = [
            gettext("Reporte diario de ejecución del brief %(code)s «%(name)s», día %(day)s.")
            % {"code": brief.code, "name": brief.name, "day": report.day.strftime("%d/%m/%Y")},
            gettext(
                "Mensajes del día: %(sent)s enviados, %(delivered)s entregados, %(read)s leídos, "
                "%(not_sent)s no enviados."
            )
            % figures,
            gettext("Novedades: %(n)s.") % {"n": len(report.data["issues"])},
            gettext("Descargar (XLSX): %(url)s")
            % {"url": settings.SITE_URL + download_url(report)},
        ]
        send_notice(
            users,
            brief=brief,
            subject=gettext("Reporte diario del %(day)s")
            % {"day": report.day.strftime("%d/%m/%Y")},
            lines=lines,
            anchor="",
            kind=NoticeKind.REPORT,
        )
        DailyReport.objects.filter(pk=report.pk).update(recipients=len(users))
        sla.on_event(REPORT_SENT, report, at=at)
        record(
            "DAILY_REPORT_SENT",
            target=brief,
            details={"day": report.day.isoformat(), "sha256": report.sha256, "to": len(users)},
        )
    return True


def close_day(day: dt.date, *, at: dt.datetime | None = None) -> dict[str, int]:
    """The beat's run at the close of ``day``: on a business day, open the report of every
    brief in execution; then build and send every unsent report of the last days (this one
    and earlier ones that failed). Safe to run twice."""
    at = at or timezone.now()
    opened = 0
    if calendar.is_business_day(day):
        for brief in Brief.objects.filter(status=Status.EXECUTING):
            open_day(brief, day, at=at)
            opened += 1
    generated = sent = failed = 0
    pending = DailyReport.objects.filter(
        sent_at__isnull=True, day__lte=day, day__gte=day - dt.timedelta(days=RETRY_DAYS)
    ).select_related("brief", "brief__area")
    for report in pending.order_by("day", "pk"):
        was_generated = bool(report.generated_at)
        if not generate(report, at=at):
            failed += 1
            continue
        generated += not was_generated
        sent += send(report, at=at)
    return {"opened": opened, "generated": generated, "sent": sent, "failed": failed}
