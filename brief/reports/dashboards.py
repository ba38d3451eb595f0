"""The home dashboards: OCM's (every area) and an area's (its campaigns' results).

Every figure comes from a handful of grouped queries over the last :data:`MONTHS` months — never
a query per brief — and is turned into rates by the functions that define them
(``dispatch.report.totals``, ``calls.figures.call_row`` / ``message_row`` / ``percent``).
Charts are server-rendered SVG (matplotlib, ``contacts.charts``), each with its numbers in a
table for screen readers.

* Briefs by state: every brief the user reaches, by ``status``.
* SLA compliance by month: clocks on briefs closed in the month on time ÷ closed on time or
  late (``ClockState.MET`` / ``LATE``, month of ``stopped_at``).
* Messages by channel and status: messages of the sweeps started in the period.
* Contact rate by month: calls of the month (``started_at``) as the contact center defines it
  (right party ÷ dialled contacts), and messages' delivery rate (month of ``sent_at``).
* Provider scorecard: per provider, SLA on time (its clocks), delivery rate of its briefs'
  messages and contact rate of its briefs' calls.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from matplotlib.figure import Figure

from brief.accounts.models import Provider
from brief.calls import figures
from brief.calls.models import Interaction
from brief.campaigns import permissions
from brief.campaigns.choices import TERMINAL, Channel, Status, channel_label
from brief.campaigns.models import Brief
from brief.contacts import charts
from brief.core import calendar
from brief.core.choices import ClockState, Responsible
from brief.core.models import SLAClock
from brief.core.roles import AREA_ROLES
from brief.dispatch import report
from brief.dispatch.choices import COUNT_KEYS, MessageStatus
from brief.dispatch.models import Message

from .monthly import bounds

MONTHS = 6
BRAND = "#00529b"
SECOND = "#0a7d3b"
STATUS_COLORS = {"delivered": "#0a7d3b", "sent": "#00529b", "not_sent": "#b3261e",
                 "pending": "#9a5b00"}  # fmt: skip
STATUS_LABELS = {"delivered": "Entregados", "sent": "Enviados sin confirmar",
                 "not_sent": "No enviados", "pending": "Pendientes"}  # fmt: skip


# --- who sees which ---------------------------------------------------------------------------


def kind_for(user) -> str | None:
    """``"ocm"`` for OCM, the leader and the auditor; ``"area"`` for an area's users."""
    if permissions.may_see_board(user):
        return "ocm"
    if user.is_active and user.roles & AREA_ROLES and user.area_id:
        return "area"
    return None


def home_panel(request) -> str | None:
    """The core's ``HOME_PANELS`` hook: a placeholder the page fills with the dashboard (htmx),
    so the home page answers before the charts are drawn."""
    if kind_for(request.user) is None:
        return None
    return render_to_string(
        "reports/partials/dashboard_loader.html", {"url": reverse("reports:dashboard")}, request
    )


# --- periods ---------------------------------------------------------------------------------


def months_back(today: dt.date, n: int = MONTHS) -> list[dt.date]:
    """The first days of the last ``n`` months, oldest first (this month last)."""
    first = today.replace(day=1)
    out = [first]
    for _ in range(n - 1):
        out.append((out[-1] - dt.timedelta(days=1)).replace(day=1))
    return out[::-1]


def _month_key(value) -> str:
    return (
        calendar.local(value).strftime("%Y-%m")
        if isinstance(value, dt.datetime)
        else (value.strftime("%Y-%m"))
    )


def _status_counts(rows) -> dict[str, int]:
    """``(status, n)`` rows as ``COUNT_KEYS`` counts (``sending`` counts as queued, like
    ``dispatch.engine.counts``)."""
    out = dict.fromkeys(COUNT_KEYS, 0)
    for status, n in rows:
        key = MessageStatus.QUEUED if status == MessageStatus.SENDING else status
        if key in out:
            out[key] += n
    return out


# --- the figures -----------------------------------------------------------------------------


def briefs_by_state(briefs) -> list[dict[str, Any]]:
    counts = dict(briefs.values_list("status").annotate(n=Count("id")).order_by())
    return [
        {"status": s.value, "label": str(s.label), "count": counts.get(s.value, 0)}
        for s in Status
        if counts.get(s.value)
    ]


def sla_trend(brief_ids, months: list[dt.date], responsible: str | None = None) -> list[dict]:
    """On-time share of the briefs' clocks closed in each month."""
    start, end = bounds(months[0])[0], bounds(months[-1])[1]
    clocks = SLAClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(Brief),
        subject_id__in=brief_ids,
        state__in=[ClockState.MET, ClockState.LATE],
        stopped_at__gte=start,
        stopped_at__lt=end,
    )
    if responsible:
        clocks = clocks.filter(responsible=responsible)
    rows = (
        clocks.annotate(month=TruncMonth("stopped_at", tzinfo=calendar.BOGOTA))
        .values("month")
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET)),
            late=Count("id", filter=Q(state=ClockState.LATE)),
        )
        .order_by()
    )
    by_month = {_month_key(r["month"]): r for r in rows}
    out = []
    for month in months:
        row = by_month.get(month.strftime("%Y-%m"), {"met": 0, "late": 0})
        out.append(
            {
                "month": month.strftime("%Y-%m"),
                "met": row["met"],
                "late": row["late"],
                "on_time": figures.percent(row["met"], row["met"] + row["late"]),
            }
        )
    return out


