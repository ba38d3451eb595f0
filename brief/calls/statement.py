"""The billing statement of a provider for a month (reading only).

Two parts, each by channel: the **interactions** the provider's briefs recorded in the month
(``started_at``), billable or not by the rule kept on each (``billing.exclusions``), and the
**messages** of the dispatch outbox its briefs handed to a provider in the month
(``sent_at``), billable or not by ``billing.message_exclusions`` (the provider's ID and a final
status). Every exclusion is counted by reason and listed. Months are calendar months in
America/Bogota.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.db.models import Count, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from brief.accounts.models import Provider
from brief.campaigns.choices import Channel
from brief.contacts.exports import XLSX_TYPE
from brief.core import calendar
from brief.core.exceptions import Forbidden, Invalid
from brief.core.roles import Role
from brief.dispatch.models import Message

from . import billing
from .choices import Exclusion
from .models import Interaction

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LISTED = 500  # excluded items shown on the page (the XLSX lists them all)


@dataclass
class Part:
    """Counts of one part (interactions or messages): per channel and per exclusion reason."""

    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)

    def add(self, channel: str, reasons: list[str], n: int = 1) -> None:
        row = self.by_channel.setdefault(channel, {"total": 0, "billable": 0, "excluded": 0})
        row["total"] += n
        row["billable" if not reasons else "excluded"] += n
        for reason in reasons:
            self.by_reason[reason] = self.by_reason.get(reason, 0) + n

    @property
    def totals(self) -> dict[str, int]:
        out = {"total": 0, "billable": 0, "excluded": 0}
        for row in self.by_channel.values():
            for key in out:
                out[key] += row[key]
        return out

    def as_dict(self) -> dict:
        return {
            "by_channel": [
                {"channel": c, "label": channel_label(c), **v}
                for c, v in sorted(self.by_channel.items())
            ],
            "exclusions": [
                {"reason": r, "label": str(Exclusion(r).label), "count": n}
                for r, n in sorted(self.by_reason.items())
            ],
            "totals": self.totals,
        }


@dataclass
class Statement:
    provider: Provider
    month: dt.date
    interactions: Part
    messages: Part

    @property
    def period(self) -> str:
        return self.month.strftime("%Y-%m")

    def as_dict(self) -> dict:
        return {
            "provider": self.provider.code,
            "month": self.period,
            "interactions": self.interactions.as_dict(),
            "messages": self.messages.as_dict(),
            "totals": {
                "billable": self.interactions.totals["billable"] + self.messages.totals["billable"],
                "excluded": self.interactions.totals["excluded"] + self.messages.totals["excluded"],
            },
        }


def parse_month(value: str | None, *, today: dt.date | None = None) -> dt.date:
    """``YYYY-MM`` → the month's first day (this month when empty)."""
    if not value:
        today = today or calendar.local(timezone.now()).date()
        return today.replace(day=1)
    match = MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise Invalid(gettext("El mes va como AAAA-MM."), code="bad_month", field="month")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as ``[start, end)`` aware datetimes in America/Bogota."""
    after = (month + dt.timedelta(days=32)).replace(day=1)
    zone = calendar.BOGOTA
    return (
        dt.datetime.combine(month, dt.time(), tzinfo=zone),
        dt.datetime.combine(after, dt.time(), tzinfo=zone),
    )


def check_access(user, provider: Provider) -> None:
    """The provider's channel director (their own provider), OCM, the auditor and admins."""
    if user.is_superuser or user.has_role(Role.ANALISTA_OCM) or user.has_role(Role.AUDITOR):
        return
    if user.has_role(Role.PROVEEDOR) and user.provider_id == provider.pk:
        return
    raise Forbidden(gettext("No puede ver el estado de cuenta de este proveedor."))


def providers_for(user):
    if user.has_role(Role.PROVEEDOR) and not user.has_role(Role.ANALISTA_OCM):
        return Provider.objects.filter(pk=user.provider_id)
    return Provider.objects.all()


def _interactions(provider: Provider, month: dt.date):
    start, end = bounds(month)
    return Interaction.objects.filter(
        brief__provider=provider, started_at__gte=start, started_at__lt=end
    )


def _messages(provider: Provider, month: dt.date):
    start, end = bounds(month)
    return Message.objects.filter(
        sweep__brief__provider=provider, sent_at__gte=start, sent_at__lt=end
    )