def messages_by_channel(messages) -> list[dict[str, Any]]:
    """Per channel: the report's totals of its messages (``dispatch.report.totals``)."""
    grouped: dict[str, list] = defaultdict(list)
    for channel, status, n in (
        messages.values_list("sweep__channel", "status").annotate(n=Count("id")).order_by()
    ):
        grouped[channel].append((status, n))
    out = []
    for channel in Channel.values:
        if channel in grouped:
            totals = report.totals(_status_counts(grouped[channel]))
            out.append({"channel": channel, "label": channel_label(channel), **totals})
    return out


def contact_trend(calls, messages, months: list[dt.date]) -> list[dict[str, Any]]:
    """Per month: the calls' contact rate (``figures.call_row``) and the messages' delivery
    rate (``figures.message_row``)."""
    call_rows = {
        _month_key(r["month"]): figures.call_row(r)
        for r in calls.annotate(month=TruncMonth("started_at", tzinfo=calendar.BOGOTA))
        .values("month")
        .annotate(**figures.CALL_COUNTS)
        .order_by()
    }
    sent: dict[str, list] = defaultdict(list)
    for month, status, n in (
        messages.filter(sent_at__isnull=False)
        .annotate(month=TruncMonth("sent_at", tzinfo=calendar.BOGOTA))
        .values_list("month", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        sent[_month_key(month)].append((status, n))
    out = []
    for month in months:
        key = month.strftime("%Y-%m")
        calls_row = call_rows.get(key) or figures.call_row({})
        msg_row = figures.message_row(_status_counts(sent.get(key, [])), 0, 0)
        out.append(
            {
                "month": key,
                "contact_rate": calls_row["contact_rate"]["value"],
                "dialled": calls_row["dialled"],
                "right_party": calls_row["right_party"],
                "delivery_rate": msg_row["delivery_rate"]["value"],
                "sent": msg_row["sent"],
                "delivered": msg_row["delivered"],
            }
        )
    return out


def provider_scorecard(start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Per provider, over the period: SLA on time (its own clocks on its briefs), delivery rate
    of its briefs' messages, contact rate of its briefs' calls; three grouped queries."""
    provider_of = Brief.objects.filter(pk=OuterRef("subject_id")).values("provider_id")[:1]
    clocks = {
        r["provider"]: r
        for r in SLAClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(Brief),
            responsible=Responsible.PROVIDER,
            state__in=[ClockState.MET, ClockState.LATE],
            stopped_at__gte=start,
            stopped_at__lt=end,
        )
        .annotate(provider=Subquery(provider_of))
        .values("provider")
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET)),
            late=Count("id", filter=Q(state=ClockState.LATE)),
        )
        .order_by()
    }
    statuses: dict[int, list] = defaultdict(list)
    for provider, status, n in (
        Message.objects.filter(sweep__started_at__gte=start, sweep__started_at__lt=end)
        .values_list("sweep__brief__provider", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        statuses[provider].append((status, n))
    calls = {
        r["brief__provider"]: figures.call_row(r)
        for r in Interaction.objects.filter(
            channel=Channel.CALL, started_at__gte=start, started_at__lt=end
        )
        .values("brief__provider")
        .annotate(**figures.CALL_COUNTS)
        .order_by()
    }
    out = []
    for provider in Provider.objects.order_by("name"):
        clock = clocks.get(provider.pk, {"met": 0, "late": 0})
        msg = figures.message_row(_status_counts(statuses.get(provider.pk, [])), 0, 0)
        call = calls.get(provider.pk) or figures.call_row({})
        out.append(
            {
                "provider": provider.name,
                "sla_met": clock["met"],
                "sla_late": clock["late"],
                "on_time": figures.percent(clock["met"], clock["met"] + clock["late"]),
                "sent": msg["sent"],
                "delivery_rate": msg["delivery_rate"]["value"],
                "dialled": call["dialled"],
                "contact_rate": call["contact_rate"]["value"],
            }
        )
    return out


def campaign_results(briefs) -> list[dict[str, Any]]:
    """An area's recent campaigns with their message totals and call contact rate (grouped
    over every brief at once)."""
    rows = list(briefs.order_by("-created_at")[:20].values("pk", "code", "name", "status"))
    ids = [r["pk"] for r in rows]
    statuses: dict[int, list] = defaultdict(list)
    for brief, status, n in (
        Message.objects.filter(sweep__brief__in=ids)
        .values_list("sweep__brief", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        statuses[brief].append((status, n))
    calls = {
        r["brief"]: figures.call_row(r)
        for r in Interaction.objects.filter(brief__in=ids, channel=Channel.CALL)
        .values("brief")
        .annotate(**figures.CALL_COUNTS)
        .order_by()
    }
    out = []
    for r in rows:
        msg = figures.message_row(_status_counts(statuses.get(r["pk"], [])), 0, 0)
        call = calls.get(r["pk"])
        out.append(
            {
                "code": r["code"],
                "name": r["name"],
                "status_label": str(Status(r["status"]).label),
                "sent": msg["sent"],
                "delivered": msg["delivered"],
                "read": msg["read"],
                "delivery_rate": msg["delivery_rate"]["value"],
                "contact_rate": call["contact_rate"]["value"] if call else None,
            }
        )
    return out


def build(user, *, today: dt.date | None = None) -> dict[str, Any]:
    """The dashboard ``user`` sees (OCM's or their area's); ``{}`` for anyone else."""
    kind = kind_for(user)
    if kind is None:
        return {}
    today = today or calendar.local(timezone.now()).date()
    months = months_back(today)
    start, end = bounds(months[0])[0], bounds(months[-1])[1]
    briefs = Brief.objects.all() if kind == "ocm" else Brief.objects.filter(area_id=user.area_id)
    brief_ids = briefs.values("pk")
    messages = Message.objects.filter(
        sweep__brief__in=brief_ids, sweep__started_at__gte=start, sweep__started_at__lt=end
    )
    calls = Interaction.objects.filter(
        brief__in=brief_ids, channel=Channel.CALL, started_at__gte=start, started_at__lt=end
    )
    by_state = briefs_by_state(briefs)
    trend = sla_trend(brief_ids, months)
    channels = messages_by_channel(messages)
    contact = contact_trend(calls, messages, months)
    data: dict[str, Any] = {
        "kind": kind,
        "months": [m.strftime("%Y-%m") for m in months],
        "by_state": by_state,
        "sla_trend": trend,
        "channels": channels,
        "contact_trend": contact,
        "kpis": {
            "open": sum(r["count"] for r in by_state if r["status"] not in TERMINAL),
            "executing": sum(r["count"] for r in by_state if r["status"] == Status.EXECUTING),
            "sla_on_time": trend[-1]["on_time"],
            "sent": sum(c["sent"] for c in channels),
            "contact_rate": contact[-1]["contact_rate"],
        },
    }
    if kind == "ocm":
        data["scorecard"] = provider_scorecard(start, end)
    else:
        data["campaigns"] = campaign_results(briefs.exclude(status=Status.DRAFT))
    return data


# --- charts ----------------------------------------------------------------------------------


def _axes(width: float = 6.2, height: float = 2.8):
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(charts.GRID)
    axes.tick_params(labelsize=9, colors=charts.MUTED)
    axes.grid(axis="y", color=charts.GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def line_chart(
    months: Sequence[str], series: dict[str, Sequence[float | None]], *, ylabel: str, prefix: str
) -> str:
    """Percentages by month, one line per series (a gap where a month has no value)."""
    figure, axes = _axes()
    x = list(range(len(months)))
    for (name, values), color in zip(series.items(), (BRAND, SECOND), strict=False):
        ys = [float("nan") if v is None else v for v in values]
        axes.plot(x, ys, marker="o", color=color, label=name, linewidth=2)
    axes.set_xticks(x, labels=list(months))
    axes.set_ylim(0, 105)
    axes.set_ylabel(ylabel, fontsize=9, color=charts.MUTED)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False, loc="lower left")
    return charts.svg(figure, prefix)


def stacked_chart(rows: list[dict[str, Any]], *, prefix: str) -> str:
    """Messages per channel split by outcome (delivered, sent unconfirmed, not sent, pending)."""
    figure, axes = _axes(height=0.55 * max(len(rows), 1) + 1.2)
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", color=charts.GRID, linewidth=0.8)
    labels = [r["label"] for r in rows]
    positions = list(range(len(rows)))
    left = [0] * len(rows)
    for key, color in STATUS_COLORS.items():
        values = [r["sent"] - r["delivered"] if key == "sent" else r[key] for r in rows]
        axes.barh(positions, values, left=left, color=color, height=0.6, label=STATUS_LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(positions, labels=labels)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(lambda x, _pos: charts.thousands(int(x)))
    axes.legend(fontsize=8, frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    return charts.svg(figure, prefix)


def chart_svgs(data: dict[str, Any]) -> dict[str, str]:
    """The dashboard's charts as inline SVG."""
    months = data["months"]
    out = {
        "by_state": charts.bar_chart(
            [r["label"] for r in data["by_state"]],
            [r["count"] for r in data["by_state"]],
            color=BRAND,
            xlabel=gettext("Briefs"),
            prefix="estados",
        ),
        "sla": line_chart(
            months,
            {gettext("ANS a tiempo"): [r["on_time"] for r in data["sla_trend"]]},
            ylabel="%",
            prefix="ans",
        ),
        "contact": line_chart(
            months,
            {
                gettext("Tasa de contacto (llamadas)"): [
                    r["contact_rate"] for r in data["contact_trend"]
                ],
                gettext("Tasa de entrega (mensajes)"): [
                    r["delivery_rate"] for r in data["contact_trend"]
                ],
            },
            ylabel="%",
            prefix="contacto",
        ),
    }
    if data["channels"]:
        out["channels"] = stacked_chart(data["channels"], prefix="canales")
    return out