def build(provider: Provider, month: dt.date) -> Statement:
    """The statement's counts (the lists come from :func:`excluded_interactions` and
    :func:`excluded_messages`)."""
    interactions = Part()
    grouped = (
        _interactions(provider, month)
        .values_list("channel", "exclusions")
        .annotate(n=Count("id"))
        .order_by()
    )
    for channel, reasons, n in grouped:
        interactions.add(channel, list(reasons or []), n)
    messages = Part()
    grouped_messages = (
        _messages(provider, month)
        .annotate(has_id=~Q(provider_message_id=""))
        .values_list("sweep__channel", "has_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for channel, has_id, status, n in grouped_messages:
        reasons = billing.message_exclusions(
            provider_message_id="x" if has_id else "", status=status
        )
        messages.add(channel, reasons, n)
    return Statement(provider=provider, month=month, interactions=interactions, messages=messages)


def excluded_interactions(provider: Provider, month: dt.date) -> Iterator[dict[str, Any]]:
    rows = (
        _interactions(provider, month)
        .filter(billable=False)
        .select_related("brief")
        .order_by("started_at", "id")
    )
    for i in rows.iterator(chunk_size=2000):
        yield {
            "code": i.code,
            "brief": i.brief.code,
            "channel": i.channel,
            "at": i.started_at,
            "reasons": list(i.exclusions),
            "reasons_text": reasons_text(list(i.exclusions)),
        }


def excluded_messages(provider: Provider, month: dt.date) -> Iterator[dict[str, Any]]:
    """Sent messages the rule excludes (without the provider's ID, or without a final status)."""
    rows = (
        _messages(provider, month)
        .filter(Q(provider_message_id="") | ~Q(status__in=billing.MESSAGE_FINAL_STATUSES))
        .values_list(
            "pk", "sweep__brief__code", "sweep__channel", "sent_at", "provider_message_id", "status"
        )
        .order_by("sent_at", "pk")
    )
    for pk, brief, channel, at, provider_id, status in rows.iterator(chunk_size=2000):
        reasons = billing.message_exclusions(provider_message_id=provider_id, status=status)
        yield {
            "id": pk,
            "brief": brief,
            "channel": channel,
            "at": at,
            "status": status,
            "reasons": reasons,
            "reasons_text": reasons_text(reasons),
        }


def channel_label(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else code


def reasons_text(reasons: list[str]) -> str:
    return "; ".join(str(Exclusion(r).label) if r in Exclusion.values else r for r in reasons)


def xlsx(statement: Statement) -> bytes:
    """The statement as a workbook: summary, excluded interactions, excluded messages."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(gettext("Resumen"))
    sheet.set_column(0, 0, 38)
    sheet.set_column(1, 4, 14)
    r = 0
    sheet.write_string(r, 0, gettext("Estado de cuenta"), bold)
    sheet.write_string(r, 1, f"{statement.provider.name} · {statement.period}")
    for title, part in (
        (gettext("Interacciones"), statement.interactions),
        (gettext("Mensajes"), statement.messages),
    ):
        r += 2
        sheet.write_string(r, 0, title, bold)
        for c, head in enumerate(
            (gettext("Canal"), gettext("Total"), gettext("Facturables"), gettext("Excluidas"))
        ):
            sheet.write_string(r + 1, c, head, bold)
        r += 1
        for channel, row in sorted(part.by_channel.items()):
            r += 1
            sheet.write_string(r, 0, channel_label(channel))
            sheet.write_row(r, 1, [row["total"], row["billable"], row["excluded"]])
        totals = part.totals
        r += 1
        sheet.write_string(r, 0, gettext("Total"), bold)
        sheet.write_row(r, 1, [totals["total"], totals["billable"], totals["excluded"]])
        r += 1
        for reason, n in sorted(part.by_reason.items()):
            r += 1
            sheet.write_string(r, 0, reasons_text([reason]))
            sheet.write_number(r, 3, n)
    listed = book.add_worksheet(gettext("Interacciones excluidas"))
    heads = [gettext("Código"), gettext("Brief"), gettext("Canal"), gettext("Inicio"),
             gettext("Motivos")]  # fmt: skip
    listed.write_row(0, 0, heads, bold)
    for line, item in enumerate(excluded_interactions(statement.provider, statement.month), 1):
        listed.write_row(line, 0, [item["code"], item["brief"], channel_label(item["channel"]),
                                   _local(item["at"]), item["reasons_text"]])  # fmt: skip
    listed = book.add_worksheet(gettext("Mensajes excluidos"))
    heads = [gettext("Mensaje"), gettext("Brief"), gettext("Canal"), gettext("Enviado"),
             gettext("Estado"), gettext("Motivos")]  # fmt: skip
    listed.write_row(0, 0, heads, bold)
    for line, item in enumerate(excluded_messages(statement.provider, statement.month), 1):
        listed.write_row(line, 0, [item["id"], item["brief"], channel_label(item["channel"]),
                                   _local(item["at"]), item["status"],
                                   item["reasons_text"]])  # fmt: skip
    book.close()
    return out.getvalue()


def _local(value) -> str:
    return calendar.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def xlsx_response(built: Statement) -> HttpResponse:
    out = HttpResponse(xlsx(built), content_type=XLSX_TYPE)
    name = f"estado-cuenta-{built.provider.code}-{built.period}.xlsx"
    out["Content-Disposition"] = f'attachment; filename="{name}"'
    return out
